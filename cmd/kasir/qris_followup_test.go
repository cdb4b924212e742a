package main

import (
	"context"
	"log/slog"

	"github.com/chromedp/chromedp"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/qrisprovider"
)

// TestQRISWebhookThroughServer: `kasir serve --demo` points its sandbox's
// notifications at its own POST /api/v1/qris/webhook. With the reconciler
// ticking once an hour and nobody polling the charge, a payment on the
// sandbox completes the sale through the notification alone. Unsigned and
// forged notifications are refused and change nothing.
func TestQRISWebhookThroughServer(t *testing.T) {
	s := startServer(t, "", "--qris-reconcile", "1h")
	sb := sandbox{t, sandboxURL(t, s)}
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 200000)
	ps := barcodes(t, c, 1)
	var cart cartView
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[0].Barcodes[0], "qty": 1}, &cart)
	var st qrisStatus
	c.must(201, "POST", "/api/v1/cart/qris", map[string]any{"cart_id": cart.ID}, &st)
	charge := st.Attempt.ChargeID

	body := `{"id":"` + charge + `","reference":"` + st.Attempt.Reference + `","amount":1,"state":"paid","qr_string":"x"}`
	for _, sig := range []string{"", "sha256=00", qrisprovider.Sign("tebakan", []byte(body))} {
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/qris/webhook", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("X-Kasir-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("notification signed %q: %s, want 401", sig, resp.Status)
		}
	}
	var now cartView
	c.must(200, "GET", "/api/v1/cart", nil, &now)
	if now.ID != cart.ID || len(now.Lines) != 1 {
		t.Fatalf("cart after forged notifications: %+v", now)
	}

	sb.pay(charge)
	// Only GET /api/v1/cart, which never asks the provider, until the cart
	// in progress is a new one: the sale was completed by the notification.
	deadline := time.Now().Add(time.Minute) // a failsafe, not a measurement
	for now.ID == cart.ID {
		if time.Now().After(deadline) {
			t.Fatal("the paid charge did not complete the sale without polling")
		}
		time.Sleep(20 * time.Millisecond)
		c.must(200, "GET", "/api/v1/cart", nil, &now)
	}
	var list struct{ Sales []saleJSON }
	c.must(200, "GET", "/api/v1/sales?limit=1", nil, &list)
	var sale salePayments
	c.must(200, "GET", "/api/v1/sales/"+list.Sales[0].Number, nil, &sale)
	if len(sale.Payments) != 1 || sale.Payments[0].ChargeID != charge || sale.Payments[0].Confirmation != "provider" {
		t.Errorf("sale %+v", sale)
	}
}

// TestQRISLateAckThroughAPI: late money is acknowledged by a supervisor
// (a cashier is asked for the supervisor's PIN) and leaves the open list.
func TestQRISLateAckThroughAPI(t *testing.T) {
	s := startServer(t, "")
	sb := sandbox{t, sandboxURL(t, s)}
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 200000)
	ps := barcodes(t, c, 1)
	late := func() (ref string, sale string) {
		var cart cartView
		c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[0].Barcodes[0], "qty": 1}, &cart)
		var st qrisStatus
		c.must(201, "POST", "/api/v1/cart/qris", map[string]any{"cart_id": cart.ID}, &st)
		c.must(200, "POST", "/api/v1/qris/"+st.Attempt.Reference+"/cancel", map[string]any{}, &st)
		sb.pay(st.Attempt.ChargeID)
		c.must(200, "GET", "/api/v1/qris/"+st.Attempt.Reference, nil, &st)
		var res saleJSON
		c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cart.ID,
			"payments": []map[string]any{{"method": "cash", "amount": cart.CashDue}}}, &res)
		return st.Attempt.Reference, res.Number
	}
	ref1, sale1 := late()
	ref2, _ := late()

	spv := newClient(t, s.URL)
	spv.login("9999")
	type lateList struct {
		Late []struct {
			Reference string `json:"reference"`
		} `json:"late"`
	}
	var ll lateList
	spv.must(200, "GET", "/api/v1/qris/late", nil, &ll)
	if len(ll.Late) != 2 {
		t.Fatalf("late list %+v", ll)
	}
	// A cashier without the supervisor's PIN is asked for it.
	if status, b := c.do("POST", "/api/v1/qris/"+ref1+"/ack", map[string]any{"decision": "refunded"}, nil); status != http.StatusForbidden || errCode(b) != "needs_approval" {
		t.Errorf("cashier ack: %d %s", status, b)
	}
	if status, b := spv.do("POST", "/api/v1/qris/"+ref1+"/ack", map[string]any{"decision": "dibuang"}, nil); status != http.StatusBadRequest {
		t.Errorf("bad decision: %d %s", status, b)
	}
	type ackJSON struct {
		Reference string `json:"reference"`
		Ack       *struct {
			Decision       string `json:"decision"`
			Sale           string `json:"sale"`
			SupervisorName string `json:"supervisor_name"`
			Seq            int64  `json:"seq"`
		} `json:"ack"`
	}
	var a ackJSON
	spv.must(201, "POST", "/api/v1/qris/"+ref1+"/ack", map[string]any{"decision": "attached", "sale": sale1}, &a)
	if a.Ack == nil || a.Ack.Decision != "attached" || a.Ack.Sale != sale1 || a.Ack.SupervisorName == "" || a.Ack.Seq == 0 {
		t.Errorf("ack %+v", a)
	}
	c.must(201, "POST", "/api/v1/qris/"+ref2+"/ack", map[string]any{"decision": "refunded", "approval_pin": "9999"}, &a)
	if a.Ack == nil || a.Ack.Decision != "refunded" {
		t.Errorf("ack with the supervisor's PIN %+v", a)
	}
	if status, b := spv.do("POST", "/api/v1/qris/"+ref1+"/ack", map[string]any{"decision": "refunded"}, nil); status != http.StatusConflict {
		t.Errorf("second ack: %d %s", status, b)
	}
	spv.must(200, "GET", "/api/v1/qris/late", nil, &ll)
	if len(ll.Late) != 0 {
		t.Errorf("late list after acknowledging both: %+v", ll)
	}
}

// TestDemoAddsQRISToOldConfig: a data directory made before QRIS keeps its
// stored config; `kasir serve --demo` adds the demo QRIS methods and static
// code to it, so the demo offers QRIS. Head office's config is left alone.
func TestDemoAddsQRISToOldConfig(t *testing.T) {
	old := appliance.DefaultConfig()
	old.Methods = old.Methods[:2] // cash and card
	old.QRISStatic, old.QRISExpiry = "", appliance.Duration{}
	seed := func(version string) string {
		dir := t.TempDir()
		db, err := localstore.Open(context.Background(), dir, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		cfg := old
		cfg.Version = version
		if err := db.PutConfig(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return dir
	}
	methods := func(s *server) []string {
		var cfg struct {
			Methods []struct{ Code, QRIS string } `json:"payment_methods"`
		}
		newClient(t, s.URL).must(200, "GET", "/api/v1/config", nil, &cfg)
		var out []string
		for _, m := range cfg.Methods {
			out = append(out, m.Code+":"+m.QRIS)
		}
		return out
	}

	s := startServer(t, seed("default"))
	if got, want := strings.Join(methods(s), " "), "cash: card: qris_static:static qris:dynamic"; got != want {
		t.Errorf("demo methods %q, want %q", got, want)
	}
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 100000)
	ps := barcodes(t, c, 1)
	var cart cartView
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[0].Barcodes[0], "qty": 1}, &cart)
	var res struct{ Code qrisCode }
	c.must(200, "POST", "/api/v1/cart/qris/static", map[string]any{"cart_id": cart.ID}, &res)
	checkCode(t, res.Code.Payload, cart.Total)
	s.stop()

	// Head office's version 4 of the config: not the demo's to change.
	s = startServer(t, seed("4"))
	if got := strings.Join(methods(s), " "); got != "cash: card:" {
		t.Errorf("head office's config became %q", got)
	}
}

// TestQRISLateAckInBrowser: a supervisor deals with two late QRIS payments
// on the sales screen in real Chromium: one attached to a receipt by its
// number, one refunded outside the till. Each leaves the list, and the
// till keeps the decision.
func TestQRISLateAckInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: run without -short (make test)")
	}
	s := startServer(t, "")
	sb := sandbox{t, sandboxURL(t, s)}
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 200000)
	ps := barcodes(t, c, 1)
	late := func() (ref string, sale string) {
		var cart cartView
		c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[0].Barcodes[0], "qty": 1}, &cart)
		var st qrisStatus
		c.must(201, "POST", "/api/v1/cart/qris", map[string]any{"cart_id": cart.ID}, &st)
		c.must(200, "POST", "/api/v1/qris/"+st.Attempt.Reference+"/cancel", map[string]any{}, &st)
		sb.pay(st.Attempt.ChargeID)
		c.must(200, "GET", "/api/v1/qris/"+st.Attempt.Reference, nil, &st)
		var res saleJSON
		c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cart.ID,
			"payments": []map[string]any{{"method": "cash", "amount": cart.CashDue}}}, &res)
		return st.Attempt.Reference, res.Number
	}
	ref1, sale1 := late()
	ref2, _ := late()

	ctx := browser(t, 1280, 800)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(s.URL + "/"),
		chromedp.WaitVisible(css(`#pin-pad`)),
	}
	for range 4 {
		steps = append(steps, chromedp.Click(css(`#pin-pad button[data-digit="9"]`)))
	}
	steps = append(steps, chromedp.Click(css(`#pin-ok`)), chromedp.WaitVisible(css(`#scan`)),
		chromedp.Click(css(`#btn-menu`)), chromedp.Click(css(`#menu-sales`)),
		chromedp.WaitVisible(css(`#qris-late li[data-ref="`+ref1+`"]`)),
		chromedp.WaitVisible(css(`#qris-late li[data-ref="`+ref2+`"]`)))
	if err := chromedp.Do(ctx, steps...); err != nil {
		screenshot(t, ctx, "qris-late-list")
		t.Fatalf("the late list: %v", err)
	}
	screenshot(t, ctx, "qris-late-list")
	gone := func(ref string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.querySelector('#qris-late li[data-ref="`+ref+`"]')`,
			chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			screenshot(t, ctx, "qris-late-ack")
			t.Fatalf("%s still listed: %v", ref, err)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(css(`#qris-late li[data-ref="`+ref1+`"] button[data-ack="attached"]`)),
		chromedp.WaitVisible(css(`#qris-ack-sale`)),
		chromedp.SendKeys(css(`#qris-ack-sale`), sale1),
		chromedp.Click(css(`#qris-ack-sale-ok`)),
	); err != nil {
		screenshot(t, ctx, "qris-late-ack")
		t.Fatalf("attach: %v", err)
	}
	gone(ref1)
	if err := chromedp.Do(ctx,
		chromedp.Click(css(`#qris-late li[data-ref="`+ref2+`"] button[data-ack="refunded"]`)),
		chromedp.Click(css(`#confirm-yes`)),
	); err != nil {
		screenshot(t, ctx, "qris-late-ack")
		t.Fatalf("refunded: %v", err)
	}
	gone(ref2)
	screenshot(t, ctx, "qris-late-acked")
	var st struct {
		Attempt struct {
			Ack *struct {
				Decision       string `json:"decision"`
				Sale           string `json:"sale"`
				SupervisorName string `json:"supervisor_name"`
			} `json:"ack"`
		} `json:"attempt"`
	}
	c.must(200, "GET", "/api/v1/qris/"+ref1, nil, &st)
	if a := st.Attempt.Ack; a == nil || a.Decision != "attached" || a.Sale != sale1 || a.SupervisorName == "" {
		t.Errorf("first entry's ack %+v", a)
	}
	c.must(200, "GET", "/api/v1/qris/"+ref2, nil, &st)
	if a := st.Attempt.Ack; a == nil || a.Decision != "refunded" {
		t.Errorf("second entry's ack %+v", a)
	}
}
