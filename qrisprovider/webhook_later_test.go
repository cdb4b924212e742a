package qrisprovider_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
	"github.com/kasirpos/kasir/qrisprovider"
)

// TestSetWebhookLater: a sandbox made before its receiver listens (the demo
// till picks its port after the sandbox starts) is told the webhook later,
// and delivers signed notifications from then on.
func TestSetWebhookLater(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	hook := qrisprovider.NewWebhook("rahasia")
	hs := httptest.NewServer(hook)
	defer hs.Close()
	e.sandbox.SetWebhook(hs.URL, "rahasia")
	e.sandbox.SetWebhook(hs.URL, "rahasia") // twice: still one sender
	c := e.create(t, "S1-1", 12500)
	e.sandbox.Pay(c.ID)
	select {
	case n := <-hook.Notifications():
		if n.ID != c.ID || n.State != qris.Paid {
			t.Errorf("notification %+v", n)
		}
	case <-time.After(time.Minute): // a failsafe, not a measurement
		t.Fatal("no notification")
	}
	e.sandbox.Close()
	e.sandbox.SetWebhook(hs.URL, "rahasia") // after Close: nothing starts
}
