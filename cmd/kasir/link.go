package main

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kasirpos/kasir/internal/durable"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/uplink"
	"github.com/kasirpos/kasir/wire"
)

// newUplink builds the till's link to head office from its provisioning.
// It does not connect until Run; selling never waits for it.
//
// status fills the till's part of its presence (versions, devices).
func newUplink(p *wire.Provision, db *localstore.DB, data string, status func() wire.Status, log *slog.Logger) (*uplink.Uplink, error) {
	trust, err := loadTrust(p, data, log)
	if err != nil {
		return nil, err
	}
	key, err := p.SigningKey()
	if err != nil {
		// The till sells on; the uplink says why it does not connect.
		log.Error("provisioning has no till key: head office would refuse this till's batches", "err", err)
		key = nil
	}
	var tlsCfg *tls.Config
	if p.CA != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(p.CA)) {
			return nil, errors.New("provisioning: ca is not a PEM certificate")
		}
		tlsCfg = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	dial := func(ctx context.Context, will *mqttconn.Message) (uplink.Conn, error) {
		return mqttconn.Dial(ctx, mqttconn.Options{
			// The client id is the username: the broker binds one to
			// the other, so no till can take over another's session.
			Broker: p.Broker, ClientID: p.Username,
			Username: p.Username, Password: p.Password, TLS: tlsCfg, Will: will,
		})
	}
	return uplink.New(uplink.Config{Store: p.Store, Till: p.Till, Dial: dial, Key: key, Trust: trust,
		Software: version, Status: status}, db, log), nil
}

// trustFile keeps the head-office key the till has rotated to, beside its
// database: the provisioning file holds only the key it started with.
const trustFile = "hq-key.json"

type trustState struct {
	// Provisioned is the provisioning file's key when this was written: a
	// new provisioning file with another key starts over from that key.
	Provisioned string `json:"provisioned"`
	Key         string `json:"key"`
	Version     int64  `json:"version"`
}

// loadTrust is the head-office key the till trusts: the provisioning
// file's, moved on by the rotations it has followed since.
func loadTrust(p *wire.Provision, data string, log *slog.Logger) (*uplink.Trust, error) {
	prov, err := p.PublicKey()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(data, trustFile)
	key, version := prov, int64(0)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", path, err)
	default:
		var st trustState
		if err := json.Unmarshal(b, &st); err != nil {
			log.Error("head office key file unreadable; starting from the provisioned key", "path", path, "err", err)
			break
		}
		if st.Provisioned != p.HQPublicKey {
			log.Info("new provisioning key; earlier rotations forgotten", "path", path)
			break
		}
		k, err := wire.DecodeKey(st.Key)
		if err != nil {
			log.Error("head office key file holds no key; starting from the provisioned key", "path", path, "err", err)
			break
		}
		key, version = k, st.Version
	}
	save := func(k ed25519.PublicKey, v int64) error {
		b, _ := json.Marshal(trustState{Provisioned: p.HQPublicKey, Key: wire.EncodeKey(k), Version: v})
		return durable.WriteFile(path, b, 0o600)
	}
	return uplink.NewTrust(key, version, save), nil
}

// startDownlink applies head office's signed pushes to the till.
func startDownlink(ctx context.Context, p *wire.Provision, up *uplink.Uplink, till *appliance.Till, log *slog.Logger) error {
	d := &uplink.Downlink{
		Store: p.Store, Till: p.Till, Trust: up.Trust(), Apply: till, Now: till.Now, Log: log.With("component", "downlink"),
		Publish: func(ctx context.Context, topic string, payload []byte) error {
			return up.Publish(ctx, topic, payload)
		},
	}
	up.OnDown(func(m mqttconn.Message) { d.Handle(ctx, m) })
	// A till without a battery clock trusts its clock once head office's,
	// from a live ack, agrees with it.
	up.OnHQTime(func(hq time.Time) { till.SeenHQTime(hq) })
	return nil
}

// presence is what the till tells head office about itself besides sync.
func presence(ctx context.Context, till *appliance.Till) wire.Status {
	st, err := till.Status(ctx)
	if err != nil {
		return wire.Status{}
	}
	cfg := till.Config()
	return wire.Status{
		CatalogVersion: st.Catalog.Version, ConfigVersion: cfg.Version,
		Devices: map[string]appliance.DeviceStatus{"printer": st.Printer, "drawer": st.Drawer},
	}
}
