package demo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/demo"
)

func TestProductsCatalog(t *testing.T) {
	ps := demo.Products()
	if len(ps) < 2000 {
		t.Fatalf("demo has %d products, want at least 2000", len(ps))
	}
	skus := map[string]string{}
	names := map[string]string{}
	codes := map[string]string{} // barcode, and a UPC-A's EAN-13 form, → SKU
	perCategory := map[string]int{}
	var ean13, ean8, upca, twoCodes, weighed, bebas int
	for i := range ps {
		p := &ps[i]
		if err := p.Validate(); err != nil {
			t.Errorf("%s %q: %v", p.SKU, p.Name, err)
		}
		if !strings.HasPrefix(p.SKU, "DM-") || len(p.SKU) != len("DM-000123") {
			t.Errorf("SKU %q, want DM-nnnnnn", p.SKU)
		}
		if other, dup := skus[p.SKU]; dup {
			t.Errorf("SKU %s on %q and %q", p.SKU, other, p.Name)
		}
		skus[p.SKU] = p.Name
		if other, dup := names[p.Name]; dup {
			t.Errorf("name %q on %s and %s", p.Name, other, p.SKU)
		}
		names[p.Name] = p.SKU
		if !p.Active || p.Unit == "" || p.Category == "" {
			t.Errorf("%s: active %v, unit %q, category %q", p.SKU, p.Active, p.Unit, p.Category)
		}
		if p.Price < 500 || p.Price%100 != 0 {
			t.Errorf("%s %q: price %d is not a shelf price", p.SKU, p.Name, p.Price)
		}
		switch p.TaxClass {
		case "PPN":
		case "BEBAS":
			bebas++
		default:
			t.Errorf("%s: tax class %q", p.SKU, p.TaxClass)
		}
		perCategory[p.Category]++
		if len(p.Barcodes) == 0 {
			t.Errorf("%s: no barcode", p.SKU)
		}
		if len(p.Barcodes) > 1 && !p.Weighed {
			twoCodes++
		}
		for _, b := range p.Barcodes {
			keys := []string{b}
			switch {
			case p.Weighed:
				if len(b) != 7 || b[0] != '2' {
					t.Errorf("%s: weighed key %q, want 2x + 5 digits", p.SKU, b)
				}
			case len(b) == 13:
				ean13++
				if !strings.HasPrefix(b, "899") || !appliance.ValidGTIN(b) {
					t.Errorf("%s: EAN-13 %s not a valid 899 code", p.SKU, b)
				}
			case len(b) == 8:
				ean8++
				if !appliance.ValidGTIN(b) {
					t.Errorf("%s: EAN-8 %s invalid", p.SKU, b)
				}
			case len(b) == 12:
				upca++
				if !appliance.ValidGTIN(b) {
					t.Errorf("%s: UPC-A %s invalid", p.SKU, b)
				}
				keys = append(keys, "0"+b)
			default:
				t.Errorf("%s: barcode %q of length %d", p.SKU, b, len(b))
			}
			for _, k := range keys {
				if other, dup := codes[k]; dup {
					t.Errorf("barcode %s on %s and %s", k, other, p.SKU)
				}
				codes[k] = p.SKU
			}
		}
		if p.Weighed {
			weighed++
			if p.Unit != "kg" || p.TaxClass != "BEBAS" {
				t.Errorf("%s %q: weighed with unit %q, tax %q", p.SKU, p.Name, p.Unit, p.TaxClass)
			}
		}
	}
	for _, c := range demo.Categories() {
		if perCategory[c] == 0 {
			t.Errorf("category %q is empty", c)
		}
	}
	if len(perCategory) != len(demo.Categories()) {
		t.Errorf("products use %d categories, Categories lists %d", len(perCategory), len(demo.Categories()))
	}
	t.Logf("%d products: %d EAN-13, %d EAN-8, %d UPC-A, %d with two barcodes, %d weighed, %d PPN-free",
		len(ps), ean13, ean8, upca, twoCodes, weighed, bebas)
	for what, n := range map[string]int{"EAN-8": ean8, "UPC-A": upca, "two barcodes": twoCodes, "weighed": weighed} {
		if n < 3 {
			t.Errorf("only %d products with %s", n, what)
		}
	}
}

func TestStaplesArePPNFree(t *testing.T) {
	for _, c := range []string{"Telur", "Buah & Sayur", "Daging", "Gula & Garam"} {
		for _, p := range demo.Products() {
			if p.Category == c && p.TaxClass != "BEBAS" && !strings.Contains(p.Name, "Sweetener") {
				t.Errorf("%s %q in %s has tax class %s, want BEBAS", p.SKU, p.Name, c, p.TaxClass)
			}
		}
	}
	for _, p := range demo.Products() {
		if strings.HasPrefix(p.Name, "Beras ") && p.TaxClass != "BEBAS" {
			t.Errorf("%q has tax class %s, want BEBAS", p.Name, p.TaxClass)
		}
	}
}

func TestWeighedProductsScan(t *testing.T) {
	rules := appliance.DefaultWeighedRules()
	n := 0
	for _, p := range demo.Products() {
		if !p.Weighed {
			continue
		}
		n++
		item := p.Barcodes[0][2:]
		cases := []struct {
			body string
			kind appliance.WeighedValue
		}{
			{"20" + item + "12500", appliance.WeighedPrice},
			{"25" + item + "00750", appliance.WeighedWeight},
		}
		for _, c := range cases {
			cd, _ := appliance.GTINCheckDigit(c.body)
			code := c.body + string(cd)
			s, err := appliance.ParseScan(code, rules)
			if err != nil {
				t.Fatalf("%s: ParseScan(%s): %v", p.SKU, code, err)
			}
			if s.Kind != appliance.KindWeighed || s.Value != c.kind {
				t.Errorf("%s: ParseScan(%s) = %s/%s, want weighed/%s", p.SKU, code, s.Kind, s.Value, c.kind)
			}
			found := false
			for _, k := range s.LookupKeys() {
				for _, b := range p.Barcodes {
					found = found || k == b
				}
			}
			if !found {
				t.Errorf("%s: scan key %s matches none of %v", p.SKU, s.Key, p.Barcodes)
			}
		}
	}
	if n == 0 {
		t.Fatal("no weighed products")
	}
}

func TestProductsDeterministic(t *testing.T) {
	a, b := demo.Products(), demo.Products()
	if len(a) != len(b) {
		t.Fatalf("lengths %d and %d", len(a), len(b))
	}
	for i := range a {
		if a[i].SKU != b[i].SKU || a[i].Name != b[i].Name || a[i].Price != b[i].Price || strings.Join(a[i].Barcodes, ",") != strings.Join(b[i].Barcodes, ",") {
			t.Fatalf("product %d differs between calls: %+v, %+v", i, a[i], b[i])
		}
	}
	a[0].Barcodes[0] = "changed"
	if demo.Products()[0].Barcodes[0] == "changed" {
		t.Error("Products shares its slices between calls")
	}
}

func TestPriceChanges(t *testing.T) {
	jakarta := time.FixedZone("WIB", 7*3600)
	var past, future int
	for _, p := range demo.Products() {
		for _, c := range p.PriceChanges {
			if h, m, s := c.From.In(jakarta).Clock(); h != 0 || m != 0 || s != 0 {
				t.Errorf("%s: price change at %v, want midnight WIB", p.SKU, c.From)
			}
			before, after := c.From.Add(-time.Second), c.From
			if got := p.PriceAt(before); got != p.Price {
				t.Errorf("%s: price just before the change %d, want %d", p.SKU, got, p.Price)
			}
			if got := p.PriceAt(after); got != c.Price {
				t.Errorf("%s: price at the change %d, want %d", p.SKU, got, c.Price)
			}
			if c.From.Before(time.Date(2026, 11, 30, 0, 0, 0, 0, jakarta)) {
				past++
			} else {
				future++
			}
		}
	}
	if past == 0 || future == 0 {
		t.Errorf("%d past and %d future price changes, want both", past, future)
	}
}

func TestGenerate(t *testing.T) {
	const n = 100_000
	start := time.Now()
	ps := demo.Generate(n, 42)
	took := time.Since(start)
	if len(ps) != n {
		t.Fatalf("Generate(%d) returned %d products", n, len(ps))
	}
	codes := make(map[string]struct{}, n)
	skus := make(map[string]struct{}, n)
	names := map[string]struct{}{}
	for i := range ps {
		p := &ps[i]
		if len(p.Barcodes) != 1 || len(p.Barcodes[0]) != 13 || !strings.HasPrefix(p.Barcodes[0], "899") || !appliance.ValidGTIN(p.Barcodes[0]) {
			t.Fatalf("product %d: barcodes %v", i, p.Barcodes)
		}
		if _, dup := codes[p.Barcodes[0]]; dup {
			t.Fatalf("barcode %s twice", p.Barcodes[0])
		}
		codes[p.Barcodes[0]] = struct{}{}
		if _, dup := skus[p.SKU]; dup {
			t.Fatalf("SKU %s twice", p.SKU)
		}
		skus[p.SKU] = struct{}{}
		names[p.Name] = struct{}{}
		if i%997 == 0 {
			if err := p.Validate(); err != nil {
				t.Fatalf("product %d: %v", i, err)
			}
		}
	}
	if len(names) < n/5 {
		t.Errorf("only %d distinct names in %d products", len(names), n)
	}
	t.Logf("Generate(%d) took %v", n, took)
	again := demo.Generate(n, 42)
	if again[n-1].Barcodes[0] != ps[n-1].Barcodes[0] || again[n-1].Name != ps[n-1].Name {
		t.Error("Generate is not deterministic for a seed")
	}
	if other := demo.Generate(10, 43); other[0].Barcodes[0] == ps[0].Barcodes[0] {
		t.Error("a different seed gave the same first barcode")
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		demo.Generate(100_000, 1)
	}
}
