package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"time"

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
func newUplink(p *wire.Provision, db *localstore.DB, status func() wire.Status, log *slog.Logger) (*uplink.Uplink, error) {
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
			Broker: p.Broker, ClientID: "kasir-" + p.Store + "-" + p.Till,
			Username: p.Username, Password: p.Password, TLS: tlsCfg, Will: will,
		})
	}
	return uplink.New(uplink.Config{Store: p.Store, Till: p.Till, Dial: dial, Software: version, Status: status}, db, log), nil
}

// startDownlink applies head office's signed pushes to the till.
func startDownlink(ctx context.Context, p *wire.Provision, up *uplink.Uplink, till *appliance.Till, log *slog.Logger) error {
	key, err := p.PublicKey()
	if err != nil {
		return err
	}
	d := &uplink.Downlink{
		Store: p.Store, Till: p.Till, Key: key, Apply: till, Now: till.Now, Log: log.With("component", "downlink"),
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
