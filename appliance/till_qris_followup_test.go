package appliance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/qris"
	"github.com/kasirpos/kasir/appliance/qris/qristest"
	"github.com/kasirpos/kasir/qrisprovider"
)

// countingProvider records when the till asks about a charge.
type countingProvider struct {
	qris.Provider
	now func() time.Time
	mu  sync.Mutex
	at  []time.Time
}

func (c *countingProvider) Status(ctx context.Context, id string) (qris.Charge, error) {
	c.mu.Lock()
	c.at = append(c.at, c.now())
	c.mu.Unlock()
	return c.Provider.Status(ctx, id)
}

func (c *countingProvider) asked() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.at...)
}

// The reconciler asks about a closed charge less and less often: 30 s
// after it closed, then waits doubling up to 30 min, not every 30 s for
// 24 h. A notification asks at once, past the back-off, and records the
// late money; the attempt is let go once the late window has passed.
func TestQRISRecheckBacksOff(t *testing.T) {
	f := newFixture(t, nil)
	prov := &qristest.Provider{Now: f.clock.Now}
	cp := &countingProvider{Provider: prov, now: f.clock.Now}
	f.till.UseQRIS(appliance.QRISOptions{Provider: cp, Store: f.db, Online: func() bool { return true }})
	v := f.add(t, "AIR", 1000)
	st, err := f.till.StartQRIS(f.ctx, f.u, appliance.QRISRequest{CartID: v.Cart.ID})
	if err != nil {
		t.Fatal(err)
	}
	closed := f.clock.Now()
	if res, err := f.till.CancelQRIS(f.ctx, st.Attempt.Reference); err != nil || res.Attempt.State != qris.Cancelled {
		t.Fatalf("cancel: %+v, %v", res, err)
	}
	// Three hours of a reconciler ticking every 10 s.
	for range 3 * 360 {
		f.clock.Set(f.clock.Now().Add(10 * time.Second))
		if _, err := f.till.ReconcileQRIS(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	var got []time.Duration
	for _, at := range cp.asked() {
		got = append(got, at.Sub(closed))
	}
	s := time.Second
	want := []time.Duration{30 * s, 60 * s, 120 * s, 240 * s, 480 * s, 960 * s, 1920 * s, 3720 * s, 5520 * s, 7320 * s, 9120 * s}
	if len(got) != len(want) {
		t.Fatalf("asked at %v after close, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("asked at %v after close, want %v", got, want)
		}
	}
	// The customer pays the cancelled code; the provider's notification
	// makes the till ask at once, though the back-off says wait.
	prov.Pay(st.Attempt.ChargeID)
	n := len(cp.asked())
	if k, err := f.till.ReconcileQRIS(f.ctx); k != 0 || err != nil || len(cp.asked()) != n {
		t.Fatalf("reconcile inside the back-off: %d, %v, %d questions", k, err, len(cp.asked())-n)
	}
	if k, err := f.till.NotifyQRIS(f.ctx, qris.Charge{ID: st.Attempt.ChargeID}); k != 1 || err != nil {
		t.Fatalf("notification: %d, %v", k, err)
	}
	if late := lateList(t, f); len(late) != 1 || late[0].ChargeID != st.Attempt.ChargeID {
		t.Fatalf("late %+v", late)
	}
	if open, _ := f.db.OpenQRISAttempts(f.ctx); len(open) != 0 {
		t.Errorf("open attempts %+v after the late money was recorded", open)
	}
	// The screen asking afterwards still hears that it is late money.
	if chk, err := f.till.CheckQRIS(f.ctx, st.Attempt.Reference); err != nil || chk.Sale != nil || chk.Problem == "" {
		t.Errorf("check after the notification recorded late money: %+v, %v", chk, err)
	}
}

// Past the late window a closed charge is let go, checked on the
// back-off's schedule until then.
func TestQRISRecheckStopsAfterLateWindow(t *testing.T) {
	f := newFixture(t, nil)
	prov := &qristest.Provider{Now: f.clock.Now}
	cp := &countingProvider{Provider: prov, now: f.clock.Now}
	f.till.UseQRIS(appliance.QRISOptions{Provider: cp, Store: f.db, Online: func() bool { return true }, LateWindow: 2 * time.Hour})
	v := f.add(t, "AIR", 1000)
	st, err := f.till.StartQRIS(f.ctx, f.u, appliance.QRISRequest{CartID: v.Cart.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.till.CancelQRIS(f.ctx, st.Attempt.Reference)
	for range 6 * 60 { // six hours, a tick a minute
		f.clock.Set(f.clock.Now().Add(time.Minute))
		if _, err := f.till.ReconcileQRIS(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if open, _ := f.db.OpenQRISAttempts(f.ctx); len(open) != 0 {
		t.Errorf("%d open attempts past the late window", len(open))
	}
	// 1, 2, 4, 8, 16, 32, 64, 94 min after close (at a minute's tick), then one past the window.
	if n := len(cp.asked()); n != 9 {
		t.Errorf("asked %d times in six hours: %v", n, cp.asked())
	}
}

func lateList(t *testing.T, f *fixture) []appliance.QRISAttempt {
	t.Helper()
	as, err := f.till.LateQRIS(f.ctx, appliance.User{ID: "spv", Name: "Spv", Role: appliance.RoleSupervisor}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// Notifications over HTTP: the sandbox on loopback pushes signed
// notifications to the provider's webhook; with polling effectively off (a
// tick an hour) a payment completes the sale as soon as it is pushed. A
// forged or unsigned notification is refused, and a signed one that lies
// (says paid) only makes the till ask: nothing changes.
func TestQRISNotificationCompletesSale(t *testing.T) {
	f := newFixture(t, nil)
	const secret = "rahasia-toko"
	hook := qrisprovider.NewWebhook(secret)
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	sb := qrisprovider.NewSandbox(qrisprovider.SandboxOptions{WebhookURL: hs.URL, WebhookSecret: secret, Now: f.clock.Now})
	ss := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); ss.Close() })
	f.till.UseQRIS(appliance.QRISOptions{Provider: qrisprovider.NewClient(ss.URL, ""), Store: f.db, Online: func() bool { return true }})

	v := f.add(t, "AIR", 2000)
	st, err := f.till.StartQRIS(f.ctx, f.u, appliance.QRISRequest{CartID: v.Cart.ID})
	if err != nil {
		t.Fatal(err)
	}
	ref, id := st.Attempt.Reference, st.Attempt.ChargeID
	lie := `{"id":"` + id + `","reference":"` + ref + `","amount":8000,"state":"paid","created_at":"2026-11-30T13:00:00Z","expires_at":"2026-11-30T13:05:00Z"}`
	for _, sig := range []string{"", "sha256=00", qrisprovider.Sign("bukan-rahasia", []byte(lie))} {
		req, _ := http.NewRequest("POST", hs.URL, strings.NewReader(lie))
		if sig != "" {
			req.Header.Set("X-Kasir-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("forged notification (signature %q): %s", sig, resp.Status)
		}
	}
	if n := len(hook.Notifications()); n != 0 {
		t.Fatalf("%d forged notifications got through", n)
	}
	// Signed but untrue: the till asks the provider, which says pending.
	if k, err := f.till.NotifyQRIS(f.ctx, qris.Charge{ID: id, Reference: ref, State: qris.Paid, Amount: 8000}); k != 0 || err != nil {
		t.Fatalf("a lying notification settled %d (%v)", k, err)
	}
	if a, _ := f.db.QRISAttempt(f.ctx, ref); a.Settled() || a.State != qris.Pending {
		t.Fatalf("attempt after a lying notification: %+v", a)
	}
	if got := f.till.Cart(f.ctx); got.Cart.ID != v.Cart.ID {
		t.Fatal("the cart was sold on a lie")
	}

	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { f.till.RunQRIS(ctx, time.Hour, hook.Notifications()); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	if _, err := sb.Pay(id); err != nil {
		t.Fatal(err)
	}
	// Nobody polls: only the notification can complete the sale.
	deadline := time.Now().Add(time.Minute) // a failsafe, not a measurement
	var a *appliance.QRISAttempt
	for {
		a, err = f.db.QRISAttempt(f.ctx, ref)
		if err == nil && a.Sale != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the paid charge did not complete the sale: %+v, %v", a, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	d, err := f.till.Sale(f.ctx, a.Sale)
	if err != nil || len(d.Payments) != 1 || d.Payments[0].ChargeID != id || d.Payments[0].Confirmation != appliance.ConfirmedByProvider {
		t.Fatalf("sale %+v, %v", d, err)
	}
	if got := f.till.Cart(f.ctx); got.Cart.ID == v.Cart.ID {
		t.Error("the sold cart is still in progress")
	}
}

// A supervisor acknowledges late QRIS money: refunded outside the till, or
// attached to a sale by its number. The decision is a journaled
// qris_late_ack record for head office and the entry leaves the open list.
func TestAckLateQRIS(t *testing.T) {
	f := newQRISFixture(t)
	if err := f.till.AddUser(f.ctx, appliance.User{ID: "spv", Name: "Supervisor", Role: appliance.RoleSupervisor}, "9999"); err != nil {
		t.Fatal(err)
	}
	spv := appliance.User{ID: "spv", Name: "Supervisor", Role: appliance.RoleSupervisor}
	lateOne := func() (string, *appliance.SaleResult) {
		t.Helper()
		v := f.add(t, "AIR", 1000)
		st := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID})
		if _, err := f.till.CancelQRIS(f.ctx, st.Attempt.Reference); err != nil {
			t.Fatal(err)
		}
		f.prov.Pay(st.Attempt.ChargeID)
		if _, err := f.till.CheckQRIS(f.ctx, st.Attempt.Reference); err != nil {
			t.Fatal(err)
		}
		sale, err := f.till.Pay(f.ctx, f.u, v.Cart.ID, cash(5000))
		if err != nil {
			t.Fatal(err)
		}
		return st.Attempt.Reference, sale
	}
	ref1, sale1 := lateOne()
	ref2, _ := lateOne()
	if late := f.late(t); len(late) != 2 {
		t.Fatalf("late %+v", late)
	}
	attach := appliance.QRISAckRequest{Decision: appliance.LateAttached, Sale: sale1.Number, Note: "pelanggan bayar dua kali"}
	for _, c := range []struct {
		name string
		u    appliance.User
		ref  string
		req  appliance.QRISAckRequest
		code appliance.Code
	}{
		{"cashier without PIN", f.u, ref1, attach, appliance.CodeApproval},
		{"cashier with a wrong PIN", f.u, ref1, appliance.QRISAckRequest{Decision: appliance.LateRefunded, ApprovalPIN: "1234"}, appliance.CodeApproval},
		{"no decision", spv, ref1, appliance.QRISAckRequest{}, appliance.CodeInvalid},
		{"attach without a number", spv, ref1, appliance.QRISAckRequest{Decision: appliance.LateAttached}, appliance.CodeInvalid},
		{"attach to no sale", spv, ref1, appliance.QRISAckRequest{Decision: appliance.LateAttached, Sale: "S001-T01-999999"}, appliance.CodeNotFound},
		{"unknown entry", spv, "c-nothing-1", attach, appliance.CodeNotFound},
	} {
		if _, err := f.till.AckLateQRIS(f.ctx, c.u, c.ref, c.req); appliance.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if late := f.late(t); len(late) != 2 {
		t.Fatalf("refused acknowledgements changed the list: %+v", late)
	}
	a, err := f.till.AckLateQRIS(f.ctx, spv, ref1, attach)
	if err != nil {
		t.Fatal(err)
	}
	if a.Ack == nil || a.Ack.Decision != appliance.LateAttached || a.Ack.Sale != sale1.Number || a.Ack.SupervisorID != "spv" || a.Ack.Seq == 0 {
		t.Fatalf("ack %+v", a.Ack)
	}
	// A cashier with the supervisor's PIN.
	b, err := f.till.AckLateQRIS(f.ctx, f.u, ref2, appliance.QRISAckRequest{Decision: appliance.LateRefunded, ApprovalPIN: "9999"})
	if err != nil || b.Ack.SupervisorName != "Supervisor" || b.Ack.Decision != appliance.LateRefunded {
		t.Fatalf("refunded: %+v, %v", b, err)
	}
	if late := f.late(t); len(late) != 0 {
		t.Errorf("acknowledged entries still open: %+v", late)
	}
	if _, err := f.till.AckLateQRIS(f.ctx, spv, ref1, appliance.QRISAckRequest{Decision: appliance.LateRefunded}); appliance.ErrorCode(err) != appliance.CodeConflict {
		t.Errorf("second acknowledgement: %v", err)
	}
	// Both travel to head office on the sales topic and are in the journal.
	rows, _ := f.db.Outbox(f.ctx, 0, 0)
	var acks []appliance.OutboxMessage
	for _, r := range rows {
		var m appliance.OutboxMessage
		json.Unmarshal(r.Body, &m)
		if m.Kind == appliance.RecQRISLateAck {
			if r.Topic != "sales" {
				t.Errorf("ack on topic %s", r.Topic)
			}
			acks = append(acks, m)
		}
	}
	if len(acks) != 2 || acks[0].QRIS == nil || acks[0].QRIS.Reference != ref1 || acks[0].QRIS.Ack.Sale != sale1.Number ||
		acks[0].QRIS.ChargeID == "" || acks[1].QRIS.Ack.Decision != appliance.LateRefunded || acks[1].UserID != f.u.ID {
		t.Fatalf("outbox acks %+v", acks)
	}
	j, err := f.db.Journal(f.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range j {
		kinds[e.Kind]++
	}
	if kinds["qris_late_ack"] != 2 || kinds["qris_late"] != 2 {
		t.Errorf("journal kinds %v", kinds)
	}
	if _, err := appliance.VerifyJournal(appliance.GenesisHash, j); err != nil {
		t.Errorf("journal: %v", err)
	}
}

// A demo till whose data directory was made before QRIS gets the demo QRIS
// methods and static code; a config with QRIS, or head office's, is left.
func TestAddDemoQRIS(t *testing.T) {
	old := appliance.DefaultConfig()
	old.Methods = old.Methods[:2] // cash and card: a config from before QRIS
	old.QRISStatic, old.QRISExpiry = "", appliance.Duration{}
	f := newFixture(t, &old)
	if cfg := f.till.Config(); cfg.QRISStatic != "" || len(cfg.Methods) != 2 {
		t.Fatal("the old config already has QRIS")
	}
	added, err := f.till.AddDemoQRIS(f.ctx)
	if err != nil || !added {
		t.Fatalf("AddDemoQRIS = %v, %v", added, err)
	}
	stored, err := f.db.Config(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []appliance.Config{f.till.Config(), stored} {
		st, ok1 := cfg.Method(appliance.MethodQRISStatic)
		dy, ok2 := cfg.Method(appliance.MethodQRIS)
		if !ok1 || !ok2 || st.QRIS != appliance.QRISStatic || dy.QRIS != appliance.QRISDynamic || dy.Offline ||
			cfg.QRISStatic != appliance.DemoQRIS || cfg.QRISExpiry.Duration != 5*time.Minute || len(cfg.Methods) != 4 {
			t.Errorf("config after AddDemoQRIS: %+v", cfg)
		}
	}
	v := f.add(t, "AIR", 1000)
	if _, err := f.till.StaticQRIS(f.ctx, f.u, v.Cart.ID, "", 0); err != nil {
		t.Errorf("static QRIS after AddDemoQRIS: %v", err)
	}
	if added, err := f.till.AddDemoQRIS(f.ctx); added || err != nil {
		t.Errorf("second AddDemoQRIS = %v, %v", added, err)
	}

	// Head office's config without QRIS stays without.
	g := newFixture(t, nil)
	if err := g.till.ApplyConfig(g.ctx, 3, old); err != nil {
		t.Fatal(err)
	}
	if added, err := g.till.AddDemoQRIS(g.ctx); added || err != nil {
		t.Errorf("AddDemoQRIS on head office's config = %v, %v", added, err)
	}
	if cfg := g.till.Config(); len(cfg.Methods) != 2 {
		t.Error("head office's config got QRIS")
	}
}
