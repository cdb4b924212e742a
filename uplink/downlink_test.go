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
			d := &Downlink{Store: "S001", Till: "T01", Trust: NewTrust(pub, 0, nil), Apply: a,
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

// Head office rotates its key: a config signed by the new key that arrives
// before the rotation chain waits for it, and is applied when the chain
// comes; a forged chain moves nothing.
func TestDownlinkKeyRotation(t *testing.T) {
	oldPub, oldKey, _ := ed25519.GenerateKey(nil)
	newPub, newKey, _ := ed25519.GenerateKey(nil)
	_, stranger, _ := ed25519.GenerateKey(nil)
	var acks []wire.ConfigAck
	var kept []string
	trust := NewTrust(oldPub, 0, func(k ed25519.PublicKey, v int64) error {
		kept = append(kept, wire.EncodeKey(k))
		return nil
	})
	a := &applier{config: 3}
	d := &Downlink{Store: "S001", Till: "T01", Trust: trust, Apply: a,
		Publish: func(_ context.Context, _ string, b []byte) error {
			var ack wire.ConfigAck
			json.Unmarshal(b, &ack)
			acks = append(acks, ack)
			return nil
		}}
	ctx := context.Background()
	cfg, _ := wire.Seal(newKey, wire.KindConfig, 9, time.Now(), "S001", "", []byte(`{"store_name":"Toko Baru"}`), false)
	cfgRaw, _ := json.Marshal(cfg)
	d.Handle(ctx, mqttconn.Message{Topic: wire.StoreConfigTopic("S001"), Payload: cfgRaw})
	if a.config != 3 || len(acks) != 1 || acks[0].Reason != "bad_signature" {
		t.Fatalf("before the rotation: config %d, acks %+v", a.config, acks)
	}

	forged, _ := wire.Rotate(stranger, newPub, 1, time.Now())
	forged.Body, _ = json.Marshal(wire.KeyRotation{Previous: wire.EncodeKey(oldPub), Key: wire.EncodeKey(newPub)})
	forgedRaw, _ := json.Marshal([]*wire.Envelope{forged})
	d.Handle(ctx, mqttconn.Message{Topic: wire.KeysTopic, Payload: forgedRaw})
	if k, _ := trust.Key(); !k.Equal(oldPub) || a.config != 3 || len(kept) != 0 {
		t.Fatalf("a forged rotation moved the key")
	}
	if last := acks[len(acks)-1]; last.Kind != wire.KindKey || last.Status != "rejected" {
		t.Errorf("forged rotation answered %+v", last)
	}

	rot, _ := wire.Rotate(oldKey, newPub, 1, time.Now())
	chain, _ := json.Marshal([]*wire.Envelope{rot})
	d.Handle(ctx, mqttconn.Message{Topic: wire.KeysTopic, Payload: chain})
	if k, v := trust.Key(); !k.Equal(newPub) || v != 1 {
		t.Fatalf("key not rotated: version %d", v)
	}
	if len(kept) != 1 || kept[0] != wire.EncodeKey(newPub) {
		t.Errorf("kept %v", kept)
	}
	if a.config != 9 || a.cfg.StoreName != "Toko Baru" {
		t.Fatalf("the held config was not applied after the rotation: %d", a.config)
	}
	var sawKey, sawConfig bool
	for _, ack := range acks {
		sawKey = sawKey || (ack.Kind == wire.KindKey && ack.Status == "applied" && ack.Version == 1)
		sawConfig = sawConfig || (ack.Kind == wire.KindConfig && ack.Status == "applied" && ack.Version == 9)
	}
	if !sawKey || !sawConfig {
		t.Errorf("config-acks %+v", acks)
	}
	// The same chain again (every reconnect) changes nothing.
	n := len(acks)
	d.Handle(ctx, mqttconn.Message{Topic: wire.KeysTopic, Payload: chain})
	if len(acks) != n || len(kept) != 1 {
		t.Errorf("the chain again: %d more acks, kept %d", len(acks)-n, len(kept))
	}
	// An envelope signed by the retired key is refused now.
	old, _ := wire.Seal(oldKey, wire.KindConfig, 10, time.Now(), "S001", "", []byte(`{"store_name":"Lama"}`), false)
	oldRaw, _ := json.Marshal(old)
	d.Handle(ctx, mqttconn.Message{Topic: wire.StoreConfigTopic("S001"), Payload: oldRaw})
	if a.config != 9 {
		t.Errorf("the retired key's config applied")
	}
}
