package qris

import (
	"context"
	"errors"
	"time"
)

// Provider is a payment provider that issues dynamic QRIS charges: one code
// per sale, paid from the customer's banking or e-wallet app, confirmed by
// the provider. The till drives it; qrisprovider implements it over HTTP.
//
// Every method may return an error wrapping one of:
//   - ErrUnreachable: no answer (no connection, timeout, connection cut, a
//     5xx). The request may or may not have taken effect: retrying Create
//     with the same Reference is safe, and a charge whose Cancel failed this
//     way must be looked at again later. The till offers another method.
//   - ErrDeclined: the provider refused the request (bad amount, amount over
//     its limit, merchant not allowed). Retrying will not help.
//   - ErrConflict: Create with a Reference already used for another amount.
//   - ErrNotFound: no charge with that ID.
//
// A context that ends before the answer gives the context's error.
type Provider interface {
	// Create issues a charge, or returns the charge already issued for
	// req.Reference, whatever its state: the reference is the idempotency
	// key, so a retry after ErrUnreachable never makes a second charge.
	Create(ctx context.Context, req ChargeRequest) (Charge, error)
	// Status returns the charge as the provider knows it now.
	Status(ctx context.Context, id string) (Charge, error)
	// Cancel withdraws a pending charge and returns it. A charge that was
	// paid before the cancel arrived stays Paid: the till must then take
	// the payment. Cancelling a closed charge returns it unchanged.
	Cancel(ctx context.Context, id string) (Charge, error)
}

// Notifier is implemented by providers that push charge updates (a webhook).
// A push can be lost or arrive twice, so it only wakes the poller (see
// Waiter); the till believes Status.
type Notifier interface {
	Notifications() <-chan Charge
}

// ChargeRequest asks for a charge.
type ChargeRequest struct {
	// Reference is the till's own id for this payment attempt (sale or cart
	// id, plus an attempt number if the amount can change) and the
	// idempotency key.
	Reference string
	Amount    int64         // whole rupiah, more than zero
	Expiry    time.Duration // how long the code can be paid; 0 for the provider's default
	Terminal  string        // the till, printed in the code's terminal label; optional
}

// State is where a charge is in its life.
type State string

const (
	Pending   State = "pending"   // shown, not paid yet
	Paid      State = "paid"      // the money moved; see Charge.Late
	Expired   State = "expired"   // not paid in time
	Cancelled State = "cancelled" // withdrawn by the till
)

// Final reports whether the charge can no longer change by itself. A charge
// that is Expired or Cancelled can still turn Paid late (see Charge.Late),
// which is why the till keeps asking about closed charges it did not see paid
// until it has reconciled them.
func (s State) Final() bool { return s != Pending }

// Charge is one dynamic QRIS charge as the provider reports it.
type Charge struct {
	ID        string
	Reference string
	Amount    int64  // whole rupiah, as requested
	Payload   string // the QRIS string to show as a QR code
	State     State
	CreatedAt time.Time
	ExpiresAt time.Time
	PaidAt    time.Time // set when State is Paid
	// ClosedAt is when the charge was cancelled or expired, if it was.
	ClosedAt time.Time
	// Late is set on a Paid charge whose payment arrived after it had been
	// cancelled or had expired (ClosedAt is before PaidAt). The customer paid
	// for a sale the till closed some other way or abandoned: the till must
	// record it for reconciliation (refund or attach), never drop it.
	Late bool
}

var (
	ErrUnreachable = errors.New("qris: payment provider unreachable")
	ErrDeclined    = errors.New("qris: charge declined")
	ErrConflict    = errors.New("qris: reference already used for another amount")
	ErrNotFound    = errors.New("qris: charge not found")
)

var providerMessages = []struct {
	err error
	msg [2]string
}{
	{ErrUnreachable, [2]string{"Penyedia QRIS tidak dapat dihubungi. Gunakan cara bayar lain; tidak ada tagihan ganda.", "The QRIS provider cannot be reached. Use another payment method; nothing is charged twice."}},
	{ErrDeclined, [2]string{"Tagihan QRIS ditolak penyedia.", "The QRIS provider declined the charge."}},
	{ErrConflict, [2]string{"Referensi QRIS sudah dipakai untuk nominal lain.", "The QRIS reference was already used for another amount."}},
	{ErrNotFound, [2]string{"Tagihan QRIS tidak ditemukan.", "QRIS charge not found."}},
	{context.DeadlineExceeded, [2]string{"Waktu pembayaran QRIS habis.", "The QRIS payment timed out."}},
}
