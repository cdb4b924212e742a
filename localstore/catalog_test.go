package localstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

func sampleProducts() []appliance.Product {
	from := time.Date(2025, 4, 1, 0, 0, 0, 0, wib)
	return []appliance.Product{
		{SKU: "KOPI-1", Barcodes: []string{"8991001100015"}, Name: "Kopi Kapal Api 165g", Category: "Minuman",
			Unit: "pcs", Price: 14500, TaxClass: "PPN", Active: true,
			PriceChanges: []appliance.PriceChange{{Price: 15000, From: from}, {Price: 14000, From: from.Add(-48 * time.Hour)}}},
		{SKU: "IDM-GRG", Barcodes: []string{"8998866200301", "8998866200318"}, Name: "Indomie Goreng 85g",
			Category: "Makanan", Unit: "pcs", Price: 3500, TaxClass: "PPN", Active: true},
		{SKU: "IDM-SOTO", Barcodes: []string{"8998866200325"}, Name: "Indomie Soto Mie", Category: "Makanan",
			Unit: "pcs", Price: 3300, TaxClass: "PPN", Active: true},
		{SKU: "BRS-PW", Name: "Beras Pandan Wangi", Category: "Sembako", Unit: "kg", Price: 14000,
			TaxClass: "BEBAS", Active: true, Weighed: true},
		{SKU: "TEH-OLD", Barcodes: []string{"8990000000017"}, Name: "Teh Celup Lama", Category: "Minuman",
			Unit: "bks", Price: 5000, TaxClass: "PPN", Active: false},
		{SKU: "KRP-UDG", Name: "Kerupuk Udang \"Spesial\" (500g)", Category: "Makanan", Unit: "bks", Price: 22000,
			TaxClass: "PPN", Active: true},
	}
}

func skus(ps []appliance.Product) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.SKU)
	}
	return out
}

func TestCatalog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTest(t, dir)
	if info, err := db.Info(); err != nil || info != (appliance.CatalogInfo{}) {
		t.Errorf("Info of a new database = %+v, %v; want zero", info, err)
	}
	if _, err := db.Lookup("8991001100015"); !errors.Is(err, appliance.ErrNotFound) {
		t.Errorf("Lookup in an empty catalog = %v, want ErrNotFound", err)
	}
	for _, q := range []string{"kopi", "", "8991001100015"} {
		if got, err := db.Search(q, "", 10); err != nil || len(got) != 0 {
			t.Errorf("Search(%q) in an empty catalog = %v, %v", q, got, err)
		}
	}
	if cats, err := db.Categories(); err != nil || len(cats) != 0 {
		t.Errorf("Categories of an empty catalog = %v, %v", cats, err)
	}
	loaded := time.Date(2025, 3, 1, 7, 0, 0, 42, wib)
	products := sampleProducts()
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c1", LoadedAt: loaded, Source: "demo"}, products); err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, db *DB) {
		t.Helper()
		info, _ := db.Info()
		if want := (appliance.CatalogInfo{Version: "c1", LoadedAt: loaded.UTC(), Products: 6, Source: "demo"}); info != want {
			t.Errorf("Info = %+v, want %+v", info, want)
		}
		lookups := []struct {
			code string
			want string // SKU, "" for not found
		}{
			{"8991001100015", "KOPI-1"},
			{"8998866200318", "IDM-GRG"}, // second barcode
			{"IDM-SOTO", "IDM-SOTO"},     // by SKU
			{"8990000000017", "TEH-OLD"}, // inactive products are still found
			{"8990000000024", ""},
			{"", ""},
		}
		for _, tc := range lookups {
			p, err := db.Lookup(tc.code)
			switch {
			case tc.want == "" && !errors.Is(err, appliance.ErrNotFound):
				t.Errorf("Lookup(%q) = %v, %v; want ErrNotFound", tc.code, p, err)
			case tc.want != "" && (err != nil || p.SKU != tc.want):
				t.Errorf("Lookup(%q) = %v, %v; want %s", tc.code, p, err, tc.want)
			}
		}
		kopi, _ := db.Lookup("KOPI-1")
		want := sampleProducts()[0]
		for i := range want.PriceChanges {
			want.PriceChanges[i].From = want.PriceChanges[i].From.UTC()
		}
		if !reflect.DeepEqual(*kopi, want) {
			t.Errorf("Lookup(KOPI-1) = %+v, want %+v", *kopi, want)
		}
		if got := kopi.PriceAt(time.Date(2025, 4, 2, 0, 0, 0, 0, wib)); got != 15000 {
			t.Errorf("price after change = %d, want 15000", got)
		}
		// Callers get copies.
		kopi.Barcodes[0] = "x"
		if again, _ := db.Lookup("KOPI-1"); again.Barcodes[0] != "8991001100015" {
			t.Error("changing a looked-up product changed the catalog")
		}

		searches := []struct {
			q, category string
			limit       int
			want        []string
		}{
			{"indomie", "", 10, []string{"IDM-GRG", "IDM-SOTO"}},
			{"INDO gor", "", 10, []string{"IDM-GRG"}},        // every word, as prefixes, any case
			{"mie", "", 10, []string{"IDM-SOTO"}},            // any word of the name
			{"soto indomie", "", 10, []string{"IDM-SOTO"}},   // any order
			{"8998866200318", "", 10, []string{"IDM-GRG"}},   // barcode
			{"idm", "", 10, []string{"IDM-GRG", "IDM-SOTO"}}, // SKU
			{"idm-soto", "", 10, []string{"IDM-SOTO"}},
			{"teh", "", 10, []string{}},             // inactive
			{"indomie", "Minuman", 10, []string{}},  // category filter
			{"indomie", "", 1, []string{"IDM-GRG"}}, // limit
			{`"spesial" (500`, "", 10, []string{"KRP-UDG"}},
			{`kerupuk OR NOT "`, "", 10, []string{}}, // FTS syntax is just words
			{`*`, "", 10, []string{}},
			{`k*`, "", 10, []string{"KRP-UDG", "KOPI-1"}},
			{"", "Makanan", 10, []string{"IDM-GRG", "IDM-SOTO", "KRP-UDG"}},
			{"", "", 3, []string{"BRS-PW", "IDM-GRG", "IDM-SOTO"}},
			{"kopi", "", 10, []string{"KOPI-1"}},
			{"KOPI-1", "", 10, []string{"KOPI-1"}},
		}
		for _, tc := range searches {
			got, err := db.Search(tc.q, tc.category, tc.limit)
			if err != nil {
				t.Errorf("Search(%q, %q): %v", tc.q, tc.category, err)
				continue
			}
			if !reflect.DeepEqual(skus(got), tc.want) {
				t.Errorf("Search(%q, %q, %d) = %v, want %v", tc.q, tc.category, tc.limit, skus(got), tc.want)
			}
		}
		cats, _ := db.Categories()
		wantCats := []appliance.Category{{Name: "Makanan", Count: 3}, {Name: "Minuman", Count: 1}, {Name: "Sembako", Count: 1}}
		if !reflect.DeepEqual(cats, wantCats) {
			t.Errorf("Categories = %+v, want %+v", cats, wantCats)
		}
	}
	t.Run("fresh", func(t *testing.T) { check(t, db) })
	db.Close()
	t.Run("reopened", func(t *testing.T) { check(t, openTest(t, dir)) })
}

func TestReplaceCatalogFailureKeepsOld(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c1"}, sampleProducts()); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name     string
		products []appliance.Product
		code     appliance.Code
	}{
		{"duplicate SKU", []appliance.Product{{SKU: "A", Name: "a"}, {SKU: "A", Name: "b"}}, appliance.CodeInvalid},
		{"barcode on two products", []appliance.Product{{SKU: "A", Name: "a", Barcodes: []string{"1"}}, {SKU: "B", Name: "b", Barcodes: []string{"1"}}}, appliance.CodeInvalid},
		{"no SKU", []appliance.Product{{Name: "a"}}, appliance.CodeInvalid},
		{"price change without start", []appliance.Product{{SKU: "A", Name: "a", PriceChanges: []appliance.PriceChange{{Price: 1}}}}, appliance.CodeInvalid},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c2"}, tc.products)
			if appliance.ErrorCode(err) != tc.code {
				t.Errorf("ReplaceCatalog = %v, want code %s", err, tc.code)
			}
			if info, _ := db.Info(); info.Version != "c1" {
				t.Errorf("catalog version after failed replace = %s, want c1", info.Version)
			}
			if got := count(t, db, "products"); got != 6 {
				t.Errorf("products after failed replace = %d, want 6", got)
			}
		})
	}
	// A cancelled import rolls back in the database too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.ReplaceCatalog(cctx, appliance.CatalogInfo{Version: "c3"}, []appliance.Product{{SKU: "Z", Name: "z"}}); err == nil {
		t.Error("ReplaceCatalog with a cancelled context succeeded")
	}
	if got, _ := db.Search("kopi", "", 5); len(got) != 1 {
		t.Errorf("Search after failed replace = %v", skus(got))
	}
}

// TestSearchPlans guards the query plans: a full-text search must match
// once and filter, and a listing must walk an index in name order rather
// than sort the catalog.
func TestSearchPlans(t *testing.T) {
	db := openTest(t, t.TempDir())
	// Imports alternate between two sets of index names (see stage.go);
	// the second set is the first with a suffix, so the plans name both.
	for range 2 {
		if err := db.ReplaceCatalog(context.Background(), appliance.CatalogInfo{}, sampleProducts()); err != nil {
			t.Fatal(err)
		}
		checkSearchPlans(t, db)
	}
}

func checkSearchPlans(t *testing.T, db *DB) {
	t.Helper()
	tests := []struct {
		terms    []string
		category string
		want     string // in the plan
		notWant  string
	}{
		{[]string{"ke"}, "Makanan", "VIRTUAL TABLE INDEX", "products_category"},
		{[]string{"ke"}, "", "VIRTUAL TABLE INDEX", "products_name"},
		{nil, "Makanan", "products_category", "TEMP B-TREE"},
		{nil, "", "products_name", "TEMP B-TREE"},
	}
	for _, tc := range tests {
		query, args := searchQuery(tc.terms, tc.category, 10)
		rows, err := db.ro.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, tc.want) || strings.Contains(got, tc.notWant) {
			t.Errorf("plan for %v in %q = %s; want %q and not %q", tc.terms, tc.category, got, tc.want, tc.notWant)
		}
	}
}

// synthetic makes n products with names drawn from Indonesian shop words,
// each with an EAN-13.
func synthetic(n int) []appliance.Product {
	brands := []string{"Indomie", "Sedaap", "Kapal Api", "Sariwangi", "Aqua", "Le Minerale", "Gulaku", "Bimoli",
		"Sania", "Rinso", "Sunlight", "Lifebuoy", "Pepsodent", "Ciptadent", "Roma", "Khong Guan", "Chitato",
		"Qtela", "Ultra", "Frisian Flag", "Dancow", "ABC", "Bango", "Sasa", "Royco", "Masako", "Teh Botol",
		"Pocari", "Nescafe", "Good Day"}
	things := []string{"Mie Goreng", "Mie Kuah", "Kopi Bubuk", "Teh Celup", "Air Mineral", "Gula Pasir",
		"Minyak Goreng", "Deterjen", "Sabun Cuci", "Sabun Mandi", "Pasta Gigi", "Biskuit Kelapa", "Wafer",
		"Keripik Kentang", "Susu UHT", "Susu Kental Manis", "Kecap Manis", "Saus Sambal", "Penyedap Rasa",
		"Kaldu Ayam", "Sirup", "Kerupuk", "Beras", "Tepung Terigu", "Telur Ayam"}
	variants := []string{"Original", "Pedas", "Rendang", "Soto", "Coklat", "Vanila", "Stroberi", "Jeruk",
		"Lemon", "Melati", "Ayam Bawang", "Sapi Panggang", "Rumput Laut", "Keju", "Jahe"}
	sizes := []string{"85g", "100g", "250g", "500g", "1kg", "600ml", "1L", "1,5L", "5kg", "isi 10"}
	categories := []string{"Makanan", "Minuman", "Sembako", "Kebersihan", "Perawatan Diri", "Bumbu", "Camilan", "Susu"}
	ps := make([]appliance.Product, n)
	for i := range ps {
		body := fmt.Sprintf("899%09d", i)
		cd, _ := appliance.GTINCheckDigit(body)
		ps[i] = appliance.Product{
			SKU:      fmt.Sprintf("SKU%06d", i),
			Barcodes: []string{body + string(cd)},
			Name: fmt.Sprintf("%s %s %s %s", brands[i%len(brands)], things[(i/7)%len(things)],
				variants[(i/13)%len(variants)], sizes[(i/3)%len(sizes)]),
			Category: categories[i%len(categories)],
			Unit:     "pcs",
			Price:    appliance.Rupiah(1000 + (i%500)*100),
			TaxClass: "PPN",
			Active:   i%20 != 0,
		}
	}
	return ps
}

func TestReplaceCatalog100k(t *testing.T) {
	db := openTest(t, t.TempDir())
	ps := synthetic(100_000)
	start := time.Now()
	if err := db.ReplaceCatalog(context.Background(), appliance.CatalogInfo{Version: "big"}, ps); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	// How long it takes is measured by make bench, next to a bare insert;
	// a threshold here would fail on a busy machine, not on slow code.
	t.Logf("ReplaceCatalog of 100,000 products: %v", took)
	// Replacing again (delete all + insert) is the everyday case.
	start = time.Now()
	if err := db.ReplaceCatalog(context.Background(), appliance.CatalogInfo{Version: "big2"}, ps); err != nil {
		t.Fatal(err)
	}
	t.Logf("second ReplaceCatalog of 100,000 products: %v", time.Since(start))
	var cache int
	if err := db.rw.QueryRow("PRAGMA cache_size").Scan(&cache); err != nil || cache != -2000 {
		t.Errorf("cache_size after import = %d, %v; want the default -2000 back", cache, err)
	}
	path := db.Path()
	db.Close()
	start = time.Now()
	db = openTest(t, dirOf(path))
	t.Logf("Open with 100,000 products: %v", time.Since(start))
	if p, err := db.Lookup(ps[99_999].Barcodes[0]); err != nil || p.SKU != ps[99_999].SKU {
		t.Errorf("Lookup after reopen = %v, %v", p, err)
	}
	got, err := db.Search("indomie goreng rendang", "", 20)
	if err != nil || len(got) == 0 {
		t.Errorf("Search = %d products, %v", len(got), err)
	}
}

func dirOf(path string) string { return path[:len(path)-len(FileName)-1] }

// bench100k opens a database holding 100,000 synthetic products. With
// b.Loop the benchmark function runs once, so this is built once.
func bench100k(b *testing.B) *DB {
	db := openTest(b, b.TempDir())
	if err := db.ReplaceCatalog(context.Background(), appliance.CatalogInfo{Version: "bench"}, synthetic(100_000)); err != nil {
		b.Fatal(err)
	}
	return db
}

func BenchmarkLookup100k(b *testing.B) {
	db := bench100k(b)
	codes := []string{}
	for i := 0; i < 100_000; i += 997 {
		body := fmt.Sprintf("899%09d", i)
		cd, _ := appliance.GTINCheckDigit(body)
		codes = append(codes, body+string(cd), fmt.Sprintf("SKU%06d", i))
	}
	for i := 0; b.Loop(); i++ {
		if _, err := db.Lookup(codes[i%len(codes)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearch100k(b *testing.B) {
	db := bench100k(b)
	for _, q := range []struct{ name, q, category string }{
		{"one_word", "indomie", ""},
		{"three_words", "indomie goreng rendang", ""},
		{"short_prefix", "ke", ""},
		{"prefix_category", "sa", "Minuman"},
		{"barcode", "899000012345", ""},
		{"no_match", "zzzz", ""},
		{"list_category", "", "Bumbu"},
		{"list_all", "", ""},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.Search(q.q, q.category, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
