package appliance

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func receiptSale() *Sale {
	return &Sale{
		Number: "S001-T01-000123", Kind: DocSale, Store: "S001", Till: "T01",
		Time:     time.Date(2026, 11, 30, 7, 5, 0, 0, time.UTC),
		UserName: "Sari Wulandari Kusumaningrum Putri Handayani",
		Lines: []SaleLine{
			{Name: "Indomie Goreng Rasa Rendang Jumbo Extra Pedas Edisi Spesial Kemasan Keluarga 5 x 127g", Unit: "pcs", TaxClass: "PPN",
				Qty: 120000, UnitPrice: 12500000, Gross: 1500000000, Discount: 150000000, Net: 1350000000},
			{Name: "Apel Fuji Impor", Unit: "kg", TaxClass: "BEBAS", Qty: 750, UnitPrice: 45000, Gross: 33750, Net: 33750},
			{Name: "Pulpen", Unit: "pcs", TaxClass: "PPN", Qty: 1000, UnitPrice: 2500, Gross: 2500, Net: 2500},
		},
		Payments: []Payment{
			{Method: MethodCard, Amount: 1000000000, Bank: "Bank Rakyat Indonesia (Persero) Tbk", ApprovalCode: "123456789012", CardLast4: "4321"},
			{Method: MethodCash, Amount: 400000000},
		},
		Subtotal: 1500036250, Discount: 150000000, Total: 1350036250, Rounding: -50,
		Paid: 1400000000, Change: 49963800,
		Taxes: []TaxLine{{Class: "PPN", Name: "PPN", RateBP: 1200, Gross: 1350002500, Base: 1013516592, Amount: 121622002}},
	}
}

func receiptConfig(width int, pkp bool) *Config {
	cfg := DefaultConfig()
	cfg.ReceiptWidth = width
	cfg.StoreName = "Toko Sembako Berkah Jaya Abadi Sentosa Makmur"
	cfg.Address = "Jl. Raya Bogor KM 27 No. 123, Kel. Pekayon, Kec. Pasar Rebo, Jakarta Timur 13710"
	cfg.ReceiptHeader = []string{"Telp. 021-8700-1234 / WA 0812-3456-7890"}
	cfg.PKP = pkp
	if pkp {
		cfg.NPWP = "01.234.567.8-901.000"
	}
	return &cfg
}

// checkWidth fails on any line that would print wider than the paper.
func checkReceiptWidth(t *testing.T, r *Receipt, width int) {
	t.Helper()
	if r.Width != width {
		t.Errorf("receipt width %d, want %d", r.Width, width)
	}
	for i, l := range r.Lines {
		n := utf8.RuneCountInString(l.Text)
		if l.Big {
			n *= 2
		}
		if n > width {
			t.Errorf("width %d: line %d is %d wide: %q", width, i, n, l.Text)
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(r.Text(), "\n"), "\n") {
		if utf8.RuneCountInString(l) > width {
			t.Errorf("width %d: text line %q is too wide", width, l)
		}
	}
}

func TestSaleReceiptWidths(t *testing.T) {
	for _, width := range []int{32, 42, 48} {
		for _, pkp := range []bool{false, true} {
			s := receiptSale()
			cfg := receiptConfig(width, pkp)
			r := SaleReceipt(s, cfg, false)
			checkReceiptWidth(t, r, width)
			text := r.Text()
			// Amounts are never cut, however narrow the paper.
			for _, l := range s.Lines {
				if !strings.Contains(text, l.Gross.Plain()) {
					t.Errorf("width %d: line amount %s missing:\n%s", width, l.Gross.Plain(), text)
				}
			}
			for _, want := range []string{(s.Total + s.Rounding).String(), "1.000.000.000", "400.000.000", s.Change.Plain(), "Pembulatan", "-50"} {
				if !strings.Contains(text, want) {
					t.Errorf("width %d: %q missing:\n%s", width, want, text)
				}
			}
			if r.Title != s.Number || r.Barcode != s.Number || !r.Cut {
				t.Errorf("title %q, barcode %q, cut %v", r.Title, r.Barcode, r.Cut)
			}
		}
	}
}

func TestSaleReceiptPKP(t *testing.T) {
	s := receiptSale()
	plain := SaleReceipt(s, receiptConfig(42, false), false).Text()
	for _, not := range []string{"NPWP", "DPP", "PPN 12%", "termasuk pajak"} {
		if strings.Contains(plain, not) {
			t.Errorf("non-PKP receipt shows %q:\n%s", not, plain)
		}
	}
	pkp := SaleReceipt(s, receiptConfig(42, true), false).Text()
	for _, want := range []string{"NPWP: 01.234.567.8-901.000", "DPP PPN", "1.013.516.592", "PPN 12%", "121.622.002", "Harga sudah termasuk pajak"} {
		if !strings.Contains(pkp, want) {
			t.Errorf("PKP receipt lacks %q:\n%s", want, pkp)
		}
	}
	// A PKP shop without an NPWP on file prints no empty NPWP line.
	cfg := receiptConfig(42, true)
	cfg.NPWP = ""
	if text := SaleReceipt(s, cfg, false).Text(); strings.Contains(text, "NPWP") {
		t.Errorf("receipt shows an empty NPWP:\n%s", text)
	}
}

func TestSaleReceiptRoundingAndCopies(t *testing.T) {
	s := receiptSale()
	cfg := receiptConfig(42, false)
	if text := SaleReceipt(s, cfg, false).Text(); strings.Contains(text, "SALINAN") {
		t.Errorf("first print says SALINAN:\n%s", text)
	}
	if text := SaleReceipt(s, cfg, true).Text(); !strings.Contains(text, "*** SALINAN ***") {
		t.Errorf("reprint lacks SALINAN:\n%s", text)
	}
	s.Rounding = 0
	if text := SaleReceipt(s, cfg, false).Text(); strings.Contains(text, "Pembulatan") {
		t.Errorf("receipt without rounding shows Pembulatan:\n%s", text)
	}
	s.Kind, s.Ref = DocVoid, "S001-T01-000122"
	text := SaleReceipt(s, cfg, false).Text()
	if !strings.Contains(text, "PEMBATALAN") || !strings.Contains(text, "S001-T01-000122") {
		t.Errorf("void receipt:\n%s", text)
	}
	s.Kind = DocRefund
	if text := SaleReceipt(s, cfg, false).Text(); !strings.Contains(text, "PENGEMBALIAN") {
		t.Errorf("refund receipt:\n%s", text)
	}
}

func TestSaleReceiptLayout(t *testing.T) {
	s := &Sale{
		Number: "S001-T01-000001", Kind: DocSale, Time: time.Date(2026, 11, 30, 7, 5, 0, 0, time.UTC), UserName: "Sari",
		Lines: []SaleLine{
			{Name: "Indomie Goreng Original 85g", Unit: "pcs", Qty: 3000, UnitPrice: 3500, Gross: 10500, Net: 10500},
			{Name: "Apel Fuji Impor", Unit: "kg", Qty: 750, UnitPrice: 45000, Gross: 33750, Discount: 3375, Net: 30375},
		},
		Payments: []Payment{{Method: MethodCash, Amount: 50000}},
		Subtotal: 44250, Discount: 3375, Total: 40875, Rounding: -75, Paid: 50000, Change: 9200,
	}
	cfg := DefaultConfig()
	cfg.ReceiptWidth = 32
	got := SaleReceipt(s, &cfg, false).Text()
	want := `   Toko Kasir
   Jl. Merdeka No. 1, Jakarta
--------------------------------
No               S001-T01-000001
Tanggal     30-11-2026 14:05 WIB
Kasir                       Sari
--------------------------------
Indomie Goreng Original 85g
  3 x 3.500               10.500
Apel Fuji Impor
  0,750 kg x 45.000       33.750
  Diskon                  -3.375
--------------------------------
Subtotal                  44.250
Total hemat                3.375
Pembulatan                   -75
TOTAL                  Rp 40.800
Tunai                     50.000
Kembali                    9.200
--------------------------------
Terima kasih atas kunjungan Anda
 Barang yang sudah dibeli tidak
         dapat ditukar
    ||| S001-T01-000001 |||
`
	if got != want {
		t.Errorf("receipt:\n%s\nwant:\n%s", got, want)
	}
}

func TestShiftReceiptWidths(t *testing.T) {
	cfg := DefaultConfig()
	sh := &Shift{ID: 12, OpenedAt: time.Now(), OpenedBy: "Sari Wulandari Kusumaningrum", Float: 500000}
	docs := []Sale{{Kind: DocSale, Total: 987654321000, Lines: []SaleLine{{TaxClass: "PPN", Net: 987654321000}}, Payments: []Payment{cashPay(987654321000)}}}
	r := BuildShiftReport("Z", sh, docs, nil, map[string]Rupiah{"cash": 1}, &cfg, time.Now(), "Budi Santoso Wijaya Kusuma")
	for _, width := range []int{32, 42, 48} {
		cfg.ReceiptWidth = width
		rc := ShiftReceipt(&r, &cfg)
		checkReceiptWidth(t, rc, width)
		text := rc.Text()
		for _, want := range []string{"LAPORAN Z", "987.654.321.000", "Total selisih"} {
			if !strings.Contains(text, want) {
				t.Errorf("width %d: %q missing:\n%s", width, want, text)
			}
		}
	}
}

func TestPercent(t *testing.T) {
	for bp, want := range map[int64]string{1200: "12%", 1000: "10%", 1150: "11,5%", 1125: "11,25%", 5: "0,05%", 0: "0%"} {
		if got := percent(bp); got != want {
			t.Errorf("percent(%d) = %q, want %q", bp, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		in   string
		w    int
		want []string
	}{
		{"Terima kasih atas kunjungan Anda", 32, []string{"Terima kasih atas kunjungan Anda"}},
		{"Barang yang sudah dibeli tidak dapat ditukar", 32, []string{"Barang yang sudah dibeli tidak", "dapat ditukar"}},
		{"Supercalifragilistic", 8, []string{"Supercal", "ifragili", "stic"}},
		{"", 10, []string{""}},
	}
	for _, c := range cases {
		got := wrap(c.in, c.w)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
}
