package appliance

import (
	"math/rand/v2"
	"testing"
)

func TestDiscountValidate(t *testing.T) {
	cases := []struct {
		d  Discount
		ok bool
	}{
		{Discount{}, true},
		{Discount{PercentBP: 1000}, true},
		{Discount{PercentBP: 10000}, true},
		{Discount{Amount: 5000}, true},
		{Discount{PercentBP: -1}, false},
		{Discount{PercentBP: 10001}, false},
		{Discount{Amount: -1}, false},
		{Discount{Amount: maxRupiah + 1}, false},
		{Discount{PercentBP: 1000, Amount: 500}, false},
	}
	for _, c := range cases {
		if err := c.d.Validate(); (err == nil) != c.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", c.d, err, c.ok)
		}
	}
}

func TestDiscountOf(t *testing.T) {
	cases := []struct {
		d    *Discount
		base Rupiah
		want Rupiah
	}{
		{nil, 10000, 0},
		{&Discount{PercentBP: 1000}, 10000, 1000},
		{&Discount{PercentBP: 1000}, 12345, 1235}, // 1.234,5 rounds half up
		{&Discount{PercentBP: 250}, 3500, 88},     // 87,5
		{&Discount{Amount: 2000}, 10000, 2000},
		{&Discount{Amount: 20000}, 10000, 10000}, // never more than the base
		{&Discount{PercentBP: 10000}, 10000, 10000},
		{&Discount{Amount: 500}, 0, 0},
	}
	for _, c := range cases {
		if got := c.d.of(c.base); got != c.want {
			t.Errorf("%+v.of(%d) = %d, want %d", c.d, c.base, got, c.want)
		}
	}
}

func mixedTaxConfig() *Config {
	cfg := DefaultConfig()
	cfg.TaxClasses = append(cfg.TaxClasses, pbjtClass())
	return &cfg
}

func TestCartTotals(t *testing.T) {
	cfg := mixedTaxConfig()
	c := &Cart{Lines: []Line{
		{ID: 1, SKU: "A", TaxClass: "PPN", Qty: 3000, UnitPrice: 3500},                                        // 10.500
		{ID: 2, SKU: "B", TaxClass: "PPN", Qty: 1000, UnitPrice: 25000, Discount: &Discount{PercentBP: 1000}}, // 25.000 − 2.500
		{ID: 3, SKU: "C", TaxClass: "BEBAS", Qty: 750, UnitPrice: 45000, Weighed: true},                       // 33.750
		{ID: 4, SKU: "D", TaxClass: "PBJT", Qty: 2000, UnitPrice: 5500, Discount: &Discount{Amount: 1000}},    // 11.000 − 1.000
	}}
	got := c.Totals(cfg)
	if got.Subtotal != 80250 || got.LineDiscounts != 3500 || got.OrderDiscount != 0 || got.Total != 76750 {
		t.Errorf("totals %+v", got)
	}
	if got.Items != 6000 {
		t.Errorf("items %d, want 6 counted pieces (the weighed line does not count)", got.Items)
	}
	wantLines := []LineTotals{{10500, 0, 0, 10500}, {25000, 2500, 0, 22500}, {33750, 0, 0, 33750}, {11000, 1000, 0, 10000}}
	for i, w := range wantLines {
		if got.Lines[i] != w {
			t.Errorf("line %d = %+v, want %+v", i, got.Lines[i], w)
		}
	}
	// PBJT first (classes sorted by code), then PPN on 10.500 + 22.500; BEBAS has no tax.
	if len(got.Taxes) != 2 {
		t.Fatalf("taxes %+v", got.Taxes)
	}
	if tx := got.Taxes[0]; tx.Class != "PBJT" || tx.Gross != 10000 || tx.Amount != 909 {
		t.Errorf("PBJT %+v", tx)
	}
	if tx := got.Taxes[1]; tx.Class != "PPN" || tx.Gross != 33000 || tx.Base != 27252 || tx.Amount != 3270 {
		t.Errorf("PPN %+v", tx)
	}
}

func TestCartOrderDiscount(t *testing.T) {
	cfg := mixedTaxConfig()
	c := &Cart{
		Lines: []Line{
			{ID: 1, TaxClass: "PPN", Qty: 1000, UnitPrice: 10000},
			{ID: 2, TaxClass: "PPN", Qty: 1000, UnitPrice: 10000},
			{ID: 3, TaxClass: "BEBAS", Qty: 1000, UnitPrice: 10000},
		},
		Discount: &Discount{Amount: 1000},
	}
	got := c.Totals(cfg)
	// 1.000 over three equal lines: 333 each and the rupiah left to the first.
	shares := []Rupiah{334, 333, 333}
	for i, s := range shares {
		if got.Lines[i].OrderShare != s || got.Lines[i].Net != 10000-s {
			t.Errorf("line %d = %+v, want share %d", i, got.Lines[i], s)
		}
	}
	if got.Total != 29000 || got.OrderDiscount != 1000 {
		t.Errorf("total %d, order discount %d", got.Total, got.OrderDiscount)
	}
	if got.Taxes[0].Gross != 10000-334+10000-333 {
		t.Errorf("PPN gross %d, want the PPN lines' nets", got.Taxes[0].Gross)
	}

	// A percent order discount applies after the line discounts.
	c.Lines[0].Discount = &Discount{Amount: 4000}
	c.Discount = &Discount{PercentBP: 1000}
	got = c.Totals(cfg)
	if got.OrderDiscount != 2600 || got.Total != 23400 {
		t.Errorf("order discount %d, total %d; want 2.600 and 23.400", got.OrderDiscount, got.Total)
	}

	// An order discount larger than the cart gives it away, never below zero.
	c.Discount = &Discount{Amount: 100000}
	got = c.Totals(cfg)
	if got.Total != 0 {
		t.Errorf("total %d, want 0", got.Total)
	}
	for i, l := range got.Lines {
		if l.Net != 0 {
			t.Errorf("line %d net %d, want 0", i, l.Net)
		}
	}
}

func TestCartEmpty(t *testing.T) {
	got := (&Cart{Discount: &Discount{Amount: 500}}).Totals(mixedTaxConfig())
	if got.Total != 0 || got.OrderDiscount != 0 || len(got.Lines) != 0 || len(got.Taxes) != 0 {
		t.Errorf("empty cart totals %+v", got)
	}
}

// Property: for any cart, the lines' nets add up to the total exactly, the
// order discount is shared out to the rupiah, every share is within one
// rupiah of its proportional part, and no line goes below zero.
func TestCartTotalsProperty(t *testing.T) {
	cfg := mixedTaxConfig()
	rng := rand.New(rand.NewPCG(1, 2))
	classes := []string{"PPN", "BEBAS", "PBJT"}
	for iter := range 5000 {
		c := &Cart{}
		for i := range 1 + rng.IntN(12) {
			l := Line{ID: i + 1, TaxClass: classes[rng.IntN(3)], UnitPrice: Rupiah(rng.IntN(200) * 500)}
			if rng.IntN(4) == 0 {
				l.Weighed, l.Qty = true, Qty(1+rng.IntN(3000))
			} else {
				l.Qty = Qty(1+rng.IntN(5)) * QtyOne
			}
			switch rng.IntN(4) {
			case 0:
				l.Discount = &Discount{PercentBP: int64(rng.IntN(10001))}
			case 1:
				l.Discount = &Discount{Amount: Rupiah(rng.IntN(20000))}
			}
			c.Lines = append(c.Lines, l)
		}
		switch rng.IntN(3) {
		case 0:
			c.Discount = &Discount{PercentBP: int64(rng.IntN(10001))}
		case 1:
			c.Discount = &Discount{Amount: Rupiah(rng.IntN(50000))}
		}
		got := c.Totals(cfg)
		var nets, shares, base Rupiah
		for _, l := range got.Lines {
			nets += l.Net
			shares += l.OrderShare
			base += l.Gross - l.Discount
			if l.Net < 0 || l.OrderShare < 0 || l.Discount > l.Gross {
				t.Fatalf("iteration %d: line %+v", iter, l)
			}
		}
		if nets != got.Total || shares != got.OrderDiscount || got.Total != got.Subtotal-got.LineDiscounts-got.OrderDiscount {
			t.Fatalf("iteration %d: nets %d, shares %d, totals %+v", iter, nets, shares, got)
		}
		for i, l := range got.Lines {
			if base == 0 {
				break
			}
			exact := float64(got.OrderDiscount) * float64(l.Gross-l.Discount) / float64(base)
			if d := float64(l.OrderShare) - exact; d >= 1 || d <= -1 {
				t.Fatalf("iteration %d: line %d share %d, proportional %.2f", iter, i, l.OrderShare, exact)
			}
		}
		var taxed Rupiah
		for _, tx := range got.Taxes {
			taxed += tx.Gross
		}
		var wantTaxed Rupiah
		for i, l := range c.Lines {
			if l.TaxClass != "BEBAS" {
				wantTaxed += got.Lines[i].Net
			}
		}
		if taxed != wantTaxed {
			t.Fatalf("iteration %d: taxes on %d, taxed lines net %d", iter, taxed, wantTaxed)
		}
	}
}

func TestCartLine(t *testing.T) {
	c := &Cart{Lines: []Line{{ID: 3, SKU: "A"}, {ID: 7, SKU: "B"}}}
	if l := c.Line(7); l == nil || l.SKU != "B" {
		t.Errorf("Line(7) = %+v", l)
	}
	c.Line(3).Qty = 2000
	if c.Lines[0].Qty != 2000 {
		t.Error("Line returns a copy, want the cart's line")
	}
	if c.Line(4) != nil {
		t.Error("Line(4) found a line")
	}
}
