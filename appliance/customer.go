package appliance

import (
	"context"
	"time"
)

// CustomerView is what the customer sees, on the pole display and on the
// customer-facing page: the items as they are scanned and the total, then
// what was paid and the change, and a greeting when the till is idle.
type CustomerView struct {
	Seq       int64          `json:"seq"`   // grows with every change
	State     string         `json:"state"` // idle, cart, paid
	StoreName string         `json:"store_name"`
	Lines     []CustomerLine `json:"lines"`
	Last      *CustomerLine  `json:"last,omitempty"` // the line scanned last
	Total     Rupiah         `json:"total"`
	Paid      Rupiah         `json:"paid,omitempty"`
	Change    Rupiah         `json:"change,omitempty"`
	Number    string         `json:"number,omitempty"` // the receipt number, once paid
	// While paying by QRIS: the code to scan and the amount it carries.
	QR       string `json:"qr,omitempty"`
	QRAmount Rupiah `json:"qr_amount,omitempty"`
}

// Customer view states.
const (
	CustomerIdle   = "idle"
	CustomerCart   = "cart"
	CustomerPaying = "paying" // a QRIS code is up for the customer to scan
	CustomerPaid   = "paid"
)

// CustomerLine is one line as the customer sees it.
type CustomerLine struct {
	Name      string `json:"name"`
	Qty       Qty    `json:"qty"`
	Unit      string `json:"unit"`
	UnitPrice Rupiah `json:"unit_price"`
	Net       Rupiah `json:"net"`
}

// customerHub holds the view and wakes the screens that wait for a change.
type customerHub struct {
	view    CustomerView
	changed chan struct{} // closed and replaced on every change
}

// showCustomer publishes v. Callers hold t.mu.
func (t *Till) showCustomer(v CustomerView) {
	v.Seq = t.customer.view.Seq + 1
	if v.Lines == nil {
		v.Lines = []CustomerLine{}
	}
	t.customer.view = v
	close(t.customer.changed)
	t.customer.changed = make(chan struct{})
	if t.onCustomer != nil {
		t.onCustomer(v)
	}
}

// showCart shows the cart in progress, or the greeting when it is empty.
// Callers hold t.mu.
func (t *Till) showCart(cv CartView) {
	if len(cv.Lines) == 0 {
		if t.customer.view.State == CustomerPaid {
			return // the last sale's change stays up until the next scan
		}
		t.showCustomer(CustomerView{State: CustomerIdle})
		return
	}
	t.showCustomer(customerCart(cv))
}

func customerCart(cv CartView) CustomerView {
	v := CustomerView{State: CustomerCart, Total: cv.Total}
	last := 0
	for i, l := range cv.Lines {
		v.Lines = append(v.Lines, CustomerLine{Name: l.Name, Qty: l.Qty, Unit: l.Unit, UnitPrice: l.UnitPrice, Net: l.Net})
		if l.ID > cv.Lines[last].ID {
			last = i
		}
	}
	if len(v.Lines) > 0 {
		v.Last = &v.Lines[last]
	}
	return v
}

// showQR shows the cart with a QRIS code to scan. Callers hold t.mu.
func (t *Till) showQR(payload string, amount Rupiah) {
	v := customerCart(t.view(context.Background()))
	v.State, v.QR, v.QRAmount = CustomerPaying, payload, amount
	t.showCustomer(v)
}

// hideQR takes a QRIS code down again, back to the cart. Callers hold t.mu.
func (t *Till) hideQR() {
	if t.customer.view.State == CustomerPaying {
		t.showCart(t.view(context.Background()))
	}
}

// showPaid shows what was paid and the change. Callers hold t.mu.
func (t *Till) showPaid(s *Sale) {
	v := CustomerView{State: CustomerPaid, Total: s.Total + s.Rounding, Paid: s.Paid, Change: s.Change, Number: s.Number}
	for _, l := range s.Lines {
		v.Lines = append(v.Lines, CustomerLine{Name: l.Name, Qty: l.Qty, Unit: l.Unit, UnitPrice: l.UnitPrice, Net: l.Net})
	}
	t.showCustomer(v)
	seq := t.customer.view.Seq
	time.AfterFunc(CustomerIdleAfter, func() { t.IdleCustomer(seq) })
}

// Customer returns the customer's view now, and a channel that is closed
// when it changes.
func (t *Till) Customer() (CustomerView, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := t.customer.view
	v.StoreName = t.cfg.StoreName
	return v, t.customer.changed
}

// IdleCustomer puts the greeting back after a paid sale's change has been
// shown for a while; it does nothing once a new cart has started.
func (t *Till) IdleCustomer(seq int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.customer.view.Seq == seq && t.customer.view.State == CustomerPaid {
		t.showCustomer(CustomerView{State: CustomerIdle})
	}
}

// WaitCustomer waits until the view has a Seq above after, or ctx ends, and
// returns the view then.
func (t *Till) WaitCustomer(ctx context.Context, after int64) CustomerView {
	for {
		v, changed := t.Customer()
		if v.Seq > after {
			return v
		}
		select {
		case <-ctx.Done():
			return v
		case <-changed:
		}
	}
}

// CustomerIdleAfter is how long the change of a paid sale stays up before
// the greeting comes back.
const CustomerIdleAfter = 30 * time.Second
