package qris_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
	"github.com/kasirpos/kasir/appliance/qris/qristest"
)

// The tests run in a synctest bubble: time.Now and the Waiter's ticker use
// the bubble's fake clock, so nothing sleeps and the times are exact.

func create(t *testing.T, p *qristest.Provider, ref string, expiry time.Duration) qris.Charge {
	t.Helper()
	c, err := p.Create(t.Context(), qris.ChargeRequest{Reference: ref, Amount: 12500, Expiry: expiry, Terminal: "KASIR-01"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWaitPaid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &qristest.Provider{}
		c := create(t, p, "S1-1", 0)
		go func() {
			time.Sleep(5 * time.Second)
			p.Pay(c.ID)
		}()
		start := time.Now()
		w := qris.Waiter{Provider: p, Every: 2 * time.Second}
		got, err := w.Wait(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != qris.Paid || got.Late || got.Amount != 12500 {
			t.Errorf("Wait = %+v, want paid on time", got)
		}
		if d := time.Since(start); d != 6*time.Second {
			t.Errorf("paid at 5s seen at %s, want the poll at 6s", d)
		}
	})
}

func TestWaitWokenByNotification(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &qristest.Provider{}
		other := create(t, p, "S1-0", 0)
		c := create(t, p, "S1-1", 0)
		go func() {
			time.Sleep(time.Second)
			p.Cancel(context.Background(), other.ID) // a notification for another charge
			time.Sleep(4 * time.Second)
			p.Pay(c.ID)
		}()
		start := time.Now()
		w := qris.Waiter{Provider: p, Every: time.Hour, Notifications: p.Notifications()}
		got, err := w.Wait(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != qris.Paid || time.Since(start) != 5*time.Second {
			t.Errorf("Wait = %s after %s, want paid after 5s", got.State, time.Since(start))
		}
	})
}

func TestWaitThroughConnectionLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &qristest.Provider{}
		c := create(t, p, "S1-1", 0)
		p.SetDown(true)
		go func() {
			time.Sleep(3 * time.Second)
			p.Pay(c.ID) // the customer's bank works; the till's line does not
			time.Sleep(4 * time.Second)
			p.SetDown(false)
		}()
		var errs []error
		w := qris.Waiter{Provider: p, Every: 2 * time.Second, OnError: func(err error) { errs = append(errs, err) }}
		got, err := w.Wait(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != qris.Paid {
			t.Errorf("Wait = %+v, want paid", got)
		}
		if len(errs) != 4 { // polls at 0, 2, 4 and 6s fail; 8s succeeds
			t.Errorf("OnError heard %d errors, want 4: %v", len(errs), errs)
		}
		for _, err := range errs {
			if !errors.Is(err, qris.ErrUnreachable) {
				t.Errorf("OnError(%v), want ErrUnreachable", err)
			}
		}
		// Retrying create with the same reference gives the same charge.
		again := create(t, p, "S1-1", 0)
		if again.ID != c.ID || len(p.Charges()) != 1 {
			t.Errorf("second create made %s (%d charges), want %s only", again.ID, len(p.Charges()), c.ID)
		}
	})
}

func TestWaitTimeoutCancelThenLatePayment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &qristest.Provider{}
		c := create(t, p, "S1-1", 0)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		w := qris.Waiter{Provider: p}
		got, err := w.Wait(ctx, c.ID)
		if !errors.Is(err, context.DeadlineExceeded) || got.ID != c.ID || got.State != qris.Pending {
			t.Fatalf("Wait = %+v, %v; want the pending charge and a deadline", got, err)
		}
		cancelled, err := p.Cancel(t.Context(), c.ID)
		if err != nil || cancelled.State != qris.Cancelled {
			t.Fatalf("Cancel = %+v, %v", cancelled, err)
		}
		time.Sleep(time.Minute)
		p.Pay(c.ID)
		late, err := p.Status(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if late.State != qris.Paid || !late.Late || !late.ClosedAt.Equal(cancelled.ClosedAt) || !late.PaidAt.After(late.ClosedAt) {
			t.Errorf("Status = %+v, want a late payment after the cancel", late)
		}
	})
}

func TestWaitExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &qristest.Provider{}
		c := create(t, p, "S1-1", time.Minute)
		w := qris.Waiter{Provider: p, Every: 2 * time.Second}
		got, err := w.Wait(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != qris.Expired || !got.ClosedAt.Equal(c.ExpiresAt) {
			t.Errorf("Wait = %+v, want expired at %s", got, c.ExpiresAt)
		}
	})
}

func TestWaitUnknownCharge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := qris.Waiter{Provider: &qristest.Provider{}}
		_, err := w.Wait(t.Context(), "qr-404")
		if !errors.Is(err, qris.ErrNotFound) {
			t.Errorf("Wait = %v, want ErrNotFound", err)
		}
	})
}
