package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kasirpos/kasir/appliance/qris"
)

// sandboxURL is the in-process QRIS sandbox that `kasir serve --demo`
// announced.
func sandboxURL(t *testing.T, s *server) string {
	t.Helper()
	for _, l := range s.Out {
		if _, rest, ok := strings.Cut(l, "kasir: QRIS sandbox (the customer's phone) on "); ok {
			return strings.TrimSuffix(rest, "/sandbox/")
		}
	}
	t.Fatalf("kasir did not announce a QRIS sandbox: %q", s.Out)
	return ""
}

// sandbox drives the sandbox's control API: the customer's phone and faults.
type sandbox struct {
	t   *testing.T
	url string
}

func (sb sandbox) call(method, path, body string) {
	sb.t.Helper()
	req, _ := http.NewRequest(method, sb.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sb.t.Fatalf("sandbox %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		sb.t.Fatalf("sandbox %s %s: %s %s", method, path, resp.Status, b.String())
	}
}

func (sb sandbox) pay(chargeID string) { sb.call("POST", "/sandbox/charges/"+chargeID+"/pay", "") }
func (sb sandbox) down(down bool) {
	if down {
		sb.call("PUT", "/sandbox/faults", `{"down":true}`)
	} else {
		sb.call("PUT", "/sandbox/faults", `{}`)
	}
}

type qrisCode struct {
	Method    string `json:"method"`
	Payload   string `json:"payload"`
	Amount    int64  `json:"amount"`
	Reference string `json:"reference"`
	SVG       string `json:"svg"`
}

type qrisStatus struct {
	Attempt struct {
		Reference string `json:"reference"`
		ChargeID  string `json:"charge_id"`
		State     string `json:"state"`
		Amount    int64  `json:"amount"`
		Abandoned bool   `json:"abandoned"`
	} `json:"attempt"`
	Code    *qrisCode `json:"code"`
	Sale    *saleJSON `json:"sale"`
	Problem string    `json:"problem"`
}

type salePayments struct {
	Number    string `json:"number"`
	Reconcile bool   `json:"reconcile"`
	Payments  []struct {
		Method       string `json:"method"`
		Amount       int64  `json:"amount"`
		Reference    string `json:"reference"`
		Confirmation string `json:"confirmation"`
		ChargeID     string `json:"charge_id"`
	} `json:"payments"`
}

// checkCode parses a code as a phone would and checks its amount.
func checkCode(t *testing.T, payload string, amount int64) *qris.Payload {
	t.Helper()
	p, err := qris.Parse(payload)
	if err != nil {
		t.Fatalf("code %q does not parse: %v", payload, err)
	}
	if got, ok := p.Amount(); !ok || got != amount {
		t.Fatalf("code amount %d (%v), want %d", got, ok, amount)
	}
	return p
}

// TestQRISThroughAPI pays by static QRIS (no provider involved), by dynamic
// QRIS through the real sandbox over loopback, survives the provider going
// down (the cashier is told and takes cash), cancels a charge and records
// the money that arrives on it afterwards.
func TestQRISThroughAPI(t *testing.T) {
	s := startServer(t, "")
	sb := sandbox{t, sandboxURL(t, s)}
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 200000)
	ps := barcodes(t, c, 1)
	code := ps[0].Barcodes[0]
	var cart cartView
	add := func() cartView {
		c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": code, "qty": 1}, &cart)
		return cart
	}

	t.Run("static", func(t *testing.T) {
		cart := add()
		var res struct{ Code qrisCode }
		c.must(200, "POST", "/api/v1/cart/qris/static", map[string]any{"cart_id": cart.ID}, &res)
		p := checkCode(t, res.Code.Payload, cart.Total)
		if ref, _ := p.Lookup("62.05"); ref != cart.ID || !strings.HasPrefix(res.Code.SVG, "<svg") {
			t.Errorf("reference %q, svg %.20q", ref, res.Code.SVG)
		}
		var cv struct {
			State    string `json:"state"`
			QR       string `json:"qr"`
			QRSVG    string `json:"qr_svg"`
			QRAmount int64  `json:"qr_amount"`
		}
		c.must(200, "GET", "/api/v1/customer", nil, &cv)
		if cv.State != "paying" || cv.QR != res.Code.Payload || !strings.HasPrefix(cv.QRSVG, "<svg") || cv.QRAmount != cart.Total {
			t.Errorf("customer view %s, same code %v, amount %d", cv.State, cv.QR == res.Code.Payload, cv.QRAmount)
		}
		var sale salePayments
		c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cart.ID,
			"payments": []map[string]any{{"method": "qris_static", "amount": cart.Total}}}, &sale)
		c.must(200, "GET", "/api/v1/sales/"+sale.Number, nil, &sale)
		if p := sale.Payments[0]; !sale.Reconcile || p.Confirmation != "cashier" || p.Reference != cart.ID {
			t.Errorf("sale %+v", sale)
		}
	})

	t.Run("dynamic", func(t *testing.T) {
		cart := add()
		var st qrisStatus
		c.must(201, "POST", "/api/v1/cart/qris", map[string]any{"cart_id": cart.ID}, &st)
		if st.Code == nil || st.Attempt.ChargeID == "" || !strings.HasPrefix(st.Code.SVG, "<svg") {
			t.Fatalf("start: %+v", st)
		}
		checkCode(t, st.Code.Payload, cart.Total)
		c.must(200, "GET", "/api/v1/qris/"+st.Attempt.Reference, nil, &st)
		if st.Sale != nil || st.Attempt.State != "pending" {
			t.Fatalf("before paying: %+v", st)
		}
		sb.pay(st.Attempt.ChargeID)
		c.must(200, "GET", "/api/v1/qris/"+st.Attempt.Reference, nil, &st)
		if st.Sale == nil || st.Sale.Number == "" || !st.Sale.Printed {
			t.Fatalf("after paying: %+v", st)
		}
		var sale salePayments
		c.must(200, "GET", "/api/v1/sales/"+st.Sale.Number, nil, &sale)
		if p := sale.Payments[0]; sale.Reconcile || p.Method != "qris" || p.ChargeID != st.Attempt.ChargeID || p.Confirmation != "provider" {
			t.Errorf("sale %+v", sale)
		}
	})

	t.Run("provider down", func(t *testing.T) {
		cart := add()
		sb.down(true)
		defer sb.down(false)
		status, b := c.do("POST", "/api/v1/cart/qris", map[string]any{"cart_id": cart.ID}, nil)
		var e apiErr
		json.Unmarshal(b, &e)
		if want := qris.Message(qris.ErrUnreachable, "id"); status != http.StatusBadGateway || e.Error.Code != "unreachable" || e.Error.Message != want {
			t.Fatalf("provider down: %d %s, want 502 unreachable %q", status, b, want)
		}
		// Cash always works.
		c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cart.ID,
			"payments": []map[string]any{{"method": "cash", "amount": cart.CashDue}}}, nil)
	})

	t.Run("cancel then late payment", func(t *testing.T) {
		cart := add()
		var st qrisStatus
		c.must(201, "POST", "/api/v1/cart/qris", map[string]any{"cart_id": cart.ID}, &st)
		ref, charge := st.Attempt.Reference, st.Attempt.ChargeID
		c.must(200, "POST", "/api/v1/qris/"+ref+"/cancel", map[string]any{}, &st)
		if st.Sale != nil || st.Attempt.State != "cancelled" {
			t.Fatalf("cancel: %+v", st)
		}
		sb.pay(charge) // the customer pays the code anyway
		c.must(200, "GET", "/api/v1/qris/"+ref, nil, &st)
		if st.Sale != nil || st.Problem == "" {
			t.Fatalf("late payment: %+v", st)
		}
		// The cart is still there for another method; nothing was taken.
		c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cart.ID,
			"payments": []map[string]any{{"method": "cash", "amount": cart.CashDue}}}, nil)
		// The supervisor sees the money to reconcile; a cashier may not.
		if status, _ := c.do("GET", "/api/v1/qris/late", nil, nil); status != http.StatusForbidden {
			t.Errorf("late list for a cashier: %d", status)
		}
		spv := newClient(t, s.URL)
		spv.login("9999")
		var late struct {
			Late []struct {
				Reference string `json:"reference"`
				ChargeID  string `json:"charge_id"`
				LateSeq   int64  `json:"late_seq"`
			} `json:"late"`
		}
		spv.must(200, "GET", "/api/v1/qris/late", nil, &late)
		if len(late.Late) != 1 || late.Late[0].ChargeID != charge || late.Late[0].LateSeq == 0 {
			t.Errorf("late list %+v", late)
		}
	})
}

// TestQRISInBrowser pays two sales in real Chromium: by static QRIS (the
// code on the pay screen and on the customer's screen, confirmed by the
// cashier) and by dynamic QRIS through the sandbox (the screen follows the
// charge until the sandbox's "phone" pays it). Each code shown is read back
// from the page and parsed as a phone would.
func TestQRISInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: run without -short (make test)")
	}
	s := startServer(t, "")
	sb := sandbox{t, sandboxURL(t, s)}
	api := newClient(t, s.URL)
	api.login("1111")
	openShift(api, 200000)
	ps := barcodes(t, api, 2)

	ctx := browser(t, 1280, 800)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	login := []chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(s.URL + "/"),
		chromedp.WaitVisible(css(`#pin-pad`)),
	}
	for range 4 {
		login = append(login, chromedp.Click(css(`#pin-pad button[data-digit="1"]`)))
	}
	login = append(login, chromedp.Click(css(`#pin-ok`)), chromedp.WaitVisible(css(`#scan`)))
	if err := chromedp.Do(ctx, login...); err != nil {
		t.Fatalf("login: %v", err)
	}
	scan := func(barcode string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.activeElement && document.activeElement.id === 'scan'`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			screenshot(t, ctx, "qris-scan-focus")
			t.Fatalf("scan field has no focus: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(barcode+kb.Enter), chromedp.WaitVisible(css(`#cart-lines .cart-line`))); err != nil {
			t.Fatalf("scan %s: %v", barcode, err)
		}
	}
	// shown waits for the QR code on the pay screen and returns its payload.
	shown := func(tab context.Context, sel string) string {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.WaitVisible(css(sel+` svg`))); err != nil {
			screenshot(t, tab, "qris-no-code")
			t.Fatalf("no QR code at %s: %v", sel, err)
		}
		payload, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('`+sel+`').dataset.payload`))
		if err != nil {
			t.Fatal(err)
		}
		return payload
	}
	paid := func(method string) salePayments {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.WaitVisible(css(`#change-amount`))); err != nil {
			screenshot(t, ctx, "qris-not-paid")
			t.Fatalf("%s: no result screen: %v", method, err)
		}
		number, err := chromedp.Run(ctx, chromedp.Text(css(`#sale-number`)))
		if err != nil {
			t.Fatal(err)
		}
		var sale salePayments
		api.must(200, "GET", "/api/v1/sales/"+strings.TrimSpace(number), nil, &sale)
		if len(sale.Payments) != 1 || sale.Payments[0].Method != method {
			t.Fatalf("sale %+v, want paid by %s", sale, method)
		}
		return sale
	}

	// Static QRIS: the code on both screens, then the cashier's confirmation.
	scan(ps[0].Barcodes[0])
	if err := chromedp.Do(ctx,
		chromedp.Click(css(`#btn-pay`)),
		chromedp.Click(css(`#pay-method-qris_static`)),
		chromedp.Click(css(`#qris-show`)),
	); err != nil {
		t.Fatalf("static QRIS: %v", err)
	}
	payload := shown(ctx, `#qris-code`)
	checkCode(t, payload, ps[0].PriceNow)
	screenshot(t, ctx, "qris-static")
	cust, cancel := chromedp.NewContext(ctx) // a second tab: the customer's screen
	defer cancel()
	if err := chromedp.Do(cust, chromedp.Navigate(s.URL+"/customer")); err != nil {
		t.Fatal(err)
	}
	if got := shown(cust, `#cust-qr`); got != payload {
		t.Errorf("customer screen shows %q, want the pay screen's %q", got, payload)
	}
	screenshot(t, cust, "qris-customer")
	if err := chromedp.Do(ctx, chromedp.Click(css(`#qris-confirm`))); err != nil {
		t.Fatal(err)
	}
	if sale := paid("qris_static"); !sale.Reconcile || sale.Payments[0].Confirmation != "cashier" {
		t.Errorf("static sale %+v", sale)
	}

	// Dynamic QRIS: the sandbox's phone pays; the screen notices by itself.
	if err := chromedp.Do(ctx, chromedp.Click(css(`#btn-new-sale`))); err != nil {
		t.Fatal(err)
	}
	scan(ps[1].Barcodes[0])
	if err := chromedp.Do(ctx,
		chromedp.Click(css(`#btn-pay`)),
		chromedp.Click(css(`#pay-method-qris`)),
		chromedp.Click(css(`#qris-show`)),
	); err != nil {
		t.Fatalf("dynamic QRIS: %v", err)
	}
	payload = shown(ctx, `#qris-code`)
	checkCode(t, payload, ps[1].PriceNow)
	screenshot(t, ctx, "qris-dynamic")
	var charges []struct {
		ID       string `json:"id"`
		State    string `json:"state"`
		QRString string `json:"qr_string"`
	}
	resp, err := http.Get(sb.url + "/sandbox/charges")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&charges)
	resp.Body.Close()
	if len(charges) != 1 || charges[0].QRString != payload {
		t.Fatalf("sandbox charges %+v, want the one on screen", charges)
	}
	sb.pay(charges[0].ID)
	if sale := paid("qris"); sale.Payments[0].ChargeID != charges[0].ID || sale.Reconcile {
		t.Errorf("dynamic sale %+v", sale)
	}
	screenshot(t, ctx, "qris-dynamic-paid")
}
