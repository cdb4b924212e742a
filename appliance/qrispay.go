package appliance

import (
	"context"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
)

// QRISCode is the code the customer scans for one payment: the shop's
// static QRIS with the amount (offline, the cashier confirms) or a dynamic
// charge's code (the provider confirms).
type QRISCode struct {
	Method    string `json:"method"`
	Payload   string `json:"payload"` // the QRIS string to show as a QR code
	Amount    Rupiah `json:"amount"`
	Terminal  string `json:"terminal,omitempty"`
	Reference string `json:"reference"`
	CartID    string `json:"cart_id"`
	Merchant  string `json:"merchant,omitempty"`
}

// QRISAttempt is one dynamic QRIS charge the till asked a provider for. It
// is stored before the provider is asked, so a crash between the request
// and its answer cannot forget a charge the provider made, and it is
// followed until the charge is settled: paid into a sale, recorded as late
// money for head office, or closed past the time a late payment can come.
type QRISAttempt struct {
	Reference string    `json:"reference"` // the till's id and the provider's idempotency key: cart id and attempt number
	CartID    string    `json:"cart_id"`
	Method    string    `json:"method"`
	Amount    Rupiah    `json:"amount"`
	Tenders   []Payment `json:"tenders,omitempty"` // the sale's other tenders, taken with the charge
	UserID    string    `json:"user_id"`
	UserName  string    `json:"user_name"`
	// ApprovedBy is the supervisor who approved an amount above the cap.
	ApprovedBy string `json:"approved_by,omitempty"`

	ChargeID  string     `json:"charge_id,omitempty"` // empty until the provider answered Create
	Payload   string     `json:"payload,omitempty"`
	State     qris.State `json:"state,omitempty"` // the provider's last word; empty before it
	Late      bool       `json:"late,omitempty"`
	ExpiresAt time.Time  `json:"expires_at,omitzero"`
	PaidAt    time.Time  `json:"paid_at,omitzero"`
	ClosedAt  time.Time  `json:"closed_at,omitzero"`
	Created   time.Time  `json:"created"`
	Updated   time.Time  `json:"updated"`

	// Abandoned is set when the till gave up on the charge (the cashier
	// cancelled or switched method, Create failed): a pending charge is
	// then cancelled by the reconciler.
	Abandoned bool `json:"abandoned,omitempty"`
	// Sale is the receipt number of the sale the charge paid.
	Sale string `json:"sale,omitempty"`
	// LateSeq is the sequence number of the qris_late record that
	// accounts for money no sale took.
	LateSeq int64 `json:"late_seq,omitempty"`
	// Done is set when nothing more can happen to the charge that the till
	// must hear about.
	Done bool `json:"done,omitempty"`
	// NextCheck is when the reconciler next asks about a closed charge
	// (cancelled or expired, not paid): the wait doubles from
	// QRISOptions.RecheckMin to RecheckMax. A notification asks at once.
	NextCheck time.Time `json:"next_check,omitzero"`
	// Ack is the supervisor's decision on late money (a qris_late_ack
	// record); an acknowledged entry leaves the open list.
	Ack *QRISLateAck `json:"ack,omitempty"`
}

// Decisions a supervisor takes on late QRIS money.
const (
	// LateRefunded: the money went back to the customer outside the till
	// (the merchant's app or a bank transfer).
	LateRefunded = "refunded"
	// LateAttached: the money belongs to a sale on record, named by its
	// receipt number (the customer paid twice, or paid the cancelled code
	// and the cashier took another method for the same goods).
	LateAttached = "attached"
)

// QRISLateAck is a supervisor's acknowledgement of a late QRIS payment.
type QRISLateAck struct {
	Decision       string    `json:"decision"`       // LateRefunded or LateAttached
	Sale           string    `json:"sale,omitempty"` // receipt number, for LateAttached
	Note           string    `json:"note,omitempty"`
	SupervisorID   string    `json:"supervisor_id"`
	SupervisorName string    `json:"supervisor_name"`
	Time           time.Time `json:"time"`
	Seq            int64     `json:"seq"` // of the qris_late_ack record
}

// Settled reports whether a committed record accounts for the charge's money.
func (a *QRISAttempt) Settled() bool { return a.Sale != "" || a.LateSeq != 0 }

// QRISStore keeps dynamic QRIS attempts. An attempt that a record settles
// is written by Store.Commit in the record's transaction (Record.QRIS).
//
// Errors: ErrNotFound for an unknown reference; anything else is the disk.
type QRISStore interface {
	// PutQRISAttempt inserts or replaces the attempt with a.Reference.
	PutQRISAttempt(ctx context.Context, a *QRISAttempt) error
	QRISAttempt(ctx context.Context, reference string) (*QRISAttempt, error)
	// OpenQRISAttempts returns the attempts not Done, oldest first.
	OpenQRISAttempts(ctx context.Context) ([]QRISAttempt, error)
	// CartQRISAttempts returns a cart's attempts, oldest first.
	CartQRISAttempts(ctx context.Context, cartID string) ([]QRISAttempt, error)
	// LateQRIS returns the attempts recorded as late money and not yet
	// acknowledged (Ack nil), newest first.
	LateQRIS(ctx context.Context, limit int) ([]QRISAttempt, error)
}

// QRISOptions connect the till to a dynamic QRIS provider.
type QRISOptions struct {
	Provider qris.Provider
	Store    QRISStore
	// Online says whether dynamic QRIS can be offered now; nil means the
	// till's own Online (its link to head office).
	Online func() bool
	// Timeout bounds each call to the provider (10 s if zero). The cashier
	// waits this long at most before being told to use another method.
	Timeout time.Duration
	// LateWindow is how long after a charge closed the till keeps asking
	// whether it was paid after all (24 h if zero).
	LateWindow time.Duration
	// RecheckMin and RecheckMax bound the wait between two questions about
	// a closed charge: it starts at RecheckMin (30 s if zero) and doubles up
	// to RecheckMax (30 min if zero).
	RecheckMin, RecheckMax time.Duration
}

// qrisLink is the till's dynamic QRIS connection; nil when none is set up.
type qrisLink struct {
	QRISOptions
}

// UseQRIS sets up dynamic QRIS. Call it before serving; without it the
// dynamic method answers that it is not set up (static QRIS needs nothing).
func (t *Till) UseQRIS(o QRISOptions) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.LateWindow <= 0 {
		o.LateWindow = 24 * time.Hour
	}
	if o.RecheckMin <= 0 {
		o.RecheckMin = 30 * time.Second
	}
	if o.RecheckMax <= 0 {
		o.RecheckMax = 30 * time.Minute
	}
	if o.RecheckMax < o.RecheckMin {
		o.RecheckMax = o.RecheckMin
	}
	if o.Online == nil {
		o.Online = t.online
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.qris = &qrisLink{o}
}

// qrisTerminal is the terminal label in a sale's code: the store and till
// codes, as the merchant's app lists them.
func qrisTerminal(cfg *Config) string {
	s := cfg.Store + "-" + cfg.Till
	if len(s) > qris.MaxLabel {
		s = cfg.Till
	}
	if len(s) > qris.MaxLabel {
		s = s[:qris.MaxLabel]
	}
	return s
}
