package main

import (
	"bufio"
	"context"
	"encoding/json"
	"github.com/kasirpos/kasir/appliance"
	"net/http"
	"strings"
	"testing"
	"time"
)

type product struct {
	SKU      string   `json:"sku"`
	Barcodes []string `json:"barcodes"`
	Name     string   `json:"name"`
	PriceNow int64    `json:"price_now"`
	Weighed  bool     `json:"weighed"`
}

type cartView struct {
	ID    string `json:"id"`
	Lines []struct {
		ID  int     `json:"id"`
		SKU string  `json:"sku"`
		Qty float64 `json:"qty"`
		Net int64   `json:"net"`
	} `json:"lines"`
	Total   int64 `json:"total"`
	CashDue int64 `json:"cash_due"`
	Parked  int   `json:"parked"`
}

type saleJSON struct {
	Number   string `json:"number"`
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"`
	Total    int64  `json:"total"`
	Rounding int64  `json:"rounding"`
	Due      int64  `json:"due"`
	Paid     int64  `json:"paid"`
	Change   int64  `json:"change"`
	Ref      string `json:"ref"`
	Printed  bool   `json:"printed"`
	Lines    []struct {
		LineNo int     `json:"line_no"`
		Qty    float64 `json:"qty"`
		Net    int64   `json:"net"`
	} `json:"lines"`
	VoidedBy   string   `json:"voided_by"`
	Refunds    []string `json:"refunds"`
	Refundable []struct {
		LineNo int     `json:"line_no"`
		Qty    float64 `json:"qty"`
	} `json:"refundable"`
}

// barcodes returns n EAN-13 barcodes of distinct, counted demo products.
func barcodes(t *testing.T, c *client, n int) []product {
	t.Helper()
	var res struct{ Products []product }
	c.must(200, "GET", "/api/v1/products?limit=200", nil, &res)
	var out []product
	for _, p := range res.Products {
		for _, b := range p.Barcodes {
			if len(b) == 13 && b[0] != '2' && !p.Weighed {
				p.Barcodes = []string{b}
				out = append(out, p)
				break
			}
		}
		if len(out) == n {
			return out
		}
	}
	t.Fatalf("demo catalog has only %d EAN-13 products in the first page", len(out))
	return nil
}

func openShift(c *client, float int64) {
	c.t.Helper()
	c.must(201, "POST", "/api/v1/shift/open", map[string]int64{"float": float}, nil)
}

func TestSaleThroughAPI(t *testing.T) {
	s := startServer(t, "")
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 200000)
	ps := barcodes(t, c, 3)
	var cart cartView
	for _, p := range ps {
		c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": p.Barcodes[0], "qty": 1}, &cart)
	}
	// Scanning the first one again adds to its line.
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[0].Barcodes[0]}, &cart)
	if got, want := len(cart.Lines), 3; got != want {
		t.Fatalf("lines = %d, want %d", got, want)
	}
	if got, want := cart.Lines[0].Qty, 2.0; got != want {
		t.Errorf("qty of first line = %v, want %v", got, want)
	}
	want := 2*ps[0].PriceNow + ps[1].PriceNow + ps[2].PriceNow
	if cart.Total != want {
		t.Errorf("cart total = %d, want %d", cart.Total, want)
	}
	var sale saleJSON
	c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "cash", "amount": 500000}}}, &sale)
	if sale.Number == "" || sale.Seq < 2 || sale.Total != want || sale.Change != 500000-sale.Due || !sale.Printed {
		t.Fatalf("sale = %+v", sale)
	}
	if !strings.HasPrefix(sale.Number, "S001-T01-") {
		t.Errorf("number = %q", sale.Number)
	}
	var got saleJSON
	c.must(200, "GET", "/api/v1/sales/"+sale.Number, nil, &got)
	if got.Number != sale.Number || got.Total != sale.Total || got.Change != sale.Change {
		t.Errorf("GET sale = %+v, want %+v", got, sale)
	}
	c.must(200, "GET", "/api/v1/cart", nil, &cart)
	if len(cart.Lines) != 0 {
		t.Errorf("cart after pay has %d lines", len(cart.Lines))
	}
	var printed struct {
		Receipts []struct{ Title, Text string }
	}
	c.must(200, "GET", "/api/v1/printer", nil, &printed)
	if len(printed.Receipts) == 0 || printed.Receipts[0].Title != sale.Number || !strings.Contains(printed.Receipts[0].Text, "TOTAL") {
		t.Errorf("printer has %+v", printed.Receipts)
	}
	var st struct {
		Unsynced int    `json:"unsynced"`
		LastSeq  int64  `json:"last_seq"`
		Database string `json:"database"`
	}
	c.must(200, "GET", "/api/v1/status", nil, &st)
	if st.Unsynced != 2 || st.LastSeq != sale.Seq || st.Database != "ok" {
		t.Errorf("status = %+v, want 2 unsynced (shift open and sale), last seq %d", st, sale.Seq)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	s := startServer(t, "")
	c := newClient(t, s.URL)
	code, b := c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil, "Origin", "http://evil.example")
	if code != 403 || errCode(b) != "cross_origin" {
		t.Fatalf("cross-origin login: %d %s", code, b)
	}
	code, b = c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil, "Sec-Fetch-Site", "cross-site")
	if code != 403 {
		t.Fatalf("cross-site fetch: %d %s", code, b)
	}
	code, b = c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil, "Origin", s.URL)
	if code != 200 {
		t.Fatalf("same-origin login: %d %s", code, b)
	}
	// A logged-in session is no help to another site either.
	code, b = c.do("POST", "/api/v1/shift/open", map[string]int64{"float": 1}, nil, "Origin", "http://evil.example")
	if code != 403 {
		t.Fatalf("cross-origin shift open: %d %s", code, b)
	}
}

func TestPINLockout(t *testing.T) {
	s := startServer(t, "")
	c := newClient(t, s.URL)
	for i := 1; i <= 4; i++ {
		code, b := c.do("POST", "/api/v1/login", map[string]string{"pin": "0000"}, nil)
		if code != 401 || errCode(b) != "unauthorized" {
			t.Fatalf("wrong PIN %d: %d %s", i, code, b)
		}
	}
	code, b := c.do("POST", "/api/v1/login", map[string]string{"pin": "0000"}, nil)
	var e apiErr
	json.Unmarshal(b, &e)
	if code != 429 || e.Error.Code != "locked" || e.Error.RetryAfter <= 0 {
		t.Fatalf("fifth wrong PIN: %d %s", code, b)
	}
	// While locked, even the right PIN is refused.
	code, b = c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil)
	if code != 429 {
		t.Fatalf("right PIN while locked: %d %s", code, b)
	}
	if !strings.Contains(e.Error.Message, "PIN") {
		t.Errorf("message %q does not tell the cashier", e.Error.Message)
	}
}

func TestClearErrors(t *testing.T) {
	s := startServer(t, "")
	c := newClient(t, s.URL)
	code, b := c.do("GET", "/api/v1/cart", nil, nil)
	if code != 401 {
		t.Fatalf("cart without login: %d %s", code, b)
	}
	c.login("1111")
	tests := []struct {
		name, method, path string
		body               any
		lang               string
		status             int
		code, text         string
	}{
		{"unknown barcode", "POST", "/api/v1/cart/lines", map[string]any{"code": unknownEAN}, "", 404, "not_found", "Barang tidak ditemukan"},
		{"unknown barcode, English", "POST", "/api/v1/cart/lines", map[string]any{"code": unknownEAN}, "en", 404, "not_found", "Item not found"},
		{"misread barcode", "POST", "/api/v1/cart/lines", map[string]any{"code": misreadEAN}, "", 400, "invalid", "salah baca"},
		{"malformed JSON", "POST", "/api/v1/cart/lines", json.RawMessage(`{"code":`), "", 400, "invalid", "tidak valid"},
		{"fractional qty of a counted item", "POST", "/api/v1/cart/lines", nil, "", 0, "", ""},
		{"pay without shift", "POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "cash", "amount": 1000}}}, "", 409, "no_shift", "shift"},
		{"unknown endpoint", "GET", "/api/v1/nope", nil, "", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.status == 0 {
				p := barcodes(t, c, 1)[0]
				code, b := c.do("POST", "/api/v1/cart/lines", map[string]any{"code": p.Barcodes[0], "qty": 0.5}, nil)
				if code != 400 || errCode(b) != "invalid" {
					t.Fatalf("half a counted item: %d %s", code, b)
				}
				return
			}
			c.lang = tt.lang
			defer func() { c.lang = "" }()
			var body any = tt.body
			if raw, ok := tt.body.(json.RawMessage); ok {
				body = rawBody(raw)
			}
			code, b := c.do(tt.method, tt.path, body, nil)
			var e apiErr
			json.Unmarshal(b, &e)
			if code != tt.status || e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.text) {
				t.Fatalf("got %d %s, want %d %s containing %q", code, b, tt.status, tt.code, tt.text)
			}
		})
	}
}

// rawBody marshals to itself, so a test can send malformed JSON.
type rawBody []byte

func (r rawBody) MarshalJSON() ([]byte, error) { return r, nil }

func TestUnderpaidAndSplit(t *testing.T) {
	s := startServer(t, "")
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 0)
	p := barcodes(t, c, 1)[0]
	var cart cartView
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": p.Barcodes[0], "qty": 3}, &cart)
	code, b := c.do("POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "cash", "amount": 1}}}, nil)
	if code != 422 || errCode(b) != "underpaid" {
		t.Fatalf("underpaid: %d %s", code, b)
	}
	// Card without its EDC details is refused with a sentence.
	code, b = c.do("POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "card", "amount": cart.Total}}}, nil)
	if code != 400 {
		t.Fatalf("card without details: %d %s", code, b)
	}
	card := cart.Total / 2
	var sale saleJSON
	c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{
		{"method": "card", "amount": card, "bank": "BCA", "approval_code": "A12345", "card_last4": "4321"},
		{"method": "cash", "amount": 100000},
	}}, &sale)
	if sale.Paid != card+100000 || sale.Change != sale.Paid-sale.Due || sale.Due != sale.Total+sale.Rounding {
		t.Fatalf("split sale = %+v", sale)
	}
}

func TestVoidAndRefundNeedSupervisor(t *testing.T) {
	s := startServer(t, "")
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 100000)
	ps := barcodes(t, c, 2)
	pay := func() saleJSON {
		for _, p := range ps {
			c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": p.Barcodes[0], "qty": 2}, nil)
		}
		var sale saleJSON
		c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "cash", "amount": 1000000}}}, &sale)
		return sale
	}
	a, b := pay(), pay()

	code, body := c.do("POST", "/api/v1/sales/"+a.Number+"/void", map[string]any{"reason": "salah input"}, nil)
	if code != 403 || errCode(body) != "needs_approval" {
		t.Fatalf("void without approval: %d %s", code, body)
	}
	code, body = c.do("POST", "/api/v1/sales/"+a.Number+"/void", map[string]any{"reason": "salah input", "approval_pin": "1111"}, nil)
	if code != 403 || errCode(body) != "needs_approval" || !strings.Contains(string(body), "PIN supervisor salah") {
		t.Fatalf("void approved by a cashier PIN: %d %s", code, body)
	}
	var void saleJSON
	c.must(201, "POST", "/api/v1/sales/"+a.Number+"/void", map[string]any{"reason": "salah input", "approval_pin": "9999"}, &void)
	if void.Kind != "void" || void.Ref != a.Number || void.Total != a.Total || void.Seq != b.Seq+1 {
		t.Fatalf("void = %+v", void)
	}
	code, body = c.do("POST", "/api/v1/sales/"+a.Number+"/void", map[string]any{"reason": "lagi", "approval_pin": "9999"}, nil)
	if code != 409 {
		t.Fatalf("second void: %d %s", code, body)
	}
	var orig saleJSON
	c.must(200, "GET", "/api/v1/sales/"+a.Number, nil, &orig)
	if orig.VoidedBy != void.Number || orig.Total != a.Total {
		t.Fatalf("voided sale reads %+v", orig)
	}

	// Refund one of the two units of b's first line, then the rest.
	var r1 saleJSON
	c.must(201, "POST", "/api/v1/sales/"+b.Number+"/refund", map[string]any{
		"lines": []map[string]any{{"line_no": 1, "qty": 1}}, "reason": "rusak", "approval_pin": "9999"}, &r1)
	if r1.Kind != "refund" || len(r1.Lines) != 1 || r1.Total != b.Lines[0].Net/2 {
		t.Fatalf("refund = %+v (line net %d)", r1, b.Lines[0].Net)
	}
	code, body = c.do("POST", "/api/v1/sales/"+b.Number+"/refund", map[string]any{
		"lines": []map[string]any{{"line_no": 1, "qty": 2}}, "reason": "rusak", "approval_pin": "9999"}, nil)
	if code != 400 {
		t.Fatalf("refund of more than is left: %d %s", code, body)
	}
	var r2 saleJSON
	c.must(201, "POST", "/api/v1/sales/"+b.Number+"/refund", map[string]any{"reason": "semua", "approval_pin": "9999"}, &r2)
	if r1.Total+r2.Total != b.Total {
		t.Fatalf("refunds %d + %d, want the sale's %d", r1.Total, r2.Total, b.Total)
	}
	var after saleJSON
	c.must(200, "GET", "/api/v1/sales/"+b.Number, nil, &after)
	if len(after.Refundable) != 0 || len(after.Refunds) != 2 {
		t.Fatalf("after full refund: %+v", after)
	}

	// The Z report counts them, and cash expected follows the money.
	var z struct {
		Sales, Voids, Refunds int
		Methods               []struct {
			Method                  string
			Expected, Counted, Diff int64
		}
		Diff int64
	}
	code, body = c.do("POST", "/api/v1/shift/close", map[string]any{"counted": map[string]int64{"cash": 0}}, nil)
	if code != 403 || errCode(body) != "needs_approval" {
		t.Fatalf("close by a cashier: %d %s", code, body)
	}
	c.must(200, "POST", "/api/v1/shift/close", map[string]any{"counted": map[string]int64{"cash": 100000}, "approval_pin": "9999"}, &z)
	if z.Sales != 2 || z.Voids != 1 || z.Refunds != 2 {
		t.Fatalf("Z counts %+v", z)
	}
	wantCash := int64(100000) + a.Due + b.Due - a.Due - r1.Due - r2.Due
	for _, m := range z.Methods {
		if m.Method == "cash" && (m.Expected != wantCash || m.Diff != 100000-wantCash) {
			t.Errorf("cash expected %d diff %d, want %d and %d", m.Expected, m.Diff, wantCash, 100000-wantCash)
		}
	}
}

// unknownEAN is a valid EAN-13 that no demo product has; misreadEAN is
// the same code with a wrong check digit.
var unknownEAN, misreadEAN = func() (string, string) {
	body := "899999999999"
	cd, _ := appliance.GTINCheckDigit(body)
	wrong := '0' + (cd-'0'+1)%10
	return body + string(cd), body + string(wrong)
}()

func TestParkRecallAndDiscountApproval(t *testing.T) {
	s := startServer(t, "")
	c := newClient(t, s.URL)
	c.login("1111")
	ps := barcodes(t, c, 2)
	var cart cartView
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[0].Barcodes[0], "qty": 10}, &cart)
	// 5% is within a cashier's limit; 50% needs a supervisor.
	c.must(200, "POST", "/api/v1/cart/lines/1/discount", map[string]any{"percent": 5}, &cart)
	if want := ps[0].PriceNow*10 - (ps[0].PriceNow*10*5+50)/100; cart.Total != want {
		t.Errorf("total after 5%% = %d, want %d", cart.Total, want)
	}
	code, body := c.do("POST", "/api/v1/cart/lines/1/discount", map[string]any{"percent": 50}, nil)
	if code != 403 || errCode(body) != "needs_approval" {
		t.Fatalf("50%% by a cashier: %d %s", code, body)
	}
	c.must(200, "POST", "/api/v1/cart/lines/1/discount", map[string]any{"percent": 50, "approval_pin": "9999"}, &cart)
	code, body = c.do("POST", "/api/v1/cart/lines/1/price", map[string]any{"price": 1}, nil)
	if code != 403 {
		t.Fatalf("price override by a cashier: %d %s", code, body)
	}
	first := cart.ID
	c.must(200, "POST", "/api/v1/cart/park", map[string]any{"note": "Ibu baju merah"}, &cart)
	if len(cart.Lines) != 0 || cart.Parked != 1 {
		t.Fatalf("after park: %+v", cart)
	}
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[1].Barcodes[0]}, &cart)
	code, body = c.do("POST", "/api/v1/carts/"+first+"/recall", nil, nil)
	if code != 409 {
		t.Fatalf("recall over a busy cart: %d %s", code, body)
	}
	c.must(200, "DELETE", "/api/v1/cart", nil, &cart)
	c.must(200, "POST", "/api/v1/carts/"+first+"/recall", nil, &cart)
	if cart.ID != first || len(cart.Lines) != 1 || cart.Lines[0].Qty != 10 {
		t.Fatalf("recalled %+v", cart)
	}
}

func TestCartSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	c := newClient(t, s.URL)
	c.login("1111")
	p := barcodes(t, c, 1)[0]
	var before cartView
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": p.Barcodes[0], "qty": 4}, &before)
	s.stop()

	s2 := startServer(t, data)
	c2 := newClient(t, s2.URL)
	c2.login("1111")
	var after cartView
	c2.must(200, "GET", "/api/v1/cart", nil, &after)
	if after.ID != before.ID || len(after.Lines) != 1 || after.Total != before.Total {
		t.Fatalf("cart after restart %+v, want %+v", after, before)
	}
}

// The status strip follows server-sent events: a committed record shows up
// in the stream without polling.
func TestStatusEvents(t *testing.T) {
	s := startServer(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	next := func() map[string]any {
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				if err := json.Unmarshal([]byte(d), &m); err != nil {
					t.Fatal(err)
				}
				return m
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return nil
	}
	if first := next(); first["unsynced"] != float64(0) || first["online"] != false {
		t.Fatalf("first event %v", first)
	}
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 1000)
	if ev := next(); ev["unsynced"] != float64(1) || ev["shift_open"] != true {
		t.Fatalf("event after the shift opened: %v", ev)
	}
}

// The customer screen's stream shows each item as it is scanned with the
// total, then what was paid and the change.
func TestCustomerEvents(t *testing.T) {
	s := startServer(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/customer/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	next := func() appliance.CustomerView {
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var v appliance.CustomerView
				if err := json.Unmarshal([]byte(d), &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return appliance.CustomerView{}
	}
	if v := next(); v.State != appliance.CustomerIdle || v.StoreName == "" {
		t.Fatalf("first view %+v", v)
	}
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 1000)
	ps := barcodes(t, c, 2)
	var cv cartView
	for _, p := range ps {
		c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": p.Barcodes[0]}, &cv)
		v := next()
		if v.State != appliance.CustomerCart || v.Last == nil || v.Last.Name != p.Name || int64(v.Total) != cv.Total {
			t.Fatalf("after scanning %s: %+v (cart total %d)", p.Name, v, cv.Total)
		}
	}
	var sale saleJSON
	c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cv.ID, "payments": []map[string]any{{"method": "cash", "amount": 1000000}}}, &sale)
	v := next()
	if v.State != appliance.CustomerPaid || int64(v.Change) != sale.Change || v.Number != sale.Number {
		t.Fatalf("after paying: %+v, sale %+v", v, sale)
	}
}
