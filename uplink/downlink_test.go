package uplink

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/wire"
)

// applier is a till that records what it was given.
type applier struct {
	catalog, config int64
	products        []appliance.Product
	cfg             appliance.Config
	fail            error
}

func (a *applier) Versions() (int64, int64) { return a.catalog, a.config }
func (a *applier) ApplyCatalog(_ context.Context, v int64, ps []appliance.Product) error {
	if a.fail != nil {
		return a.fail
	}
	a.catalog, a.products = v, ps
	return nil
}
func (a *applier) ApplyConfig(_ context.Context, v int64, c appliance.Config) error {
	if a.fail != nil {
		return a.fail
	}
	a.config, a.cfg = v, c
	return nil
}

func TestDownlink(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	seal := func(key ed25519.PrivateKey, kind string, v int64, store, till string, body string) []byte {
		e, err := wire.Seal(key, kind, v, time.Now(), store, till, []byte(body), kind == wire.KindCatalog)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(e)
		return b
	}
	catalog := `{"products":[{"sku":"A","name":"Teh","price":3000,"tax_class":"PPN","active":true}]}`
	config := `{"store_name":"Toko Baru"}`
	tests := []struct {
		name    string
		topic   string
		payload []byte
		running [2]int64
		fail    error
		status  string // "" means no config-ack at all
		reason  string
		applied bool
	}{
		{"catalog applied", wire.CatalogTopic("S001"), seal(priv, wire.KindCatalog, 5, "S001", "", catalog), [2]int64{4, 0}, nil, "applied", "", true},
		{"config for the store", wire.StoreConfigTopic("S001"), seal(priv, wire.KindConfig, 9, "S001", "", config), [2]int64{0, 3}, nil, "applied", "", true},
		{"config for the fleet", wire.AllConfigTopic, seal(priv, wire.KindConfig, 9, "all", "", config), [2]int64{0, 3}, nil, "applied", "", true},
		{"config for this till", wire.TillConfigTopic("S001", "T01"), seal(priv, wire.KindConfig, 9, "S001", "T01", config), [2]int64{0, 3}, nil, "applied", "", true},
		{"the version already running, again on reconnect", wire.StoreConfigTopic("S001"), seal(priv, wire.KindConfig, 3, "S001", "", config), [2]int64{0, 3}, nil, "", "", false},
		{"an older version", wire.StoreConfigTopic("S001"), seal(priv, wire.KindConfig, 2, "S001", "", config), [2]int64{0, 3}, nil, "rejected", "old_version", false},
		{"signed by another key", wire.StoreConfigTopic("S001"), seal(other, wire.KindConfig, 9, "S001", "", config), [2]int64{0, 3}, nil, "rejected", "bad_signature", false},
		{"another store's envelope on our topic", wire.StoreConfigTopic("S001"), seal(priv, wire.KindConfig, 9, "S002", "", config), [2]int64{0, 3}, nil, "rejected", "foreign_target", false},
		{"another till's config", wire.StoreConfigTopic("S001"), seal(priv, wire.KindConfig, 9, "S001", "T02", config), [2]int64{0, 3}, nil, "rejected", "foreign_target", false},
		{"a config on the catalog topic", wire.CatalogTopic("S001"), seal(priv, wire.KindConfig, 9, "S001", "", config), [2]int64{0, 3}, nil, "rejected", "malformed", false},
		{"truncated", wire.StoreConfigTopic("S001"), seal(priv, wire.KindConfig, 9, "S001", "", config)[:40], [2]int64{0, 3}, nil, "rejected", "malformed", false},
		{"config the till cannot run", wire.StoreConfigTopic("S001"), seal(priv, wire.KindConfig, 9, "S001", "", `{"time_zone":"Mars/Olympus"}`), [2]int64{0, 3}, errors.New("config: time zone"), "rejected", "invalid: config: time zone", false},
		{"empty catalog", wire.CatalogTopic("S001"), seal(priv, wire.KindCatalog, 5, "S001", "", `{"products":[]}`), [2]int64{4, 0}, nil, "rejected", "malformed", false},
		{"a cleared retained message", wire.StoreConfigTopic("S001"), nil, [2]int64{0, 3}, nil, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &applier{catalog: tt.running[0], config: tt.running[1], fail: tt.fail}
			var acks []wire.ConfigAck
			d := &Downlink{Store: "S001", Till: "T01", Key: pub, Apply: a,
				Publish: func(_ context.Context, topic string, b []byte) error {
					if topic != wire.ConfigAckTopic("S001", "T01") {
						t.Errorf("config-ack on %s", topic)
					}
					var ack wire.ConfigAck
					json.Unmarshal(b, &ack)
					acks = append(acks, ack)
					return nil
				}}
			d.Handle(context.Background(), mqttconn.Message{Topic: tt.topic, Payload: tt.payload})
			if tt.status == "" {
				if len(acks) != 0 {
					t.Fatalf("config-acks %+v, want none", acks)
				}
				return
			}
			if len(acks) != 1 || acks[0].Status != tt.status || acks[0].Reason != tt.reason {
				t.Fatalf("config-acks %+v, want %s %q", acks, tt.status, tt.reason)
			}
			applied := a.products != nil || a.cfg.StoreName != ""
			if applied != tt.applied {
				t.Fatalf("applied = %v, want %v", applied, tt.applied)
			}
		})
	}
}
