package appliance

import (
	"reflect"
	"testing"
)

func pbjtClass() TaxClass {
	return TaxClass{Code: "PBJT", Name: "PBJT 10%", Components: []TaxComponent{{Name: "PBJT", RateBP: 1000, BaseNum: 1, BaseDen: 1}}}
}

func TestTaxSplit(t *testing.T) {
	both := TaxClass{Code: "RESTO", Components: []TaxComponent{
		{Name: "PPN", RateBP: 1200, BaseNum: 11, BaseDen: 12},
		{Name: "PBJT", RateBP: 1000, BaseNum: 1, BaseDen: 1},
	}}
	// A made-up 100% tax puts the split exactly on half a rupiah.
	half := TaxClass{Code: "HALF", Components: []TaxComponent{{Name: "X", RateBP: 10000, BaseNum: 1, BaseDen: 1}}}
	type part struct{ base, amount Rupiah }
	cases := []struct {
		name  string
		class TaxClass
		gross Rupiah
		want  []part
	}{
		// Price before tax H = 11.100 / 1,11 = 10.000; DPP = 11/12 × H = 9.166,67;
		// PPN = 12% × DPP = 11% × H = 1.100.
		{"PPN 12% on 11/12", PPNDefault(), 11100, []part{{9167, 1100}}},
		{"PPN on a round price", PPNDefault(), 10000, []part{{8258, 991}}},
		{"PPN on one rupiah", PPNDefault(), 1, []part{{1, 0}}},
		{"PPN on nothing", PPNDefault(), 0, []part{{0, 0}}},
		{"PPN on a refund", PPNDefault(), -11100, []part{{-9167, -1100}}},
		{"PBJT 10%", pbjtClass(), 11000, []part{{10000, 1000}}},
		{"PBJT rounds", pbjtClass(), 25000, []part{{22727, 2273}}},
		// H = 12.100 / 1,21 = 10.000.
		{"PPN and PBJT", both, 12100, []part{{9167, 1100}, {10000, 1000}}},
		{"half rounds up", half, 5, []part{{3, 3}}},
		{"half rounds away from zero", half, -5, []part{{-3, -3}}},
		{"below half rounds down", half, 4, []part{{2, 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := c.class.Split(c.gross)
			if len(lines) != len(c.want) {
				t.Fatalf("Split(%d) = %+v, want %d lines", c.gross, lines, len(c.want))
			}
			for i, w := range c.want {
				l := lines[i]
				comp := c.class.Components[i]
				if l.Base != w.base || l.Amount != w.amount {
					t.Errorf("%s: base %d, amount %d; want %d, %d", l.Name, l.Base, l.Amount, w.base, w.amount)
				}
				if l.Class != c.class.Code || l.Name != comp.Name || l.RateBP != comp.RateBP || l.Gross != c.gross {
					t.Errorf("line %+v does not name class %s, component %+v, gross %d", l, c.class.Code, comp, c.gross)
				}
			}
		})
	}
}

func TestTaxSplitNoComponents(t *testing.T) {
	if got := (TaxClass{Code: "BEBAS"}).Split(12500); got != nil {
		t.Errorf("Split on a tax-free class = %+v, want nil", got)
	}
}

// The tax in a price is never more than the price, and never more than one
// rupiah away from the exact share, for every price up to a large one.
func TestTaxSplitBounds(t *testing.T) {
	cls := PPNDefault()
	for g := Rupiah(0); g < 200000; g += 7 {
		l := cls.Split(g)[0]
		exact := float64(g) * 11 / 111
		if d := float64(l.Amount) - exact; d > 0.5 || d < -0.5 {
			t.Fatalf("Split(%d) amount %d, exact %.3f", g, l.Amount, exact)
		}
		if l.Amount > g || l.Base > g {
			t.Fatalf("Split(%d) = %+v", g, l)
		}
	}
}

func TestTaxClassValidate(t *testing.T) {
	cases := []struct {
		class TaxClass
		ok    bool
	}{
		{PPNDefault(), true},
		{pbjtClass(), true},
		{TaxClass{Code: "BEBAS"}, true},
		{TaxClass{}, false},
		{TaxClass{Code: "X", Components: []TaxComponent{{Name: "X", RateBP: -1, BaseNum: 1, BaseDen: 1}}}, false},
		{TaxClass{Code: "X", Components: []TaxComponent{{Name: "X", RateBP: 10001, BaseNum: 1, BaseDen: 1}}}, false},
		{TaxClass{Code: "X", Components: []TaxComponent{{Name: "X", RateBP: 1000, BaseNum: 1, BaseDen: 0}}}, false},
		{TaxClass{Code: "X", Components: []TaxComponent{{Name: "X", RateBP: 1000, BaseNum: 2, BaseDen: 1}}}, false},
		{TaxClass{Code: "X", Components: []TaxComponent{{Name: "X", RateBP: 1000, BaseNum: -1, BaseDen: 1}}}, false},
	}
	for _, c := range cases {
		if err := c.class.Validate(); (err == nil) != c.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", c.class, err, c.ok)
		}
	}
}

func TestTaxBreakdown(t *testing.T) {
	classes := map[string]TaxClass{"PPN": PPNDefault(), "PBJT": pbjtClass(), "BEBAS": {Code: "BEBAS"}}
	got := taxBreakdown(map[string]Rupiah{"PPN": 11100, "PBJT": 11000, "BEBAS": 50000, "UNKNOWN": 1000}, classes)
	want := []TaxLine{
		{Class: "PBJT", Name: "PBJT", RateBP: 1000, Gross: 11000, Base: 10000, Amount: 1000},
		{Class: "PPN", Name: "PPN", RateBP: 1200, Gross: 11100, Base: 9167, Amount: 1100},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("taxBreakdown =\n %+v\nwant\n %+v", got, want)
	}
}
