package appliance_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/localstore"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// paper is a printer that keeps receipts in memory and can fail.
type paper struct {
	mu       sync.Mutex
	receipts []*appliance.Receipt
	fail     error
	opens    int
}

func (p *paper) Print(_ context.Context, r *appliance.Receipt) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.receipts = append(p.receipts, r)
	return nil
}
func (p *paper) Open(context.Context) error { p.mu.Lock(); defer p.mu.Unlock(); p.opens++; return nil }
func (p *paper) Status() appliance.DeviceStatus {
	return appliance.DeviceStatus{State: appliance.DeviceOK}
}

// failingStore is a real store whose commits can be made to fail, as a
// full or broken disk would.
type failingStore struct {
	*localstore.DB
	fail error
}

func (f *failingStore) Commit(ctx context.Context, rec *appliance.Record) error {
	if f.fail != nil {
		return f.fail
	}
	return f.DB.Commit(ctx, rec)
}

var wib = time.FixedZone("WIB", 7*3600)

func ean(body string) string { return body + string(must(appliance.GTINCheckDigit(body))) }

var (
	mieEAN = ean("899100210101")
	airEAN = ean("899200160001")
	oldEAN = ean("899200160002")
)

type fixture struct {
	till  *appliance.Till
	db    *failingStore
	clock *fakeClock
	paper *paper
	ctx   context.Context
	u     appliance.User
}

var testProducts = []appliance.Product{
	{SKU: "MIE", Barcodes: []string{mieEAN}, Name: "Mie Goreng 85g", Unit: "pcs", Price: 3500, TaxClass: "PPN", Active: true,
		PriceChanges: []appliance.PriceChange{{Price: 3700, From: time.Date(2026, 12, 1, 0, 0, 0, 0, wib)}}},
	{SKU: "AIR", Barcodes: []string{airEAN}, Name: "Air Mineral 600ml", Unit: "btl", Price: 4000, TaxClass: "PPN", Active: true},
	{SKU: "APEL", Barcodes: []string{"2012345", "2512345"}, Name: "Apel Fuji", Unit: "kg", Price: 40000, TaxClass: "BEBAS", Active: true, Weighed: true},
	{SKU: "OLD", Barcodes: []string{oldEAN}, Name: "Barang Lama", Unit: "pcs", Price: 1000, TaxClass: "PPN", Active: false},
}

func newFixture(t *testing.T, cfg *appliance.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := localstore.Open(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := range testProducts {
		if err := testProducts[i].Validate(); err != nil {
			t.Fatal(err)
		}
	}
	clock := &fakeClock{t: time.Date(2026, 11, 30, 20, 0, 0, 0, wib)}
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "t1", LoadedAt: clock.Now(), Source: "test"}, testProducts); err != nil {
		t.Fatal(err)
	}
	fs := &failingStore{DB: db}
	p := &paper{}
	till, err := appliance.NewTill(ctx, appliance.TillOptions{Store: fs, Catalog: db, Printer: p, Drawer: p, Now: clock.Now, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	u := appliance.User{ID: "k", Name: "Kasir", Role: appliance.RoleCashier}
	if _, err := till.OpenShift(ctx, u, 100000); err != nil {
		t.Fatal(err)
	}
	return &fixture{till: till, db: fs, clock: clock, paper: p, ctx: ctx, u: u}
}

func (f *fixture) add(t *testing.T, code string, qty appliance.Qty) appliance.CartView {
	t.Helper()
	v, err := f.till.AddLine(f.ctx, f.u, code, qty)
	if err != nil {
		t.Fatalf("add %s: %v", code, err)
	}
	return v
}

func cash(n appliance.Rupiah) []appliance.Payment {
	return []appliance.Payment{{Method: appliance.MethodCash, Amount: n}}
}

// A price that starts at midnight applies from midnight, with no connection.
func TestEffectiveDatedPriceSwitchesOnTime(t *testing.T) {
	f := newFixture(t, nil)
	v := f.add(t, mieEAN, 0)
	if got := v.Lines[0].UnitPrice; got != 3500 {
		t.Fatalf("price at 20:00 = %d, want 3500", got)
	}
	f.till.ClearCart(f.ctx, f.u)
	f.clock.Set(time.Date(2026, 12, 1, 0, 0, 0, 0, wib))
	v = f.add(t, mieEAN, 0)
	if got := v.Lines[0].UnitPrice; got != 3700 {
		t.Fatalf("price at 00:00 = %d, want 3700", got)
	}
}

func TestWeighedBarcodes(t *testing.T) {
	f := newFixture(t, nil)
	// Price label: 20 12345 12500 C — Rp 12.500 for this piece.
	price := "201234512500"
	cd, _ := appliance.GTINCheckDigit(price)
	v := f.add(t, price+string(cd), 0)
	// Weight label: 25 12345 00750 C — 750 g at Rp 40.000/kg.
	weight := "251234500750"
	cd, _ = appliance.GTINCheckDigit(weight)
	v = f.add(t, weight+string(cd), 0)
	if len(v.Lines) != 2 {
		t.Fatalf("lines = %d, want 2", len(v.Lines))
	}
	if got := v.Lines[0].Net; got != 12500 {
		t.Errorf("price-label line = %d, want 12500", got)
	}
	if got, q := v.Lines[1].Net, v.Lines[1].Qty; got != 30000 || q != 750 {
		t.Errorf("weight-label line = %d for %s kg, want 30000 for 0,750", got, q)
	}
	if v.Total != 42500 {
		t.Errorf("total = %d, want 42500", v.Total)
	}
}

func TestInactiveAndUnknownProducts(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.till.AddLine(f.ctx, f.u, oldEAN, 0)
	if appliance.ErrorCode(err) != appliance.CodeConflict || appliance.Message(err, "id") != "Barang Lama tidak dijual lagi." {
		t.Errorf("inactive: %v / %q", err, appliance.Message(err, "id"))
	}
	_, err = f.till.AddLine(f.ctx, f.u, "NOPE", 0)
	if appliance.ErrorCode(err) != appliance.CodeNotFound {
		t.Errorf("unknown SKU: %v", err)
	}
}

// A till without a battery clock can boot in the past. Records keep their
// order and are flagged.
func TestClockBehindNeverDatesBeforeLastRecord(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, "AIR", 0)
	first, err := f.till.Pay(f.ctx, f.u, "", cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Set(first.Time.Add(-3 * time.Hour))
	f.add(t, "AIR", 0)
	second, err := f.till.Pay(f.ctx, f.u, "", cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	if !second.ClockBehind || second.Time.Before(first.Time) {
		t.Fatalf("second sale at %v (behind=%v), first at %v", second.Time, second.ClockBehind, first.Time)
	}
	st, err := f.till.Status(f.ctx)
	if err != nil || !st.ClockBehind {
		t.Fatalf("status clock_behind = %v, %v", st.ClockBehind, err)
	}
}

// The sale is committed before anything prints; a printer fault is reported
// and the sale stands.
func TestPrinterFaultNeverUndoesSale(t *testing.T) {
	f := newFixture(t, nil)
	f.paper.fail = errors.New("escpos: paper out")
	f.add(t, "AIR", 2*appliance.QtyOne)
	res, err := f.till.Pay(f.ctx, f.u, "", cash(10000))
	if err != nil {
		t.Fatal(err)
	}
	if res.Printed || res.PrintError == "" {
		t.Errorf("printed=%v error=%q, want the fault reported", res.Printed, res.PrintError)
	}
	if _, err := f.db.Sale(f.ctx, res.Number); err != nil {
		t.Fatalf("sale %s not stored: %v", res.Number, err)
	}
	if f.paper.opens == 0 {
		t.Error("drawer did not open for a cash sale")
	}
}

// A disk that refuses the commit loses nothing the cashier did: the cart
// stays, no number is used up, and the message says what to do.
func TestFailedCommitKeepsCart(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, "AIR", 0)
	f.add(t, "MIE", 3*appliance.QtyOne)
	f.db.fail = errors.New("database or disk is full")
	_, err := f.till.Pay(f.ctx, f.u, "", cash(50000))
	if appliance.ErrorCode(err) != appliance.CodeStoreFailed {
		t.Fatalf("pay on a full disk: %v", err)
	}
	if msg := appliance.Message(err, "id"); msg == "" || msg == appliance.Message(errors.New("x"), "id") {
		t.Errorf("message %q", msg)
	}
	if v := f.till.Cart(f.ctx); len(v.Lines) != 2 {
		t.Fatalf("cart after failed pay has %d lines, want 2", len(v.Lines))
	}
	f.db.fail = nil
	res, err := f.till.Pay(f.ctx, f.u, "", cash(50000))
	if err != nil {
		t.Fatal(err)
	}
	if res.Seq != 2 { // 1 is the shift opening
		t.Errorf("seq after a failed commit = %d, want 2", res.Seq)
	}
}

func TestStaleCatalogPolicy(t *testing.T) {
	cfg := appliance.DefaultConfig()
	cfg.MaxCatalogAge = appliance.Duration{Duration: 48 * time.Hour}
	f := newFixture(t, &cfg)
	f.clock.Set(f.clock.Now().Add(72 * time.Hour))
	// By default an old catalog only warns.
	f.add(t, "AIR", 0)
	st, _ := f.till.Status(f.ctx)
	if !st.Catalog.Stale {
		t.Error("status does not call a 72h-old catalog stale")
	}

	cfg.RefuseStaleCatalog = true
	g := newFixture(t, &cfg)
	g.clock.Set(g.clock.Now().Add(72 * time.Hour))
	if _, err := g.till.AddLine(g.ctx, g.u, "AIR", 0); appliance.ErrorCode(err) != appliance.CodeCatalogStale {
		t.Fatalf("refusing policy: %v", err)
	}
}

func TestCardOnlyIsNotRoundedAndCashIs(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, "AIR", 0)
	f.add(t, "MIE", 0) // 7.500
	f.add(t, ean("201234512500"), 0)
	card := []appliance.Payment{{Method: appliance.MethodCard, Amount: 20000, Bank: "BCA", ApprovalCode: "123456", CardLast4: "1234"}}
	res, err := f.till.Pay(f.ctx, f.u, "", card)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rounding != 0 || res.Total != 20000 {
		t.Fatalf("card sale total %d rounding %d", res.Total, res.Rounding)
	}
	f.add(t, ean("201234512500"), 0)
	f.till.OverridePrice(f.ctx, appliance.User{ID: "s", Name: "Spv", Role: appliance.RoleSupervisor}, 1, 12550, "")
	res, err = f.till.Pay(f.ctx, f.u, "", cash(20000))
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 12550 || res.Rounding != -50 || res.Change != 7500 {
		t.Fatalf("cash sale total %d rounding %d change %d; want 12550, -50, 7500", res.Total, res.Rounding, res.Change)
	}
}

func must[T any](v T, ok bool) T {
	if !ok {
		panic("must")
	}
	return v
}

var spv = appliance.User{ID: "s", Name: "Spv", Role: appliance.RoleSupervisor}

// Two taps on "void" (or two screens) must not void a sale twice, nor void
// and refund it.
func TestConcurrentVoidsAndRefundsReverseOnce(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, airEAN, 2*appliance.QtyOne)
	sale, err := f.till.Pay(f.ctx, f.u, "", cash(10000))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = f.till.Void(f.ctx, spv, sale.Number, "dobel", "")
			} else {
				_, err = f.till.Refund(f.ctx, spv, sale.Number, nil, "cash", "dobel", "")
			}
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d reversals of one sale succeeded, want 1", ok)
	}
	x, err := f.till.XReport(f.ctx, f.u)
	if err != nil {
		t.Fatal(err)
	}
	if x.Net != 0 || x.Voids+x.Refunds != 1 {
		t.Errorf("X report net %d, voids %d, refunds %d", x.Net, x.Voids, x.Refunds)
	}
}

// Rp 10.000 off a Rp 4.000 item is a free item, not a small discount.
func TestAmountDiscountJudgedByWhatItTakesOff(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, airEAN, 0)
	_, err := f.till.DiscountLine(f.ctx, f.u, 1, appliance.Discount{Amount: 10000}, "")
	if appliance.ErrorCode(err) != appliance.CodeApproval {
		t.Fatalf("Rp 10.000 off Rp 4.000 by a cashier: %v", err)
	}
	if _, err := f.till.DiscountLine(f.ctx, f.u, 1, appliance.Discount{Amount: 400}, ""); err != nil {
		t.Fatalf("10%% as an amount: %v", err)
	}
	// Within the limit on ten items, past it once nine are taken off.
	f.till.SetQty(f.ctx, f.u, 1, 10*appliance.QtyOne)
	if _, err := f.till.DiscountLine(f.ctx, f.u, 1, appliance.Discount{Amount: 3000}, ""); err != nil {
		t.Fatal(err)
	}
	f.till.SetQty(f.ctx, f.u, 1, appliance.QtyOne)
	if _, err := f.till.Pay(f.ctx, f.u, "", cash(10000)); appliance.ErrorCode(err) != appliance.CodeConflict {
		t.Fatalf("pay with a discount grown past the limit: %v", err)
	}
}

// Paying the same cart again (the answer was lost) returns the first sale.
func TestPayIsIdempotentPerCart(t *testing.T) {
	f := newFixture(t, nil)
	v := f.add(t, airEAN, 0)
	first, err := f.till.Pay(f.ctx, f.u, v.ID, cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.till.Pay(f.ctx, f.u, v.ID, cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	if !again.AlreadyPaid || again.Number != first.Number {
		t.Fatalf("second pay of %s: %+v", v.ID, again)
	}
	if _, err := f.till.Pay(f.ctx, f.u, "c-other", cash(5000)); appliance.ErrorCode(err) != appliance.CodeConflict {
		t.Fatalf("pay of a cart that is not in progress: %v", err)
	}
	if st, _ := f.db.SyncState(f.ctx); st.LastSeq != 2 {
		t.Errorf("last seq %d, want 2 (shift open and one sale)", st.LastSeq)
	}
}

// Refunding a sale in parts gives back, in all, what was paid.
func TestPartialRefundsPayBackWhatWasPaid(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, mieEAN, 3*appliance.QtyOne) // 3 × 3.500 = 10.500
	if _, err := f.till.DiscountOrder(f.ctx, spv, appliance.Discount{Amount: 400}, ""); err != nil {
		t.Fatal(err)
	}
	sale, err := f.till.Pay(f.ctx, f.u, "", cash(20000)) // 10.100 → 10.100 due (round down 0)
	if err != nil {
		t.Fatal(err)
	}
	var back appliance.Rupiah
	for range 3 {
		r, err := f.till.Refund(f.ctx, spv, sale.Number, []appliance.RefundLine{{LineNo: 1, Qty: appliance.QtyOne}}, "cash", "rusak", "")
		if err != nil {
			t.Fatal(err)
		}
		back += r.Paid
	}
	if want := sale.Total + sale.Rounding; back != want {
		t.Fatalf("three refunds paid back %d, the customer paid %d", back, want)
	}
	if _, err := f.till.Refund(f.ctx, spv, sale.Number, nil, "cash", "lagi", ""); appliance.ErrorCode(err) != appliance.CodeConflict {
		t.Fatalf("refund of a fully refunded sale: %v", err)
	}
}

func TestRefundMethodMustMatchSale(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, airEAN, 0)
	sale, err := f.till.Pay(f.ctx, f.u, "", cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.till.Refund(f.ctx, spv, sale.Number, nil, "card", "x", ""); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Fatalf("card refund of a cash sale: %v", err)
	}
}

func TestMistypedCashAndDrawerLimits(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, airEAN, 0)
	if _, err := f.till.Pay(f.ctx, f.u, "", cash(50_000_000)); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Fatalf("Rp 50 juta for a Rp 4.000 sale: %v", err)
	}
	two := []appliance.Payment{{Method: "cash", Amount: 5000}, {Method: "cash", Amount: 5000}}
	if _, err := f.till.Pay(f.ctx, f.u, "", two); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Fatalf("a second note that was not needed: %v", err)
	}
	// The float is Rp 100.000: Rp 150.000 cannot leave the drawer.
	if _, err := f.till.MoveCash(f.ctx, f.u, false, 150000, "setor"); appliance.ErrorCode(err) != appliance.CodeConflict {
		t.Fatalf("cash out beyond the drawer: %v", err)
	}
	if _, err := f.till.MoveCash(f.ctx, f.u, false, 60000, "setor"); err != nil {
		t.Fatal(err)
	}
}

// Wrong PINs from one device lock that device, not the cashier's screen.
func TestLockoutIsPerClient(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.till.AddUser(f.ctx, appliance.User{ID: "k1", Name: "Ani", Role: appliance.RoleCashier}, "2468"); err != nil {
		t.Fatal(err)
	}
	var err error
	for range 5 {
		_, _, err = f.till.Login(f.ctx, "0000", "10.0.0.66")
	}
	if appliance.ErrorCode(err) != appliance.CodeLocked {
		t.Fatalf("fifth wrong PIN: %v", err)
	}
	if _, _, err := f.till.Login(f.ctx, "2468", "10.0.0.66"); appliance.ErrorCode(err) != appliance.CodeLocked {
		t.Fatalf("right PIN from the locked device: %v", err)
	}
	if _, _, err := f.till.Login(f.ctx, "2468", "10.0.0.5"); err != nil {
		t.Fatalf("the cashier's own screen is locked too: %v", err)
	}
	f.clock.Set(f.clock.Now().Add(6 * time.Minute))
	if _, _, err := f.till.Login(f.ctx, "2468", "10.0.0.66"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

func TestSaleRecordsCatalogVersionOfItsPrices(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, airEAN, 0)
	res, err := f.till.Pay(f.ctx, f.u, "", cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	if res.CatalogVersion != "t1" {
		t.Fatalf("catalog version %q, want t1", res.CatalogVersion)
	}
}
