package appliance_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/qris"
	"github.com/kasirpos/kasir/appliance/qris/qristest"
)

// A bad static QRIS is refused on apply with qris's own sentence, and the
// running config stays.
func TestConfigRefusesBadStaticQRIS(t *testing.T) {
	f := newFixture(t, nil)
	cfg := appliance.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	if _, ok := cfg.Method(appliance.MethodQRISStatic); !ok {
		t.Fatal("default config has no static QRIS method")
	}
	if m, _ := cfg.Method(appliance.MethodQRIS); m.Offline || m.QRIS != appliance.QRISDynamic {
		t.Fatalf("default dynamic QRIS %+v: must be online only", m)
	}
	if cfg.QRISStatic != qristest.Static {
		t.Error("the demo static QRIS differs from qristest.Static")
	}
	bad := cfg
	bad.QRISStatic = strings.Replace(qristest.Static, "TOKO KASIR", "TOKO KASIH", 1) // CRC no longer matches
	err := f.till.ApplyConfig(f.ctx, 7, bad)
	if got, want := appliance.Message(err, "en"), "The shop's QRIS is invalid: The QRIS code's CRC does not match: a character was copied wrong."; got != want {
		t.Errorf("bad CRC: %q, want %q (err %v)", got, want, err)
	}
	if got, want := appliance.Message(err, "id"), "QRIS toko tidak valid: CRC kode QRIS tidak cocok: ada karakter yang salah salin."; got != want {
		t.Errorf("bad CRC (id): %q, want %q", got, want)
	}
	bad.QRISStatic = "https://example.com/pay"
	if err := f.till.ApplyConfig(f.ctx, 7, bad); !strings.Contains(appliance.Message(err, "en"), "must start with 000201") {
		t.Errorf("a URL: %q", appliance.Message(err, "en"))
	}
	online := cfg
	online.Methods = append([]appliance.MethodSpec(nil), cfg.Methods...)
	for i := range online.Methods {
		if online.Methods[i].QRIS == appliance.QRISDynamic {
			online.Methods[i].Offline = true
		}
	}
	if err := f.till.ApplyConfig(f.ctx, 7, online); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Errorf("dynamic QRIS allowed offline: %v, want refused", err)
	}
	if v := f.till.Config().Version; v != "default" {
		t.Errorf("running config %s after refusals, want the default kept", v)
	}
}

// Above a method's cap a tender needs a supervisor's PIN; a switched-off
// method is refused.
func TestPaymentCapsAndSwitchedOffMethods(t *testing.T) {
	cfg := appliance.DefaultConfig()
	for i := range cfg.Methods {
		switch cfg.Methods[i].Code {
		case appliance.MethodCard:
			cfg.Methods[i].MaxAmount = 5000
		case appliance.MethodQRIS:
			cfg.Methods[i].Off = true
		}
	}
	f := newFixture(t, &cfg)
	if err := f.till.AddUser(f.ctx, appliance.User{ID: "spv", Name: "Supervisor", Role: appliance.RoleSupervisor}, "9999"); err != nil {
		t.Fatal(err)
	}
	f.add(t, "AIR", 2000) // Rp 8.000
	card := []appliance.Payment{{Method: appliance.MethodCard, Amount: 8000, Bank: "BCA", ApprovalCode: "123456", CardLast4: "4321"}}
	_, err := f.till.PayApproved(f.ctx, f.u, "", card, "")
	if appliance.ErrorCode(err) != appliance.CodeApproval || !strings.Contains(appliance.Message(err, "en"), "above Rp 5.000 needs a supervisor") {
		t.Fatalf("card above cap without PIN: %v / %q", err, appliance.Message(err, "en"))
	}
	if _, err := f.till.PayApproved(f.ctx, f.u, "", card, "1234"); appliance.ErrorCode(err) != appliance.CodeApproval {
		t.Fatalf("wrong supervisor PIN: %v", err)
	}
	// A client cannot claim the approval itself.
	claimed := append([]appliance.Payment(nil), card...)
	claimed[0].ApprovedBy = "Supervisor"
	if _, err := f.till.PayApproved(f.ctx, f.u, "", claimed, ""); appliance.ErrorCode(err) != appliance.CodeApproval {
		t.Fatalf("self-approved tender: %v", err)
	}
	res, err := f.till.PayApproved(f.ctx, f.u, "", card, "9999")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Payments[0].ApprovedBy; got != "Supervisor" {
		t.Errorf("approved by %q", got)
	}
	f.add(t, "AIR", 1000)
	if _, err := f.till.Pay(f.ctx, f.u, "", []appliance.Payment{{Method: appliance.MethodQRIS, Amount: 4000}}); appliance.ErrorCode(err) != appliance.CodeConflict {
		t.Errorf("switched-off method: %v", err)
	}
	// Under the cap no PIN is asked.
	card[0].Amount = 4000
	if _, err := f.till.Pay(f.ctx, f.u, "", card); err != nil {
		t.Errorf("card under the cap: %v", err)
	}
}

// Static QRIS works with no connection: the code carries the amount, the
// till's label and the cart; the cashier confirms; the sale is flagged for
// reconciliation, and the receipt carries the code when the config asks.
func TestStaticQRISOffline(t *testing.T) {
	cfg := appliance.DefaultConfig()
	cfg.QRISOnReceipt = true
	f := newFixture(t, &cfg)
	v := f.add(t, "AIR", 3000) // Rp 12.000, offline: the fixture has no Online
	code, err := f.till.StaticQRIS(f.ctx, f.u, v.Cart.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := qris.Parse(code.Payload)
	if err != nil {
		t.Fatalf("code does not parse: %v", err)
	}
	if amt, ok := p.Amount(); !ok || amt != 12000 || !p.IsDynamic() {
		t.Errorf("code amount %d (%v), dynamic %v; want 12000 with initiation 12", amt, ok, p.IsDynamic())
	}
	if ref, _ := p.Lookup("62.05"); ref != v.Cart.ID {
		t.Errorf("reference label %q, want the cart %s", ref, v.Cart.ID)
	}
	if term, _ := p.Lookup("62.07"); term != "S001-T01" {
		t.Errorf("terminal label %q", term)
	}
	cv, _ := f.till.Customer()
	if cv.State != appliance.CustomerPaying || cv.QR != code.Payload || cv.QRAmount != 12000 {
		t.Errorf("customer view %s with QR %v", cv.State, cv.QR == code.Payload)
	}
	if _, err := f.till.StaticQRIS(f.ctx, f.u, "", "", 13000); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Errorf("amount above the total: %v", err)
	}
	res, err := f.till.Pay(f.ctx, f.u, v.Cart.ID, []appliance.Payment{{Method: appliance.MethodQRISStatic, Amount: 12000, Confirmation: "provider"}})
	if err != nil {
		t.Fatal(err)
	}
	pay := res.Payments[0]
	if pay.Confirmation != appliance.ConfirmedByCashier || pay.Reference != v.Cart.ID || !res.Reconcile {
		t.Errorf("payment %+v, reconcile %v; want confirmed by the cashier, the cart as reference, flagged", pay, res.Reconcile)
	}
	if cv, _ := f.till.Customer(); cv.State != appliance.CustomerPaid {
		t.Errorf("customer view %s after paying", cv.State)
	}
	rows, err := f.db.Outbox(f.ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var msg appliance.OutboxMessage
	json.Unmarshal(rows[len(rows)-1].Body, &msg)
	if msg.Sale == nil || !msg.Sale.Reconcile || msg.Sale.Payments[0].Confirmation != "cashier" {
		t.Errorf("outbox body %s: want the reconcile flag and the cashier's confirmation", rows[len(rows)-1].Body)
	}
	f.paper.mu.Lock()
	last := f.paper.receipts[len(f.paper.receipts)-1]
	f.paper.mu.Unlock()
	if last.QR != code.Payload {
		t.Errorf("receipt QR %q, want the code paid with", last.QR)
	}
	if !strings.Contains(last.Text(), "QRIS ref "+v.Cart.ID) {
		t.Errorf("receipt does not name the QRIS reference:\n%s", last.Text())
	}
}

// qrisFixture is a till with dynamic QRIS on an in-memory provider.
type qrisFixture struct {
	*fixture
	prov   *qristest.Provider
	online atomic.Bool
}

func newQRISFixture(t *testing.T) *qrisFixture {
	t.Helper()
	f := &qrisFixture{fixture: newFixture(t, nil)}
	f.prov = &qristest.Provider{Now: f.clock.Now}
	f.online.Store(true)
	f.till.UseQRIS(appliance.QRISOptions{Provider: &checkStored{f.prov, f.db, t}, Store: f.db, Online: f.online.Load})
	return f
}

// checkStored fails the test if Create is called for an attempt the till
// has not stored yet.
type checkStored struct {
	*qristest.Provider
	store appliance.QRISStore
	t     *testing.T
}

func (c *checkStored) Create(ctx context.Context, req qris.ChargeRequest) (qris.Charge, error) {
	if a, err := c.store.QRISAttempt(ctx, req.Reference); err != nil || int64(a.Amount) != req.Amount {
		c.t.Errorf("Create(%s) before the attempt was stored: %+v, %v", req.Reference, a, err)
	}
	return c.Provider.Create(ctx, req)
}

func (f *qrisFixture) start(t *testing.T, req appliance.QRISRequest) *appliance.QRISStatus {
	t.Helper()
	st, err := f.till.StartQRIS(f.ctx, f.u, req)
	if err != nil {
		t.Fatalf("StartQRIS: %v", err)
	}
	if st.Code == nil || st.Attempt.ChargeID == "" || st.Attempt.State != qris.Pending {
		t.Fatalf("StartQRIS = %+v, want a pending charge with a code", st.Attempt)
	}
	return st
}

func (f *qrisFixture) late(t *testing.T) []appliance.QRISAttempt {
	t.Helper()
	spv := appliance.User{ID: "spv", Name: "Spv", Role: appliance.RoleSupervisor}
	as, err := f.till.LateQRIS(f.ctx, spv, 0)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestDynamicQRISPaid(t *testing.T) {
	f := newQRISFixture(t)
	v := f.add(t, "AIR", 2000) // Rp 8.000
	st := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID})
	if p, err := qris.Parse(st.Code.Payload); err != nil {
		t.Fatalf("charge code: %v", err)
	} else if amt, _ := p.Amount(); amt != 8000 {
		t.Errorf("charge code amount %d", amt)
	}
	if cv, _ := f.till.Customer(); cv.State != appliance.CustomerPaying || cv.QR != st.Code.Payload {
		t.Errorf("customer view %s, want the charge's code", cv.State)
	}
	// Asking again for the same cart and amount gives the same charge.
	again := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID})
	if again.Attempt.ChargeID != st.Attempt.ChargeID || len(f.prov.Charges()) != 1 {
		t.Errorf("second start made charge %s (%d charges), want %s", again.Attempt.ChargeID, len(f.prov.Charges()), st.Attempt.ChargeID)
	}
	chk, err := f.till.CheckQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || chk.Sale != nil || chk.Problem != "" {
		t.Fatalf("check while pending: %+v, %v", chk, err)
	}
	if _, err := f.prov.Pay(st.Attempt.ChargeID); err != nil {
		t.Fatal(err)
	}
	chk, err = f.till.CheckQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || chk.Sale == nil {
		t.Fatalf("check after paying: %+v, %v", chk, err)
	}
	p := chk.Sale.Payments[0]
	if p.Method != appliance.MethodQRIS || p.ChargeID != st.Attempt.ChargeID || p.Confirmation != appliance.ConfirmedByProvider || chk.Sale.Reconcile {
		t.Errorf("payment %+v reconcile %v", p, chk.Sale.Reconcile)
	}
	a, _ := f.db.QRISAttempt(f.ctx, st.Attempt.Reference)
	if a.Sale != chk.Sale.Number || !a.Done {
		t.Errorf("attempt after the sale: %+v", a)
	}
	// Asking again (the screen's next poll, the reconciler) changes nothing.
	chk, err = f.till.CheckQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || chk.Sale == nil || chk.Sale.Number != a.Sale {
		t.Errorf("check after the sale: %+v, %v", chk, err)
	}
	if n, err := f.till.ReconcileQRIS(f.ctx); n != 0 || err != nil {
		t.Errorf("reconcile after the sale: %d, %v", n, err)
	}
	if got := f.late(t); len(got) != 0 {
		t.Errorf("late money %+v", got)
	}
}

// A cash part and a QRIS part: the till takes both once the charge is paid.
func TestDynamicQRISSplitWithCash(t *testing.T) {
	f := newQRISFixture(t)
	v := f.add(t, "AIR", 3000) // Rp 12.000
	st := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID, Amount: 7000, Payments: cash(5000)})
	f.prov.Pay(st.Attempt.ChargeID)
	chk, err := f.till.CheckQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || chk.Sale == nil {
		t.Fatalf("check: %+v, %v", chk, err)
	}
	if got := chk.Sale.Payments; len(got) != 2 || got[0].Method != "cash" || got[1].Amount != 7000 || chk.Sale.Paid != 12000 {
		t.Errorf("payments %+v", got)
	}
}

func TestDynamicQRISOnlyOnline(t *testing.T) {
	f := newQRISFixture(t)
	f.online.Store(false)
	v := f.add(t, "AIR", 1000)
	if _, err := f.till.StartQRIS(f.ctx, f.u, appliance.QRISRequest{CartID: v.Cart.ID}); appliance.ErrorCode(err) != appliance.CodeConflict ||
		!strings.Contains(appliance.Message(err, "en"), "only while the till is online") {
		t.Errorf("offline: %v", err)
	}
	if len(f.prov.Charges()) != 0 {
		t.Error("a charge was made while offline")
	}
	// Dynamic QRIS cannot be paid by saying so.
	if _, err := f.till.Pay(f.ctx, f.u, "", []appliance.Payment{{Method: appliance.MethodQRIS, Amount: 4000, ChargeID: "qr-x"}}); appliance.ErrorCode(err) != appliance.CodeConflict {
		t.Errorf("dynamic QRIS through Pay: %v", err)
	}
	if _, err := f.till.Pay(f.ctx, f.u, "", cash(5000)); err != nil {
		t.Errorf("cash offline: %v", err)
	}
}

// The provider is down when the code is asked for: the cashier is told in
// qris's words and takes cash; the reconciler later cancels the charge the
// lost request may have made, and money paid on it anyway is recorded.
func TestDynamicQRISProviderDownThenCash(t *testing.T) {
	f := newQRISFixture(t)
	v := f.add(t, "AIR", 1000)
	f.prov.SetDown(true)
	_, err := f.till.StartQRIS(f.ctx, f.u, appliance.QRISRequest{CartID: v.Cart.ID})
	want := qris.Message(qris.ErrUnreachable, "en")
	if appliance.ErrorCode(err) != appliance.CodeUnreachable || appliance.Message(err, "en") != want {
		t.Fatalf("provider down: %v / %q, want %q", err, appliance.Message(err, "en"), want)
	}
	if _, err := f.till.Pay(f.ctx, f.u, v.Cart.ID, cash(5000)); err != nil {
		t.Fatalf("cash after the provider failed: %v", err)
	}
	open, _ := f.db.OpenQRISAttempts(f.ctx)
	if len(open) != 1 || !open[0].Abandoned || open[0].ChargeID != "" {
		t.Fatalf("open attempts %+v, want the one whose Create failed, given up", open)
	}
	f.prov.SetDown(false)
	if _, err := f.till.ReconcileQRIS(f.ctx); err != nil {
		t.Fatal(err)
	}
	c, ok := f.prov.ByReference(open[0].Reference)
	if !ok || c.State != qris.Cancelled {
		t.Fatalf("charge after reconcile %+v (%v), want cancelled", c, ok)
	}
	// Someone pays it anyway (a code from before, a slow bank): late money,
	// found at the reconciler's next look at the closed charge.
	f.prov.Pay(c.ID)
	f.clock.Set(f.clock.Now().Add(30 * time.Second))
	if n, err := f.till.ReconcileQRIS(f.ctx); n != 1 || err != nil {
		t.Fatalf("reconcile after late payment: %d, %v", n, err)
	}
	late := f.late(t)
	if len(late) != 1 || late[0].ChargeID != c.ID || !late[0].Late || late[0].LateSeq == 0 {
		t.Fatalf("late money %+v", late)
	}
	rows, _ := f.db.Outbox(f.ctx, 0, 100)
	var msg appliance.OutboxMessage
	json.Unmarshal(rows[len(rows)-1].Body, &msg)
	if msg.Kind != appliance.RecQRISLate || msg.QRIS == nil || msg.QRIS.ChargeID != c.ID || msg.QRIS.Amount != 4000 {
		t.Errorf("outbox %s", rows[len(rows)-1].Body)
	}
	if n, _ := f.till.ReconcileQRIS(f.ctx); n != 0 || len(f.late(t)) != 1 {
		t.Error("late money recorded twice")
	}
}

// Cancel answers Paid: the customer beat the cancel; the payment is taken.
func TestDynamicQRISCancelAnswersPaid(t *testing.T) {
	f := newQRISFixture(t)
	v := f.add(t, "AIR", 1000)
	st := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID})
	f.prov.Pay(st.Attempt.ChargeID)
	res, err := f.till.CancelQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || res.Sale == nil {
		t.Fatalf("cancel of a paid charge: %+v, %v; want the sale", res, err)
	}
	if len(f.late(t)) != 0 {
		t.Error("a payment the sale took is also late money")
	}
}

// Cancel, then the money comes: recorded as late, the cart is still there
// for cash, and nothing is taken twice.
func TestDynamicQRISLateAfterCancel(t *testing.T) {
	f := newQRISFixture(t)
	v := f.add(t, "AIR", 1000)
	st := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID})
	res, err := f.till.CancelQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || res.Sale != nil || res.Attempt.State != qris.Cancelled {
		t.Fatalf("cancel: %+v, %v", res, err)
	}
	if cv, _ := f.till.Customer(); cv.State != appliance.CustomerCart {
		t.Errorf("customer view %s after cancel, want the cart", cv.State)
	}
	f.prov.Pay(st.Attempt.ChargeID)
	chk, err := f.till.CheckQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || chk.Sale != nil || chk.Problem == "" {
		t.Fatalf("check after late payment: %+v, %v", chk, err)
	}
	if late := f.late(t); len(late) != 1 || late[0].Reference != st.Attempt.Reference {
		t.Fatalf("late %+v", late)
	}
	if got := f.till.Cart(f.ctx); got.Cart.ID != v.Cart.ID || len(got.Lines) != 1 {
		t.Errorf("cart after late money: %s with %d lines", got.Cart.ID, len(got.Lines))
	}
	if _, err := f.till.Pay(f.ctx, f.u, v.Cart.ID, cash(5000)); err != nil {
		t.Error(err)
	}
}

// The line drops while the customer pays: the screen says so, the cashier
// cancels (the cancel cannot get through) and takes cash; when the line is
// back the charge turns out paid, and it is recorded, not taken a second
// time.
func TestDynamicQRISLineDropsMidPayment(t *testing.T) {
	f := newQRISFixture(t)
	v := f.add(t, "AIR", 1000)
	st := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID})
	f.prov.SetDown(true)
	chk, err := f.till.CheckQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || chk.Problem != qris.Message(qris.ErrUnreachable, "id") {
		t.Fatalf("check with the line down: %+v, %v", chk, err)
	}
	res, err := f.till.CancelQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || res.Problem == "" || !res.Attempt.Abandoned {
		t.Fatalf("cancel with the line down: %+v, %v", res, err)
	}
	sale, err := f.till.Pay(f.ctx, f.u, v.Cart.ID, cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	f.prov.Pay(st.Attempt.ChargeID) // the bank was not cut off
	f.prov.SetDown(false)
	if n, err := f.till.ReconcileQRIS(f.ctx); n != 1 || err != nil {
		t.Fatalf("reconcile: %d, %v", n, err)
	}
	late := f.late(t)
	if len(late) != 1 || late[0].ChargeID != st.Attempt.ChargeID {
		t.Fatalf("late %+v", late)
	}
	d, _ := f.till.Sale(f.ctx, sale.Number)
	if len(d.Payments) != 1 || d.Payments[0].Method != "cash" {
		t.Errorf("the cash sale now has %+v", d.Payments)
	}
}

// A code nobody paid runs out: the reconciler cancels it once past its
// expiry and keeps the attempt open for a late payment until the window
// closes.
func TestDynamicQRISExpiry(t *testing.T) {
	f := newQRISFixture(t)
	v := f.add(t, "AIR", 1000)
	st := f.start(t, appliance.QRISRequest{CartID: v.Cart.ID})
	f.clock.Set(st.Attempt.ExpiresAt.Add(time.Second))
	chk, err := f.till.CheckQRIS(f.ctx, st.Attempt.Reference)
	if err != nil || chk.Attempt.State != qris.Expired || chk.Code != nil {
		t.Fatalf("check after expiry: %+v, %v", chk.Attempt, err)
	}
	if open, _ := f.db.OpenQRISAttempts(f.ctx); len(open) != 1 {
		t.Errorf("%d open attempts after expiry, want it followed for late money", len(open))
	}
	f.clock.Set(st.Attempt.ExpiresAt.Add(25 * time.Hour))
	if _, err := f.till.ReconcileQRIS(f.ctx); err != nil {
		t.Fatal(err)
	}
	if open, _ := f.db.OpenQRISAttempts(f.ctx); len(open) != 0 {
		t.Errorf("%d open attempts past the late window", len(open))
	}
}
