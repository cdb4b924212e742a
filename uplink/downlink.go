package uplink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/wire"
)

// Applier takes what head office pushes: the till (appliance.Till).
type Applier interface {
	Versions() (catalog, config int64)
	ApplyCatalog(ctx context.Context, version int64, products []appliance.Product) error
	ApplyConfig(ctx context.Context, version int64, cfg appliance.Config) error
}

// Downlink checks and applies signed catalogs and configs, and answers each
// with a retained config-ack: applied, or rejected with the reason. A
// rejected push changes nothing: the till keeps running what it has.
type Downlink struct {
	Store, Till string
	// Trust is the head-office key envelopes must be signed with; the
	// rotation chain on wire.KeysTopic moves it.
	Trust *Trust
	Apply Applier
	// Publish sends a config-ack (retained, QoS 1).
	Publish    func(ctx context.Context, topic string, payload []byte) error
	MaxCatalog int64 // decompressed bytes; default 256 MiB
	MaxConfig  int64 // default 1 MiB
	Now        func() time.Time
	Log        *slog.Logger

	// badSig keeps, per topic, the last envelope refused for its
	// signature: retained messages come once per subscription, so one
	// signed by a key the chain has not brought yet is tried again when
	// it does. Only Handle's goroutine touches it.
	badSig map[string]mqttconn.Message
}

func (d *Downlink) kindOf(topic string) string {
	switch topic {
	case wire.KeysTopic:
		return wire.KindKey
	case wire.CatalogTopic(d.Store):
		return wire.KindCatalog
	case wire.StoreConfigTopic(d.Store), wire.TillConfigTopic(d.Store, d.Till), wire.AllConfigTopic:
		return wire.KindConfig
	}
	return ""
}

// Handle processes one message from a catalog or config topic. Retained
// messages come again on every reconnect: one at the version already
// running is ignored quietly.
func (d *Downlink) Handle(ctx context.Context, m mqttconn.Message) {
	kind := d.kindOf(m.Topic)
	if kind == "" || len(m.Payload) == 0 {
		return // not ours, or a cleared retained message
	}
	if kind == wire.KindKey {
		d.rotate(ctx, m)
		return
	}
	max := d.MaxConfig
	if max == 0 {
		max = 1 << 20
	}
	if kind == wire.KindCatalog {
		if max = d.MaxCatalog; max == 0 {
			max = 256 << 20
		}
	}
	key, _ := d.Trust.Key()
	env, body, err := wire.Open(m.Payload, key, max)
	if errors.Is(err, wire.ErrBadSignature) {
		if d.badSig == nil {
			d.badSig = map[string]mqttconn.Message{}
		}
		d.badSig[m.Topic] = m
	} else {
		delete(d.badSig, m.Topic)
	}
	version := int64(0)
	if env != nil {
		version = env.Version
	}
	if err == nil {
		err = d.check(env, kind)
	}
	if errors.Is(err, errSame) {
		return
	}
	if err == nil {
		err = d.apply(ctx, kind, env.Version, body)
	}
	ack := wire.ConfigAck{V: wire.Version, Store: d.Store, Till: d.Till, Kind: kind, Version: version, Status: "applied", Time: d.now()}
	if err != nil {
		ack.Status, ack.Reason = "rejected", reason(err)
		d.log().Warn("push rejected", "topic", m.Topic, "kind", kind, "version", version, "err", err)
	} else {
		d.log().Info("push applied", "kind", kind, "version", version)
	}
	d.answer(ctx, ack)
}

func (d *Downlink) answer(ctx context.Context, ack wire.ConfigAck) {
	b, _ := json.Marshal(ack)
	if d.Publish != nil {
		if perr := d.Publish(ctx, wire.ConfigAckTopic(d.Store, d.Till), b); perr != nil {
			d.log().Warn("config-ack not sent", "err", perr)
		}
	}
}

// rotate follows head office's key chain and, when the key moved, tries
// again what was refused for its signature.
func (d *Downlink) rotate(ctx context.Context, m mqttconn.Message) {
	moved, version, err := d.Trust.Follow(m.Payload)
	if err != nil {
		d.log().Error("head office key rotation refused; the key stays", "err", err)
		d.answer(ctx, wire.ConfigAck{V: wire.Version, Store: d.Store, Till: d.Till, Kind: wire.KindKey, Version: version,
			Status: "rejected", Reason: reason(err), Time: d.now()})
		return
	}
	if !moved {
		return
	}
	d.log().Info("head office signing key rotated", "version", version)
	d.answer(ctx, wire.ConfigAck{V: wire.Version, Store: d.Store, Till: d.Till, Kind: wire.KindKey, Version: version,
		Status: "applied", Time: d.now()})
	retry := d.badSig
	d.badSig = nil
	for _, old := range retry {
		d.Handle(ctx, old)
	}
}

var errSame = errors.New("same version")

func (d *Downlink) check(env *wire.Envelope, kind string) error {
	if env.Kind != kind {
		return fmt.Errorf("%w: %s envelope on a %s topic", wire.ErrMalformed, env.Kind, kind)
	}
	if !env.For(d.Store, d.Till) {
		return fmt.Errorf("%w: for %s/%s", wire.ErrForeign, env.Store, env.Till)
	}
	catalog, config := d.Apply.Versions()
	running := config
	if kind == wire.KindCatalog {
		running = catalog
	}
	switch {
	case env.Version == running:
		return errSame
	case env.Version < running:
		return fmt.Errorf("%w: %d, running %d", wire.ErrOldVersion, env.Version, running)
	}
	return nil
}

func (d *Downlink) apply(ctx context.Context, kind string, version int64, body []byte) error {
	switch kind {
	case wire.KindCatalog:
		var c wire.CatalogBody
		if err := json.Unmarshal(body, &c); err != nil {
			return fmt.Errorf("%w: catalog: %v", wire.ErrMalformed, err)
		}
		if len(c.Products) == 0 {
			return fmt.Errorf("%w: empty catalog", wire.ErrMalformed)
		}
		return d.Apply.ApplyCatalog(ctx, version, c.Products)
	default:
		cfg := appliance.DefaultConfig()
		if err := json.Unmarshal(body, &cfg); err != nil {
			return fmt.Errorf("%w: config: %v", wire.ErrMalformed, err)
		}
		return d.Apply.ApplyConfig(ctx, version, cfg)
	}
}

// reason is the code head office sees: a wire reason, or "invalid: …" for
// content the till refused.
func reason(err error) string {
	if r := wire.Reason(err); r != "error" {
		return r
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return "invalid: " + msg
}

func (d *Downlink) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Downlink) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}
