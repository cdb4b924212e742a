package appliance

import (
	"context"

	"github.com/kasirpos/kasir/appliance/qris"
)

// Why a till is busy: a software update must wait until neither holds.
const (
	BusyCart    = "cart_open" // the cart in progress has lines
	BusyPayment = "payment"   // a QRIS code is up or a dynamic QRIS charge is open
)

// Busy reports whether a cashier is in the middle of a sale, and why: the
// reason is BusyPayment, BusyCart or "". It reads only local state.
func (t *Till) Busy(ctx context.Context) (bool, string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.customer.view.State == CustomerPaying {
		return true, BusyPayment, nil
	}
	if t.qris != nil && t.cart != nil {
		as, err := t.qris.Store.CartQRISAttempts(ctx, t.cart.ID)
		if err != nil {
			return true, "", Wrap(CodeStoreFailed, err, "QRIS attempts of cart %s", t.cart.ID)
		}
		now := t.now()
		for _, a := range as {
			if a.Abandoned || a.Done || a.Settled() {
				continue
			}
			// Create sent with no answer yet, or a charge the customer
			// may still pay.
			if a.ChargeID == "" || a.State == qris.Pending && now.Before(a.ExpiresAt) {
				return true, BusyPayment, nil
			}
		}
	}
	if t.cart != nil && len(t.cart.Lines) > 0 {
		return true, BusyCart, nil
	}
	return false, "", nil
}
