package qrisprovider_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
	"github.com/kasirpos/kasir/qrisprovider"
)

// post calls the sandbox's control API as the demo or a person would.
func post(t *testing.T, method, url, body string) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s", method, url, resp.Status, data)
	}
	return data
}

func TestCreatePayPaid(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	c := e.create(t, "S1-000123", 12500)
	if c.ID == "" || c.State != qris.Pending || c.Amount != 12500 || !c.ExpiresAt.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("Create = %+v", c)
	}
	// The QR string is a valid dynamic QRIS for the amount, labelled with
	// the till and the charge.
	p, err := qris.Parse(c.Payload)
	if err != nil {
		t.Fatalf("payload %q: %v", c.Payload, err)
	}
	if a, ok := p.Amount(); !ok || a != 12500 || !p.IsDynamic() || p.MerchantName() != "TOKO KASIR" {
		t.Errorf("payload %s: amount %d, dynamic %v", c.Payload, a, p.IsDynamic())
	}
	if ref, _ := p.Lookup("62.05"); ref != c.ID {
		t.Errorf("reference label %q, want %q", ref, c.ID)
	}
	if term, _ := p.Lookup("62.07"); term != "KASIR-01" {
		t.Errorf("terminal label %q", term)
	}
	if got := e.status(t, c.ID); got.State != qris.Pending {
		t.Errorf("Status before paying = %s", got.State)
	}
	e.clock.Add(30 * time.Second)
	var paid struct{ State string }
	json.Unmarshal(post(t, "POST", e.server.URL+"/sandbox/charges/"+c.ID+"/pay", ""), &paid)
	if paid.State != "paid" {
		t.Errorf("control pay answered %+v", paid)
	}
	got := e.status(t, c.ID)
	if got.State != qris.Paid || got.Late || !got.PaidAt.Equal(e.clock.Now()) || got.Amount != 12500 || got.Reference != "S1-000123" {
		t.Errorf("Status after paying = %+v", got)
	}
	// Cancelling a paid charge does not undo the payment.
	if got, err := e.client.Cancel(t.Context(), c.ID); err != nil || got.State != qris.Paid {
		t.Errorf("Cancel after payment = %+v, %v; want it still paid", got, err)
	}
}

func TestCreateIsIdempotentByReference(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	a := e.create(t, "S1-1", 12500)
	b := e.create(t, "S1-1", 12500)
	if a.ID != b.ID || a.Payload != b.Payload || len(e.sandbox.Charges()) != 1 {
		t.Fatalf("second create gave %s, %d charges; want %s and one charge", b.ID, len(e.sandbox.Charges()), a.ID)
	}
	other := e.create(t, "S1-2", 12500)
	if other.ID == a.ID {
		t.Fatal("another reference got the same charge")
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{Key: "rahasia", MaxAmount: 1_000_000})
	e.client.Key = "rahasia"
	e.create(t, "S1-1", 12500)
	tests := []struct {
		name string
		call func(c *qrisprovider.Client) error
		want error
	}{
		{"same reference, other amount", func(c *qrisprovider.Client) error {
			_, err := c.Create(t.Context(), qris.ChargeRequest{Reference: "S1-1", Amount: 15000})
			return err
		}, qris.ErrConflict},
		{"over the limit", func(c *qrisprovider.Client) error {
			_, err := c.Create(t.Context(), qris.ChargeRequest{Reference: "S1-2", Amount: 1_000_001})
			return err
		}, qris.ErrDeclined},
		{"zero amount", func(c *qrisprovider.Client) error {
			_, err := c.Create(t.Context(), qris.ChargeRequest{Reference: "S1-3", Amount: 0})
			return err
		}, qris.ErrDeclined},
		{"no reference", func(c *qrisprovider.Client) error {
			_, err := c.Create(t.Context(), qris.ChargeRequest{Amount: 100})
			return err
		}, qris.ErrDeclined},
		{"unknown charge", func(c *qrisprovider.Client) error {
			_, err := c.Status(t.Context(), "qr-999999")
			return err
		}, qris.ErrNotFound},
		{"unknown charge to cancel", func(c *qrisprovider.Client) error {
			_, err := c.Cancel(t.Context(), "no/such")
			return err
		}, qris.ErrNotFound},
		{"wrong key", func(c *qrisprovider.Client) error {
			c.Key = "salah"
			_, err := c.Status(t.Context(), "qr-000001")
			return err
		}, qris.ErrDeclined},
		{"nothing listening", func(c *qrisprovider.Client) error {
			ln := httptest.NewServer(http.NotFoundHandler())
			ln.Close()
			c.BaseURL = ln.URL
			_, err := c.Status(t.Context(), "qr-000001")
			return err
		}, qris.ErrUnreachable},
		{"provider failing", func(c *qrisprovider.Client) error {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) }))
			defer s.Close()
			c.BaseURL = s.URL
			_, err := c.Status(t.Context(), "qr-000001")
			return err
		}, qris.ErrUnreachable},
		{"garbage answer", func(c *qrisprovider.Client) error {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>captive portal</html>") }))
			defer s.Close()
			c.BaseURL = s.URL
			_, err := c.Status(t.Context(), "qr-000001")
			return err
		}, qris.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(newClient(e.server.URL, "rahasia"))
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			for _, other := range []error{qris.ErrUnreachable, qris.ErrDeclined, qris.ErrConflict, qris.ErrNotFound} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("%v is also %v", err, other)
				}
			}
			if qris.Message(err, "id") == "" {
				t.Errorf("no cashier message for %v", err)
			}
		})
	}
	if n := len(e.sandbox.Charges()); n != 1 {
		t.Errorf("%d charges, want only the first", n)
	}
}

func TestExpiryThenLatePayment(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	c, err := e.client.Create(t.Context(), qris.ChargeRequest{Reference: "S1-1", Amount: 12500, Expiry: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2*time.Minute - time.Second)
	if got := e.status(t, c.ID); got.State != qris.Pending {
		t.Fatalf("a second before expiry: %s", got.State)
	}
	e.clock.Add(time.Second)
	got := e.status(t, c.ID)
	if got.State != qris.Expired || !got.ClosedAt.Equal(c.ExpiresAt) {
		t.Fatalf("at expiry: %+v", got)
	}
	// Cancelling an expired charge leaves it expired.
	if got, err := e.client.Cancel(t.Context(), c.ID); err != nil || got.State != qris.Expired {
		t.Errorf("Cancel after expiry = %+v, %v", got, err)
	}
	e.clock.Add(time.Minute)
	e.sandbox.Pay(c.ID) // the customer's bank was slow
	got = e.status(t, c.ID)
	if got.State != qris.Paid || !got.Late || !got.ClosedAt.Equal(c.ExpiresAt) || !got.PaidAt.Equal(e.clock.Now()) {
		t.Errorf("late payment: %+v", got)
	}
	// The same reference still gives the same charge: no second one.
	if again := e.create(t, "S1-1", 12500); again.ID != c.ID || !again.Late {
		t.Errorf("create again: %+v", again)
	}
}

func TestCancelThenLatePayment(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	c := e.create(t, "S1-1", 12500)
	e.clock.Add(20 * time.Second)
	got, err := e.client.Cancel(t.Context(), c.ID)
	if err != nil || got.State != qris.Cancelled || !got.ClosedAt.Equal(e.clock.Now()) {
		t.Fatalf("Cancel = %+v, %v", got, err)
	}
	if again, err := e.client.Cancel(t.Context(), c.ID); err != nil || again != got {
		t.Errorf("second Cancel = %+v, %v; want it unchanged", again, err)
	}
	e.clock.Add(10 * time.Second)
	post(t, "POST", e.server.URL+"/sandbox/charges/"+c.ID+"/pay", "")
	late := e.status(t, c.ID)
	if late.State != qris.Paid || !late.Late || !late.ClosedAt.Equal(got.ClosedAt) || !late.PaidAt.After(late.ClosedAt) {
		t.Errorf("Status after a late payment = %+v", late)
	}
}

func TestTimeout(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	c := e.create(t, "S1-1", 12500)
	// The provider holds the request until the client gives up, so the
	// client's timeout decides, however slow the machine.
	post(t, "PUT", e.server.URL+"/sandbox/faults", `{"hang":true}`)
	e.client.Timeout = 100 * time.Millisecond
	_, err := e.client.Status(t.Context(), c.ID)
	if !errors.Is(err, qris.ErrUnreachable) {
		t.Fatalf("Status while the provider hangs = %v, want ErrUnreachable", err)
	}
	// The till's own cancellation is not the line's fault.
	ctx, cancel := context.WithCancel(t.Context())
	e.client.Timeout = time.Hour
	go func() { cancel() }()
	if _, err := e.client.Status(ctx, c.ID); !errors.Is(err, context.Canceled) || errors.Is(err, qris.ErrUnreachable) {
		t.Errorf("Status with a cancelled context = %v, want context.Canceled", err)
	}
	post(t, "PUT", e.server.URL+"/sandbox/faults", `{}`)
	if got := e.status(t, c.ID); got.State != qris.Pending {
		t.Errorf("after the fault: %+v", got)
	}
}

func TestDelay(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	e.sandbox.SetFaults(qrisprovider.Faults{Delay: time.Millisecond})
	if c := e.create(t, "S1-1", 12500); c.State != qris.Pending {
		t.Errorf("delayed create = %+v", c)
	}
	var f struct {
		DelayMS int64 `json:"delay_ms"`
	}
	json.Unmarshal(post(t, "GET", e.server.URL+"/sandbox/faults", ""), &f)
	if f.DelayMS != 1 {
		t.Errorf("faults = %+v", f)
	}
}

// TestAnswerLostOnCreate: the provider made the charge but the answer never
// reached the till. Retrying with the same reference finds it.
func TestAnswerLostOnCreate(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	e.sandbox.SetFaults(qrisprovider.Faults{DropAfter: 1})
	_, err := e.client.Create(t.Context(), qris.ChargeRequest{Reference: "S1-1", Amount: 12500})
	if !errors.Is(err, qris.ErrUnreachable) {
		t.Fatalf("Create with the answer lost = %v, want ErrUnreachable", err)
	}
	if n := len(e.sandbox.Charges()); n != 1 {
		t.Fatalf("%d charges, want the one the provider made", n)
	}
	c := e.create(t, "S1-1", 12500)
	if n := len(e.sandbox.Charges()); n != 1 || c.ID != e.sandbox.Charges()[0].ID {
		t.Errorf("retry made %d charges", n)
	}
	e.sandbox.SetFaults(qrisprovider.Faults{DropBefore: 1})
	if _, err := e.client.Status(t.Context(), c.ID); !errors.Is(err, qris.ErrUnreachable) {
		t.Errorf("Status with the connection dropped = %v", err)
	}
	if got := e.status(t, c.ID); got.ID != c.ID {
		t.Errorf("Status after the drop = %+v", got)
	}
}

// TestConnectionLostMidPayment: the till shows the code, the shop's line
// drops while it polls, the customer pays anyway, the line comes back.
func TestConnectionLostMidPayment(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	line := newProxy(t, e.server.Listener.Addr().String())
	till := newClient(line.URL(), "")
	c, err := till.Create(t.Context(), qris.ChargeRequest{Reference: "S1-1", Amount: 12500})
	if err != nil {
		t.Fatal(err)
	}
	line.Cut()
	_, err = till.Status(t.Context(), c.ID)
	if !errors.Is(err, qris.ErrUnreachable) {
		t.Fatalf("Status with the line cut = %v, want ErrUnreachable", err)
	}
	if msg := qris.Message(err, "id"); !strings.Contains(msg, "cara bayar lain") {
		t.Errorf("cashier reads %q", msg)
	}
	// A cancel sent while the line is down does not arrive either.
	if _, err := till.Cancel(t.Context(), c.ID); !errors.Is(err, qris.ErrUnreachable) {
		t.Fatalf("Cancel with the line cut = %v", err)
	}
	// The retry the till makes when the cashier presses QRIS again.
	if _, err := till.Create(t.Context(), qris.ChargeRequest{Reference: "S1-1", Amount: 12500}); !errors.Is(err, qris.ErrUnreachable) {
		t.Fatalf("Create with the line cut = %v", err)
	}
	e.sandbox.Pay(c.ID) // the customer's phone has its own line
	line.Restore()
	got, err := till.Status(t.Context(), c.ID)
	if err != nil || got.State != qris.Paid || got.Late {
		t.Fatalf("Status after the line is back = %+v, %v", got, err)
	}
	again, err := till.Create(t.Context(), qris.ChargeRequest{Reference: "S1-1", Amount: 12500})
	if err != nil || again.ID != c.ID || again.State != qris.Paid {
		t.Errorf("Create again = %+v, %v", again, err)
	}
	if n := len(e.sandbox.Charges()); n != 1 {
		t.Errorf("%d charges, want 1", n)
	}
}

// TestProviderGone: the provider's server stops (connection refused) and
// another server takes over the same state, as after a provider restart.
func TestProviderGone(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	c := e.create(t, "S1-1", 12500)
	e.server.Close()
	if _, err := e.client.Status(t.Context(), c.ID); !errors.Is(err, qris.ErrUnreachable) {
		t.Fatalf("Status with the server closed = %v", err)
	}
	e.sandbox.SetFaults(qrisprovider.Faults{Down: true})
	s := httptest.NewServer(e.sandbox)
	defer s.Close()
	e.client.BaseURL = s.URL
	if _, err := e.client.Status(t.Context(), c.ID); !errors.Is(err, qris.ErrUnreachable) {
		t.Fatalf("Status with the provider down = %v", err)
	}
	e.sandbox.SetFaults(qrisprovider.Faults{})
	if got := e.status(t, c.ID); got.ID != c.ID || got.State != qris.Pending {
		t.Errorf("Status after restart = %+v", got)
	}
}

func TestWebhook(t *testing.T) {
	hook := qrisprovider.NewWebhook("rahasia")
	hs := httptest.NewServer(hook)
	defer hs.Close()
	e := newEnv(t, qrisprovider.SandboxOptions{WebhookURL: hs.URL, WebhookSecret: "rahasia"})
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

	// A notification with a bad signature is refused.
	body := `{"id":"qr-000001","state":"paid"}`
	for _, sig := range []string{"", "sha256=00", qrisprovider.Sign("salah", []byte(body))} {
		req, _ := http.NewRequest("POST", hs.URL, strings.NewReader(body))
		req.Header.Set("X-Kasir-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("signature %q: %s", sig, resp.Status)
		}
	}
	req, _ := http.NewRequest("POST", hs.URL, strings.NewReader(`{"id":"x","state":"stolen"}`))
	req.Header.Set("X-Kasir-Signature", qrisprovider.Sign("rahasia", []byte(`{"id":"x","state":"stolen"}`)))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown state: %v %v", resp, err)
	}
	select {
	case n := <-hook.Notifications():
		t.Errorf("refused notification delivered: %+v", n)
	default:
	}
}

// TestWaiterOverHTTP drives a payment the way the till will: create, wait
// with the webhook waking the poller, the customer pays.
func TestWaiterOverHTTP(t *testing.T) {
	hook := qrisprovider.NewWebhook("rahasia")
	hs := httptest.NewServer(hook)
	defer hs.Close()
	e := newEnv(t, qrisprovider.SandboxOptions{WebhookURL: hs.URL, WebhookSecret: "rahasia"})
	c := e.create(t, "S1-1", 12500)
	w := qris.Waiter{Provider: e.client, Notifications: hook.Notifications(), Every: time.Hour}
	done := make(chan qris.Charge)
	go func() {
		got, err := w.Wait(t.Context(), c.ID)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	e.sandbox.Pay(c.ID)
	if got := <-done; got.State != qris.Paid {
		t.Errorf("Wait = %+v", got)
	}
}

func TestPage(t *testing.T) {
	e := newEnv(t, qrisprovider.SandboxOptions{})
	c := e.create(t, "S1-1", 12500)
	page := string(post(t, "GET", e.server.URL+"/sandbox/", ""))
	if !strings.Contains(page, c.ID) || !strings.Contains(page, "/sandbox/charges/"+c.ID+"/pay") || !strings.Contains(page, "Rp 12.500") {
		t.Errorf("page lacks the charge:\n%s", page)
	}
	// The page's button pays and comes back to the page.
	page = string(post(t, "POST", e.server.URL+"/sandbox/charges/"+c.ID+"/pay?back=1", ""))
	if !strings.Contains(page, "<h1>QRIS sandbox</h1>") {
		t.Errorf("pay button did not return to the page:\n%s", page)
	}
	var list []struct{ ID, State string }
	json.Unmarshal(post(t, "GET", e.server.URL+"/sandbox/charges", ""), &list)
	if len(list) != 1 || list[0].ID != c.ID || list[0].State != "paid" {
		t.Errorf("charges = %+v", list)
	}
}

func TestListenAndServe(t *testing.T) {
	s := qrisprovider.NewSandbox(qrisprovider.SandboxOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe(ctx, "127.0.0.1:0") }()
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("ListenAndServe after cancel = %v", err)
	}
	if err := s.ListenAndServe(t.Context(), "256.0.0.1:1"); err == nil {
		t.Error("ListenAndServe on a bad address succeeded")
	}
}
