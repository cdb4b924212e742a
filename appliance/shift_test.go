package appliance

import (
	"testing"
	"time"
)

func TestBuildShiftReport(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Methods = cfg.Methods[:2] // cash and card
	opened := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	sh := &Shift{ID: 7, OpenedAt: opened, OpenedBy: "Sari", Float: 200000}
	ppn := func(net Rupiah) []SaleLine { return []SaleLine{{TaxClass: "PPN", Net: net}} }
	docs := []Sale{
		{Kind: DocSale, Number: "S1", Total: 12500, Lines: ppn(12500), Payments: []Payment{cashPay(20000)}, Paid: 20000, Change: 7500},
		{Kind: DocSale, Number: "S2", Total: 30050, Rounding: -50, Discount: 3000, Lines: ppn(30050), Payments: []Payment{cashPay(50000)}, Paid: 50000, Change: 20000},
		{Kind: DocSale, Number: "S3", Total: 45000, Lines: ppn(45000), Payments: []Payment{cardPay(45000)}, Paid: 45000},
		{Kind: DocSale, Number: "S4", Total: 20000, Lines: []SaleLine{{TaxClass: "BEBAS", Net: 20000}}, Payments: []Payment{cardPay(15000), cashPay(10000)}, Paid: 25000, Change: 5000},
		{Kind: DocVoid, Number: "S5", Ref: "S1", Total: 12500, Lines: ppn(12500), Payments: []Payment{cashPay(12500)}},
		{Kind: DocRefund, Number: "S6", Ref: "S2", Total: 5000, Lines: ppn(5000), Payments: []Payment{cashPay(5000)}},
		{Kind: DocRefund, Number: "S7", Ref: "S3", Total: 10000, Lines: ppn(10000), Payments: []Payment{cardPay(10000)}},
	}
	moves := []CashMove{{In: true, Amount: 50000}, {In: false, Amount: 20000}, {In: false, Amount: 5000}}
	now := opened.Add(8 * time.Hour)

	x := BuildShiftReport("X", sh, docs, moves, nil, &cfg, now, "Budi")
	if x.Kind != "X" || x.ShiftID != 7 || x.Store != "S001" || x.Till != "T01" || x.User != "Budi" || !x.Time.Equal(now) || x.OpenedBy != "Sari" {
		t.Errorf("header %+v", x)
	}
	if x.Sales != 4 || x.Voids != 1 || x.Refunds != 2 {
		t.Errorf("counts: %d sales, %d voids, %d refunds; want 4, 1, 2", x.Sales, x.Voids, x.Refunds)
	}
	if x.Gross != 107550 || x.VoidTotal != 12500 || x.Refunded != 15000 || x.Net != 80050 {
		t.Errorf("gross %d, voids %d, refunds %d, net %d", x.Gross, x.VoidTotal, x.Refunded, x.Net)
	}
	if x.Discounts != 3000 || x.Rounding != -50 || x.CashIn != 50000 || x.CashOut != 25000 {
		t.Errorf("discounts %d, rounding %d, in %d, out %d", x.Discounts, x.Rounding, x.CashIn, x.CashOut)
	}
	if len(x.Methods) != 2 || x.Methods[0].Method != "cash" || x.Methods[1].Method != "card" {
		t.Fatalf("methods %+v, want cash then card", x.Methods)
	}
	// Cash: float 200.000 + sales after change (12.500 + 30.000 + 5.000)
	// − paid back (12.500 + 5.000) + in 50.000 − out 25.000.
	cashLine, cardLine := x.Methods[0], x.Methods[1]
	if cashLine.Name != "Tunai" || cashLine.Sales != 47500 || cashLine.Returned != 17500 || cashLine.Expected != 255000 || cashLine.HasCount {
		t.Errorf("cash %+v", cashLine)
	}
	if cardLine.Sales != 60000 || cardLine.Returned != 10000 || cardLine.Expected != 50000 {
		t.Errorf("card %+v", cardLine)
	}
	if x.Diff != 0 {
		t.Errorf("X report diff %d", x.Diff)
	}
	// PPN on 12.500 + 30.050 + 45.000 − 12.500 − 5.000 − 10.000.
	if len(x.Taxes) != 1 || x.Taxes[0].Gross != 60050 {
		t.Errorf("taxes %+v", x.Taxes)
	}

	z := BuildShiftReport("Z", sh, docs, moves, map[string]Rupiah{"cash": 254000, "card": 50000}, &cfg, now, "Budi")
	if c := z.Methods[0]; !c.HasCount || c.Counted != 254000 || c.Diff != -1000 {
		t.Errorf("cash counted %+v", c)
	}
	if c := z.Methods[1]; !c.HasCount || c.Diff != 0 {
		t.Errorf("card counted %+v", c)
	}
	if z.Diff != -1000 {
		t.Errorf("Z diff %d, want -1.000", z.Diff)
	}
}

func TestBuildShiftReportEmpty(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Methods = cfg.Methods[:2] // cash and card
	sh := &Shift{ID: 1, Float: 150000}
	r := BuildShiftReport("Z", sh, nil, nil, map[string]Rupiah{"cash": 150000, "card": 0}, &cfg, time.Now(), "Sari")
	if r.Sales != 0 || r.Net != 0 || r.Diff != 0 || len(r.Methods) != 2 {
		t.Errorf("empty shift report %+v", r)
	}
	if r.Methods[0].Expected != 150000 {
		t.Errorf("cash expected %d, want the float", r.Methods[0].Expected)
	}
}

// A method that took money but is no longer offered (config changed during
// the shift) still has its line, after the configured ones.
func TestBuildShiftReportRetiredMethod(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Methods = cfg.Methods[:2] // cash and card
	docs := []Sale{{Kind: DocSale, Total: 10000, Payments: []Payment{{Method: "ovo", Amount: 10000}}}}
	r := BuildShiftReport("X", &Shift{ID: 1}, docs, nil, nil, &cfg, time.Now(), "Sari")
	if len(r.Methods) != 3 || r.Methods[2].Method != "ovo" || r.Methods[2].Name != "ovo" || r.Methods[2].Expected != 10000 {
		t.Errorf("methods %+v", r.Methods)
	}
}
