// Package qristest provides an in-memory qris.Provider: the charge rules a
// real provider keeps (idempotent create by reference, expiry, cancel, late
// payment after cancel or expiry), with controls for a test to play the
// customer's phone and to take the provider offline. qrisprovider's Sandbox
// serves it over HTTP.
package qristest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
)

// Static is a plausible static QRIS for a shop "TOKO KASIR" in Jakarta, for
// tests and the demo.
const Static = "00020101021126650019ID.CO.BANKKASIR.WWW011893600999000012345602090001234560303UMI" +
	"51440014ID.CO.QRIS.WWW0215ID10261234567890303UMI" +
	"5204541153033605802ID5910TOKO KASIR6007JAKARTA61051011062110707KASIR01" + "6304524F"

// Defaults for the zero Provider.
const (
	DefaultExpiry    = 5 * time.Minute
	DefaultMaxAmount = 10_000_000 // Rp 10 juta, the QRIS per-transaction limit
	MaxExpiry        = 24 * time.Hour
	maxReference     = 64
)

// Provider is an in-memory payment provider. The zero value works: it uses
// Static, the real clock, DefaultExpiry and DefaultMaxAmount. Set the fields
// before first use.
type Provider struct {
	Static        *qris.Payload    // merchant code the charges' payloads derive from
	Now           func() time.Time // clock; tests inject one
	DefaultExpiry time.Duration
	MaxAmount     int64 // larger amounts are declined

	mu      sync.Mutex
	charges map[string]*qris.Charge
	byRef   map[string]string
	order   []string
	down    bool
	notes   chan qris.Charge
	prefix  string // random per Provider, so ids stay unique across restarts
}

var _ qris.Provider = (*Provider)(nil)
var _ qris.Notifier = (*Provider)(nil)

func (p *Provider) init() {
	if p.charges == nil {
		p.charges = map[string]*qris.Charge{}
		p.byRef = map[string]string{}
		p.notes = make(chan qris.Charge, 64)
		var b [3]byte
		rand.Read(b[:])
		p.prefix = hex.EncodeToString(b[:])
	}
	if p.Static == nil {
		s, err := qris.Parse(Static)
		if err != nil {
			panic(err)
		}
		p.Static = s
	}
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// SetDown makes every Provider method fail with qris.ErrUnreachable (true)
// or work again (false). Pay still works: the customer's bank is not cut off
// when the till is.
func (p *Provider) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

func (p *Provider) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.init()
	if p.down {
		return fmt.Errorf("%w: qristest: provider is down", qris.ErrUnreachable)
	}
	return nil
}

// Create implements qris.Provider.
func (p *Provider) Create(ctx context.Context, req qris.ChargeRequest) (qris.Charge, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.check(ctx); err != nil {
		return qris.Charge{}, err
	}
	if err := p.validate(req); err != nil {
		return qris.Charge{}, err
	}
	if id, ok := p.byRef[req.Reference]; ok {
		c := p.get(id)
		if c.Amount != req.Amount {
			return qris.Charge{}, fmt.Errorf("%w: reference %s has a charge of %d", qris.ErrConflict, req.Reference, c.Amount)
		}
		return *c, nil
	}
	expiry := req.Expiry
	if expiry == 0 {
		expiry = p.DefaultExpiry
	}
	if expiry == 0 {
		expiry = DefaultExpiry
	}
	id := fmt.Sprintf("qr-%s-%06d", p.prefix, len(p.order)+1)
	payload, err := p.Static.WithAmount(req.Amount, req.Terminal, id)
	if err != nil {
		return qris.Charge{}, fmt.Errorf("%w: %v", qris.ErrDeclined, err)
	}
	now := p.now()
	c := &qris.Charge{ID: id, Reference: req.Reference, Amount: req.Amount, Payload: payload,
		State: qris.Pending, CreatedAt: now, ExpiresAt: now.Add(expiry)}
	p.charges[id] = c
	p.byRef[req.Reference] = id
	p.order = append(p.order, id)
	return *c, nil
}

func (p *Provider) validate(req qris.ChargeRequest) error {
	max := p.MaxAmount
	if max == 0 {
		max = DefaultMaxAmount
	}
	switch {
	case req.Reference == "" || len(req.Reference) > maxReference:
		return fmt.Errorf("%w: reference must have 1 to %d characters", qris.ErrDeclined, maxReference)
	case req.Amount <= 0 || req.Amount > max:
		return fmt.Errorf("%w: amount %d is not from 1 to %d", qris.ErrDeclined, req.Amount, max)
	case req.Expiry < 0 || req.Expiry > MaxExpiry:
		return fmt.Errorf("%w: expiry %s is not from 0 to %s", qris.ErrDeclined, req.Expiry, MaxExpiry)
	case len(req.Terminal) > qris.MaxLabel:
		return fmt.Errorf("%w: terminal %q is longer than %d", qris.ErrDeclined, req.Terminal, qris.MaxLabel)
	}
	return nil
}

// get returns the charge with its expiry applied, or nil.
func (p *Provider) get(id string) *qris.Charge {
	c := p.charges[id]
	if c != nil && c.State == qris.Pending && !p.now().Before(c.ExpiresAt) {
		c.State = qris.Expired
		c.ClosedAt = c.ExpiresAt
		p.notify(*c)
	}
	return c
}

func (p *Provider) notify(c qris.Charge) {
	select {
	case p.notes <- c:
	default: // nobody listening fast enough: polling finds it
	}
}

// Status implements qris.Provider.
func (p *Provider) Status(ctx context.Context, id string) (qris.Charge, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.check(ctx); err != nil {
		return qris.Charge{}, err
	}
	c := p.get(id)
	if c == nil {
		return qris.Charge{}, fmt.Errorf("%w: %s", qris.ErrNotFound, id)
	}
	return *c, nil
}

// Cancel implements qris.Provider.
func (p *Provider) Cancel(ctx context.Context, id string) (qris.Charge, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.check(ctx); err != nil {
		return qris.Charge{}, err
	}
	c := p.get(id)
	if c == nil {
		return qris.Charge{}, fmt.Errorf("%w: %s", qris.ErrNotFound, id)
	}
	if c.State == qris.Pending {
		c.State = qris.Cancelled
		c.ClosedAt = p.now()
		p.notify(*c)
	}
	return *c, nil
}

// Pay is the customer paying charge id from their phone. A pending charge
// becomes Paid; a cancelled or expired one becomes Paid with Late set, as a
// real provider reports money that arrived after the till gave up. Paying a
// paid charge changes nothing. Pay works while the provider is down for the
// till.
func (p *Provider) Pay(id string) (qris.Charge, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	c := p.get(id)
	if c == nil {
		return qris.Charge{}, fmt.Errorf("%w: %s", qris.ErrNotFound, id)
	}
	if c.State != qris.Paid {
		c.Late = c.State != qris.Pending
		c.State = qris.Paid
		c.PaidAt = p.now()
		p.notify(*c)
	}
	return *c, nil
}

// Charges returns every charge ever created, oldest first, with expiry applied.
func (p *Provider) Charges() []qris.Charge {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	out := make([]qris.Charge, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, *p.get(id))
	}
	return out
}

// ByReference returns the charge for a reference.
func (p *Provider) ByReference(ref string) (qris.Charge, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	id, ok := p.byRef[ref]
	if !ok {
		return qris.Charge{}, false
	}
	return *p.get(id), true
}

// Notifications implements qris.Notifier: every change of state, as it
// happens (expiry when it is noticed). Sends never block; a full channel
// drops the update.
func (p *Provider) Notifications() <-chan qris.Charge {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	return p.notes
}
