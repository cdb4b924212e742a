package appliance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// TillOptions are what a Till is built from. Store, Catalog, Printer and
// Drawer are required; Now defaults to time.Now; Online reports whether the
// uplink is connected (nil: never).
type TillOptions struct {
	Store   Store
	Catalog CatalogStore
	Printer Printer
	Drawer  Drawer
	Now     Clock
	Online  func() bool
	Log     *slog.Logger
	Version string // software version, for status
	// Config is used when the store holds none; nil means DefaultConfig.
	Config *Config
	// OnCommit is called after every committed record, with the till's
	// lock held: it must not block (the uplink's Kick).
	OnCommit func()
	// OnCustomer is called with t's lock held whenever what the customer
	// sees changes (the pole display); it must not block.
	OnCustomer func(CustomerView)
	// ReceiptWidth is the printer's characters per line. When set it wins
	// over the config's receipt_width: head office sets that for a fleet
	// whose printers differ, and a receipt wider than its paper cannot print.
	ReceiptWidth int
	// Devices, if set, reports the other peripherals (pole display,
	// scanners) for the status strip.
	Devices func() []DeviceStatus
	// ClockTrusted reports whether the system clock is known to be right
	// (NTP has synchronised). Once it says yes the till trusts its clock
	// until it stops; nil means always trusted.
	ClockTrusted func() bool
}

// Till is the till's service: everything a cashier or supervisor does goes
// through it. It serialises the till's actions with one mutex: a till has
// one cashier at a time, and the order of actions is the order of the
// journal.
type Till struct {
	store      Store
	catalog    CatalogStore
	printer    Printer
	drawer     Drawer
	now        Clock
	online     func() bool
	onCommit   func()
	onCustomer func(CustomerView)
	paperWidth int
	devices    func() []DeviceStatus
	log        *slog.Logger
	version    string

	mu       sync.Mutex
	cfg      Config
	cart     *Cart
	shift    *Shift // the open shift, or nil
	sessions map[string]*session

	lockouts map[string]*lockout

	spool    spoolLock // one print run at a time
	customer customerHub
	lastKick kick

	lastTime    time.Time // newest record's time: the clock floor
	clockBehind bool
	clockCheck  func() bool // nil: trusted
	clockTrust  bool        // latched once clockCheck said yes

	qris *qrisLink // dynamic QRIS, nil when not set up
}

type session struct {
	user     User
	lastSeen time.Time
}

// NewTill loads the till's state from its store: config, the cart in
// progress, the open shift and the time of the last record.
func NewTill(ctx context.Context, o TillOptions) (*Till, error) {
	if o.Store == nil || o.Catalog == nil || o.Printer == nil || o.Drawer == nil {
		return nil, errors.New("appliance: NewTill needs a store, catalog, printer and drawer")
	}
	t := &Till{
		store: o.Store, catalog: o.Catalog, printer: o.Printer, drawer: o.Drawer,
		now: o.Now, online: o.Online, onCommit: o.OnCommit, log: o.Log, version: o.Version,
		sessions: map[string]*session{}, lockouts: map[string]*lockout{},
		spool: make(spoolLock, 1), onCustomer: o.OnCustomer, paperWidth: o.ReceiptWidth, devices: o.Devices,
		clockCheck: o.ClockTrusted, clockTrust: o.ClockTrusted == nil,
		customer: customerHub{view: CustomerView{State: CustomerIdle, Lines: []CustomerLine{}}, changed: make(chan struct{})},
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.online == nil {
		t.online = func() bool { return false }
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.log = t.log.With("component", "till")

	cfg, err := o.Store.Config(ctx)
	switch {
	case errors.Is(err, ErrNotFound):
		cfg = DefaultConfig()
		if o.Config != nil {
			cfg = *o.Config
		}
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		if err := o.Store.PutConfig(ctx, cfg); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	t.setConfig(cfg)

	if sh, err := o.Store.CurrentShift(ctx); err == nil {
		t.shift = sh
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if t.lastTime, err = o.Store.LastRecordTime(ctx); err != nil {
		return nil, err
	}
	if err := t.loadCart(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// loadCart picks up the cart that was in progress when the till stopped.
func (t *Till) loadCart(ctx context.Context) error {
	carts, err := t.store.Carts(ctx)
	if err != nil {
		return err
	}
	for i := range carts {
		c := carts[i]
		if c.Parked {
			continue
		}
		if t.cart == nil || c.Updated.After(t.cart.Updated) {
			if t.cart != nil && len(t.cart.Lines) > 0 {
				// Two carts in progress cannot happen in normal use; keep
				// the older one as parked rather than lose it.
				t.cart.Parked, t.cart.ParkedAt = true, t.now()
				if err := t.store.SaveCart(ctx, t.cart); err != nil {
					return err
				}
			}
			t.cart = &c
		}
	}
	if t.cart == nil {
		t.cart = t.newCart("")
	}
	return nil
}

// Config returns a copy of the running config.
func (t *Till) Config() Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cfg
}

// Now is the till's clock.
func (t *Till) Now() time.Time { return t.now() }

// Logger returns the till's logger.
func (t *Till) Logger() *slog.Logger { return t.log }

func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// stamp returns the time for a new record. A till without a battery clock
// can boot with a clock in the past; a record is never dated before the one
// before it, and is flagged when its time was held.
func (t *Till) stamp() (time.Time, bool) {
	now := t.now()
	if now.Before(t.lastTime) {
		if !t.clockBehind {
			t.log.Warn("clock behind last record", "now", now, "last", t.lastTime)
		}
		t.clockBehind = true
		return t.lastTime, true
	}
	t.clockBehind = false
	t.lastTime = now
	return now, false
}

// trustClock reports whether the clock is trusted, latching the first yes:
// a clock NTP once set stays good enough for the rest of the run. Callers
// hold t.mu.
func (t *Till) trustClock() bool {
	if !t.clockTrust && t.clockCheck() {
		t.clockTrust = true
		t.log.Info("clock trusted", "now", t.now())
	}
	return t.clockTrust
}

// ClockTrusted reports whether the till trusts its clock now.
func (t *Till) ClockTrusted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.trustClock()
}

// HQClockSkew is how far the till's clock may be from a fresh head-office
// time and still count as right.
const HQClockSkew = 2 * time.Minute

// SeenHQTime takes a time head office stamped just now (say, on an ack of
// a batch the till has just sent): when the till's clock agrees within
// HQClockSkew, the clock is trusted from then on. It reports whether the
// clock is trusted. A stale time (a retained message) must not be passed.
func (t *Till) SeenHQTime(hq time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.clockTrust {
		if d := t.now().Sub(hq); d <= HQClockSkew && d >= -HQClockSkew {
			t.clockTrust = true
			t.log.Info("clock trusted: head office agrees", "now", t.now(), "hq", hq)
		}
	}
	return t.trustClock()
}

// commit writes a record and keeps the clock floor.
func (t *Till) commit(ctx context.Context, rec *Record) error {
	rec.Store, rec.Till = t.cfg.Store, t.cfg.Till
	if err := t.store.Commit(ctx, rec); err != nil {
		t.log.Error("commit failed", "kind", rec.Kind, "err", err)
		var e *Error
		if errors.As(err, &e) {
			return err
		}
		return Wrap(CodeStoreFailed, err, "commit %s", rec.Kind)
	}
	t.log.Info("committed", "kind", rec.Kind, "seq", rec.Seq, "ref", rec.Ref(), "user", rec.UserID)
	if t.onCommit != nil {
		t.onCommit()
	}
	return nil
}

// setConfig makes cfg the running config, with the printer's width.
// Callers hold t.mu (or own t, in NewTill).
func (t *Till) setConfig(cfg Config) {
	if t.paperWidth > 0 {
		cfg.ReceiptWidth = t.paperWidth
	}
	t.cfg = cfg
}

// receiptOf returns the function the store calls, inside the commit and after
// the document got its number, to queue its receipt in the same transaction.
// Callers hold t.mu.
func (t *Till) receiptOf(s *Sale) func() *Receipt {
	cfg := t.cfg
	return func() *Receipt { return SaleReceipt(s, &cfg, false) }
}
