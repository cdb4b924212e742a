package appliance

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

var csvWIB = time.FixedZone("WIB", 7*3600)

func TestParseCatalogCSVFile(t *testing.T) {
	f, err := os.Open("testdata/catalog-semicolon.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseCatalogCSV(f, csvWIB)
	if err != nil {
		t.Fatal(err)
	}
	want := []Product{
		{SKU: "TK-0001", Barcodes: []string{"8991002101234"}, Name: "Indomie Goreng Original 85g", Category: "Mie Instan", Unit: "bks", Price: 3500, TaxClass: "PPN", Active: true,
			PriceChanges: []PriceChange{{Price: 3700, From: time.Date(2027, 1, 1, 0, 0, 0, 0, csvWIB)}}},
		{SKU: "TK-0002", Barcodes: []string{"8992761136017", "8992761136024"}, Name: "Aqua Air Mineral 600ml", Category: "Air Mineral", Unit: "btl", Price: 4000, TaxClass: "PPN", Active: true},
		{SKU: "TK-0003", Name: "Kopi Susu; Gula Aren 200ml", Category: "Kopi & Teh", Unit: "btl", Price: 6500, TaxClass: "PPN", Active: true},
		{SKU: "TK-0004", Barcodes: []string{"2010001", "2510001"}, Name: "Apel Fuji Impor", Category: "Buah & Sayur", Unit: "kg", Price: 45000, TaxClass: "BEBAS", Active: true, Weighed: true},
		{SKU: "TK-0005", Name: "Gulaku Gula Pasir Premium 1kg", Category: "Gula & Garam", Unit: "bks", Price: 18500, TaxClass: "BEBAS", Active: false},
		{SKU: "TK-0006", Barcodes: []string{"036000291452"}, Name: `Tisu "Travel" Pack`, Category: "Tisu", Unit: "pak", Price: 12500, TaxClass: "PPN", Active: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d products, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		for j := range g.PriceChanges {
			if !g.PriceChanges[j].From.Equal(w.PriceChanges[j].From) {
				t.Errorf("%s: price change from %v, want %v", g.SKU, g.PriceChanges[j].From, w.PriceChanges[j].From)
			}
			g.PriceChanges[j].From = w.PriceChanges[j].From
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("product %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

// csvCase is a catalog file and what reading it gives: the number of
// products, or the problems as "row:column:message fragment".
type csvCase struct {
	name     string
	in       string
	products int
	errs     []string
}

func TestParseCatalogCSV(t *testing.T) {
	const hdr = "sku,barcode,name,category,unit,price,tax_class,active\n"
	cases := []csvCase{
		{name: "comma", in: hdr + "A1,8991002101234,Indomie Goreng,Mie Instan,bks,3500,PPN,1\nA2,,Aqua 600ml,Air Mineral,btl,4000,PPN,1\n", products: 2},
		{name: "semicolon", in: "sku;name;price\nA1;Indomie Goreng;3.500\nA2;Aqua;4.000\n", products: 2},
		{name: "tab", in: "sku\tname\tprice\nA1\tIndomie Goreng\t3500\n", products: 1},
		{name: "BOM and CRLF", in: "\ufeffsku,name,price\r\nA1,Indomie,3500\r\nA2,Aqua,4000\r\n", products: 2},
		{name: "bare CR line ends", in: "sku,name,price\rA1,Indomie,3500\rA2,Aqua,4000\r", products: 2},
		{name: "no final newline", in: "sku,name,price\nA1,Indomie,3500", products: 1},
		{name: "quoted separator", in: "sku,name,price\nA1,\"Kopi, Susu\",\"12,500\"\n", errs: []string{"2:price:not a price"}},
		{name: "quoted fields", in: "sku,name,price\n\"A1\",\"Kopi, Susu \"\"Spesial\"\"\",\"12.500\"\n", products: 1},
		{name: "Indonesian headers", in: "KODE;Nama Barang;Kategori;Satuan;Harga Jual;Pajak;Aktif\nA1;Beras 5kg;Beras;sak;Rp 78.500;BEBAS;ya\n", products: 1},
		{name: "unknown columns ignored", in: "sku,name,stok,price,supplier\nA1,Indomie,120,3500,Indofood\n", products: 1},
		{name: "sep line", in: "sep=;\nsku;name;price\nA1;Indomie;3.500\n", products: 1},
		{name: "blank rows skipped", in: "sku,name,price\n\nA1,Indomie,3500\n,,\n , \n", products: 1},
		{name: "empty file", in: "", errs: []string{"1::empty"}},
		{name: "only whitespace", in: "\ufeff \r\n\r\n", errs: []string{"1::empty"}},
		{name: "header only", in: "sku,name,price\n", errs: []string{"1::no products"}},
		{name: "missing columns", in: "kode,barcode\nA1,8991002101234\n", errs: []string{"1::missing column name/nama", "1::missing column price/harga"}},
		{name: "same column twice", in: "sku,kode,name,price\nA1,A1,Indomie,3500\n", errs: []string{"1:kode:already"}},
		{name: "new price without date column", in: "sku,name,price,harga_baru\nA1,Indomie,3500,3700\n", errs: []string{"1::come together"}},
		{name: "bad price", in: hdr + "A1,,Indomie,Mie,bks,tiga ribu,PPN,1\nA2,,Aqua,Air,btl,4000,PPN,1\nA3,,Teh,Minuman,btl,-500,PPN,1\n",
			errs: []string{"2:price:not a price", "4:price:not a price"}},
		{name: "price with a fraction", in: "sku,name,price\nA1,Indomie,3500.50\n", errs: []string{"2:price:not a price"}},
		{name: "price hundred times", in: "sku;name;harga\nA1;Indomie;3.50\n", errs: []string{"2:harga:not a price"}},
		{name: "empty fields", in: "sku,name,price\n,Indomie,\nA2,,3500\n", errs: []string{"2:sku:SKU is empty", "2:price:price is empty", "3:name:name is empty"}},
		{name: "bad check digit", in: "sku,barcode,name,price\nA1,8991002101235,Indomie,3500\n", errs: []string{"2:barcode:wrong check digit"}},
		{name: "scientific notation", in: "sku;barcode;name;price\nA1;8,99100E+12;Indomie;3500\n", errs: []string{"2:barcode:format the column as text"}},
		{name: "duplicate SKU", in: "sku,name,price\nA1,Indomie,3500\nA2,Aqua,4000\nA1,Teh,5000\n", errs: []string{"4:sku:also on row 2"}},
		{name: "duplicate barcode", in: "sku,barcode,name,price\nA1,8991002101234,Indomie,3500\nA2,8991002101234,Aqua,4000\n", errs: []string{"3:barcode:also on row 2"}},
		{name: "UPC-A and its EAN-13", in: "sku,barcode,name,price\nA1,036000291452,Tisu,3500\nA2,0036000291452,Tisu Lama,4000\n", errs: []string{"3:barcode:also on row 2"}},
		{name: "same barcode twice in a row", in: "sku,barcode,name,price\nA1,8991002101234|8991002101234,Indomie,3500\n", products: 1},
		{name: "bad yes/no", in: "sku,name,price,aktif,timbang\nA1,Indomie,3500,mungkin,kadang\n", errs: []string{"2:aktif:not yes or no", "2:timbang:not yes or no"}},
		{name: "too many fields", in: "sku,name,price\nA1,Kopi, Susu,3500\n", errs: []string{"2::header has 3"}},
		{name: "trailing empty fields", in: "sku,name,price\nA1,Kopi,3500,,\n", products: 1},
		{name: "short row", in: "sku,name,price,category\nA1,Kopi,3500\n", products: 1},
		{name: "price change needs both", in: "sku,name,price,new_price,price_from\nA1,Kopi,3500,3700,\nA2,Teh,3500,,2026-12-01\n",
			errs: []string{"2:price_from:needs a start date", "3:new_price:needs a new price"}},
		{name: "bad date", in: "sku,name,price,new_price,price_from\nA1,Kopi,3500,3700,besok\n", errs: []string{"2:price_from:not a date"}},
		{name: "row numbers count blank rows and not quoted line breaks",
			in: "sku,name,price\n\"A1\",\"Kopi\nSusu\",3500\n\nA2,Teh,murah\n", errs: []string{"4:price:not a price"}},
		{name: "rows after the sep line", in: "sep=,\nsku,name,price\nA1,Kopi,x\n", errs: []string{"2:price:not a price"}},
		{name: "UTF-16", in: "\xff\xfes\x00k\x00u\x00", errs: []string{"1::UTF-16"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkCSV(t, c)
		})
	}
}

func checkCSV(t *testing.T, c csvCase) {
	t.Helper()
	got, err := ParseCatalogCSV(strings.NewReader(c.in), csvWIB)
	if c.errs == nil {
		if err != nil {
			t.Fatalf("error %v, want %d products", err, c.products)
		}
		if len(got) != c.products {
			t.Fatalf("got %d products, want %d", len(got), c.products)
		}
		return
	}
	if got != nil {
		t.Errorf("got %d products with an error, want none", len(got))
	}
	var ce *CSVError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want *CSVError", err, err)
	}
	if ErrorCode(err) != CodeInvalid {
		t.Errorf("ErrorCode = %s, want %s", ErrorCode(err), CodeInvalid)
	}
	var gotErrs []string
	for _, r := range ce.Rows {
		gotErrs = append(gotErrs, r.String())
	}
	if len(ce.Rows) != len(c.errs) {
		t.Fatalf("got %d problems, want %d:\n%s", len(ce.Rows), len(c.errs), err)
	}
	for i, w := range c.errs {
		parts := strings.SplitN(w, ":", 3)
		r := ce.Rows[i]
		if parts[0] != itoa(int64(r.Row)) || parts[1] != r.Column || !strings.Contains(r.Msg, parts[2]) {
			t.Errorf("problem %d = %q, want row %s, column %q, message with %q", i, gotErrs[i], parts[0], parts[1], parts[2])
		}
	}
}

func TestParseCatalogCSVValues(t *testing.T) {
	in := "sku,name,price,aktif,timbang,satuan,pajak,new_price,price_from,barcode\n" +
		"A1,Apel,45000,,ya,,,,,2010001\n" +
		"A2,Teh,5000,tidak,0,btl,ppn,5500,2026-12-01,8991002101234 8992761136017\n" +
		"A3,Kopi,5000,Y,n,,PBJT,5500,01/12/2026 06:30,\n" +
		"A4,Susu,5000,false,,,,5500,2026-12-01 00:00,\n"
	got, err := ParseCatalogCSV(strings.NewReader(in), csvWIB)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		active, weighed bool
		unit, tax       string
		from            time.Time
		barcodes        int
	}
	want := []row{
		{true, true, "kg", "PPN", time.Time{}, 1},
		{false, false, "btl", "PPN", time.Date(2026, 12, 1, 0, 0, 0, 0, csvWIB), 2},
		{true, false, "pcs", "PBJT", time.Date(2026, 12, 1, 6, 30, 0, 0, csvWIB), 0},
		{false, false, "pcs", "PPN", time.Date(2026, 12, 1, 0, 0, 0, 0, csvWIB), 0},
	}
	for i, w := range want {
		p := got[i]
		var from time.Time
		if len(p.PriceChanges) == 1 {
			from = p.PriceChanges[0].From
			if p.PriceChanges[0].Price != 5500 {
				t.Errorf("%s: new price %d", p.SKU, p.PriceChanges[0].Price)
			}
		}
		g := row{p.Active, p.Weighed, p.Unit, p.TaxClass, from, len(p.Barcodes)}
		if !g.from.Equal(w.from) || g.active != w.active || g.weighed != w.weighed || g.unit != w.unit || g.tax != w.tax || g.barcodes != w.barcodes {
			t.Errorf("%s = %+v, want %+v", p.SKU, g, w)
		}
	}
	// A nil location reads dates in WIB.
	got, err = ParseCatalogCSV(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := got[1].PriceChanges[0].From; !f.Equal(time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("nil location: from %v, want midnight WIB", f)
	}
}

func TestParseCatalogCSVWindows1252(t *testing.T) {
	got, err := ParseCatalogCSV(strings.NewReader("sku;name;price\r\nA1;Caf\xe9 Latte \x96 Botol;12.500\r\n"), csvWIB)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Café Latte – Botol"; got[0].Name != want {
		t.Errorf("name %q, want %q", got[0].Name, want)
	}
}

func TestParseCatalogCSVCollectsErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("sku,name,price\n")
	for i := range 60 {
		b.WriteString("A" + itoa(int64(i)) + ",Barang,x\n")
	}
	_, err := ParseCatalogCSV(strings.NewReader(b.String()), csvWIB)
	var ce *CSVError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want *CSVError", err)
	}
	if len(ce.Rows) != maxCSVErrors || ce.Omitted != 60-maxCSVErrors {
		t.Errorf("%d rows listed and %d omitted, want %d and %d", len(ce.Rows), ce.Omitted, maxCSVErrors, 60-maxCSVErrors)
	}
	if ce.Rows[0].Row != 2 || ce.Rows[49].Row != 51 {
		t.Errorf("rows %d … %d, want 2 … 51", ce.Rows[0].Row, ce.Rows[49].Row)
	}
	msg := err.Error()
	if !strings.Contains(msg, "60 problems") || !strings.Contains(msg, "row 2, column price (\"x\"): not a price") || !strings.Contains(msg, "and 10 more") {
		t.Errorf("Error() =\n%s", msg)
	}
}

// A reader that fails is a read error, not a *CSVError.
func TestParseCatalogCSVReadError(t *testing.T) {
	_, err := ParseCatalogCSV(failingCSVReader{}, csvWIB)
	var ce *CSVError
	if err == nil || errors.As(err, &ce) {
		t.Errorf("error %v, want a plain read error", err)
	}
}

type failingCSVReader struct{}

func (failingCSVReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
