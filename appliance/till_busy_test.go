package appliance_test

import (
	"testing"

	"github.com/kasirpos/kasir/appliance"
)

func busy(t *testing.T, f *fixture) string {
	t.Helper()
	b, reason, err := f.till.Busy(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b != (reason != "") {
		t.Fatalf("Busy = %v with reason %q", b, reason)
	}
	return reason
}

// An update must wait while a cashier rings up a sale or a customer pays.
func TestBusy(t *testing.T) {
	f := newFixture(t, nil)
	if got := busy(t, f); got != "" {
		t.Fatalf("idle till busy: %q", got)
	}
	v := f.add(t, "AIR", 0)
	if got := busy(t, f); got != appliance.BusyCart {
		t.Errorf("with a line: %q, want %q", got, appliance.BusyCart)
	}
	if _, err := f.till.StaticQRIS(f.ctx, f.u, v.Cart.ID, "", 0); err != nil {
		t.Fatal(err)
	}
	if got := busy(t, f); got != appliance.BusyPayment {
		t.Errorf("static QRIS up: %q, want %q", got, appliance.BusyPayment)
	}
	f.till.HideQRIS()
	if _, err := f.till.Pay(f.ctx, f.u, v.Cart.ID, cash(5000)); err != nil {
		t.Fatal(err)
	}
	if got := busy(t, f); got != "" {
		t.Errorf("after the sale: %q", got)
	}
}

// A dynamic QRIS charge the customer may still pay keeps the till busy
// even when the cashier has left the QRIS screen.
func TestBusyDynamicQRIS(t *testing.T) {
	f := newQRISFixture(t)
	v := f.add(t, "AIR", 2000)
	st := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID})
	f.till.HideQRIS()
	if got := busy(t, f.fixture); got != appliance.BusyPayment {
		t.Errorf("open charge: %q, want %q", got, appliance.BusyPayment)
	}
	if _, err := f.till.CancelQRIS(f.ctx, st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	if got := busy(t, f.fixture); got != appliance.BusyCart {
		t.Errorf("cancelled charge: %q, want %q", got, appliance.BusyCart)
	}
}
