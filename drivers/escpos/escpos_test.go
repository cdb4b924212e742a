package escpos

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kasirpos/kasir/qrcode/zbar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// pair lays out left and right on one line of w columns, as the till does.
func pair(left, right string, w int) string {
	n := w - utf8.RuneCountInString(left) - utf8.RuneCountInString(right)
	return left + strings.Repeat(" ", max(n, 1)) + right
}

// receipt is a realistic Indonesian sale at w columns. The TOTAL carries the
// U+00A0 that rupiah formatting puts after "Rp".
func receipt(w int) Doc {
	rule := Line{Text: strings.Repeat("-", w)}
	text := func(s string) Line { return Line{Text: s} }
	p := func(l, r string) Line { return Line{Text: pair(l, r, w)} }
	bp := func(l, r string) Line { return Line{Text: pair(l, r, w), Bold: true} }
	c := func(s string) Line { return Line{Text: s, Center: true} }
	return Doc{
		Lines: []Line{
			{Text: "TOKO MAJU", Center: true, Bold: true, Big: true},
			c("Jl. Merdeka No. 10, Bandung"),
			c("NPWP: 01.234.567.8-901.000"),
			rule,
			p("No", "S001-T01-000123"),
			p("Tanggal", "14-03-2025 10:21 WIB"),
			p("Kasir", "Siti"),
			rule,
			text("Teh Botol Sosro 450ml"),
			p("  2 x 3.500", "7.000"),
			text("Café Latte Kaleng"),
			p("  1 x 5.450", "5.450"),
			rule,
			p("Subtotal", "12.450"),
			p("Pembulatan", "50"),
			bp("TOTAL", "Rp\u00a012.500"),
			p("Tunai", "20.000"),
			bp("Kembali", "7.500"),
			rule,
			p("DPP PPN", "11.216"),
			p("PPN 11%", "1.234"),
			text("Harga sudah termasuk pajak"),
			rule,
			c("Terima kasih atas kunjungan Anda"),
			c("Barang yang sudah dibeli"),
			c("tidak dapat dikembalikan"),
		},
		Barcode:    "S001-T01-000123",
		Cut:        true,
		OpenDrawer: true,
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct{ file, preset string }{
		{"receipt-58mm.txt", "generic-58"},
		{"receipt-80mm.txt", "epson-tm-t82"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := Presets[tc.preset]
			b, err := Render(receipt(p.Columns), p)
			if err != nil {
				t.Fatal(err)
			}
			paper, err := Decode(b, p)
			if err != nil {
				t.Fatal(err)
			}
			got := paper.Text()
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("paper differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
			for i, l := range paper.Lines {
				if n := utf8.RuneCountInString(l); n > p.Columns {
					t.Errorf("line %d is %d columns: %q", i+1, n, l)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, cols := range []int{32, 42, 48} {
		p := Profile{Name: "test", Columns: cols, Cutter: true, NativeQR: true, CodePage: "CP858"}
		t.Run(p.Name+"-"+string(rune('0'+cols/10))+string(rune('0'+cols%10)), func(t *testing.T) {
			d := receipt(cols)
			d.QR = "https://kasir.example/r/S001-T01-000123"
			b, err := Render(d, p)
			if err != nil {
				t.Fatal(err)
			}
			paper, err := Decode(b, p)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(paper.Lines), len(d.Lines)+1; got != want { // +1: the feed before the barcode
				t.Fatalf("got %d lines, want %d:\n%s", got, want, paper.Text())
			}
			for i, l := range d.Lines {
				want := strings.ReplaceAll(strings.TrimRight(l.Text, " "), "\u00a0", " ")
				w := utf8.RuneCountInString(want)
				if l.Big {
					w *= 2
				}
				if l.Center {
					want = strings.Repeat(" ", (cols-w)/2) + want
				}
				if got := paper.Lines[i]; got != want {
					t.Errorf("line %d: got %q, want %q", i+1, got, want)
				}
			}
			if got, want := paper.Barcodes, []string{"CODE128 S001-T01-000123"}; !reflect.DeepEqual(got, want) {
				t.Errorf("barcodes: got %q, want %q", got, want)
			}
			if got, want := paper.QRs, []string{d.QR}; !reflect.DeepEqual(got, want) {
				t.Errorf("QRs: got %q, want %q", got, want)
			}
			if paper.Cuts != 1 {
				t.Errorf("cuts: got %d, want 1", paper.Cuts)
			}
			if got, want := paper.Kicks, []Kick{{Pin: 2, OnMs: DefaultKickOn, OffMs: DefaultKickOff}}; !reflect.DeepEqual(got, want) {
				t.Errorf("kicks: got %v, want %v", got, want)
			}
		})
	}
}

func TestRenderRefusesWideLine(t *testing.T) {
	p := Presets["generic-58"]
	for _, tc := range []struct {
		name string
		line Line
	}{
		{"plain", Line{Text: strings.Repeat("x", 33)}},
		{"big counts double", Line{Text: strings.Repeat("x", 17), Big: true}},
		{"folded rune widens", Line{Text: strings.Repeat("x", 30) + "€"}}, // CP437 has no euro: "EUR"
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(Doc{Lines: []Line{tc.line}}, p)
			if !errors.Is(err, ErrTooWide) {
				t.Fatalf("got %v, want ErrTooWide", err)
			}
		})
	}
	if _, err := Render(Doc{Lines: []Line{{Text: strings.Repeat("x", 32)}, {Text: strings.Repeat("x", 16), Big: true}}}, p); err != nil {
		t.Fatalf("full-width lines refused: %v", err)
	}
}

func TestDecodeFails(t *testing.T) {
	p := Presets["generic-58"]
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"unknown ESC", []byte{esc, '@', esc, 'Z', 1}},
		{"unknown GS", []byte{gs, 'Q', 0}},
		{"unknown FS", []byte{fs, '&'}},
		{"stray control byte", []byte("ab\x07\n")},
		{"cut short", []byte{gs, 'k', 73, 10, '{', 'B'}},
		{"undefined code page byte", []byte{esc, 't', 0, 0xB0, lf}},
		{"line too wide", append(bytes.Repeat([]byte("x"), 33), lf)},
		{"double width too wide", append(append([]byte{gs, '!', 0x10}, bytes.Repeat([]byte("x"), 17)...), lf)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.b, p); !errors.Is(err, ErrDecode) {
				t.Fatalf("got %v, want ErrDecode", err)
			}
		})
	}
}

func TestTextNeverLeaksFormattingSpaces(t *testing.T) {
	for _, preset := range []string{"generic-58", "epson-tm-t82"} {
		p := Presets[preset]
		d := Doc{Lines: []Line{
			{Text: "Rp\u00a012.500"},     // no-break space
			{Text: "Rp\u202f12.500"},     // narrow no-break space
			{Text: "Rp\u200b12.500\t"},   // zero-width space, tab
			{Text: "Rp\u2009" + "7.500"}, // thin space
		}}
		b, err := Render(d, p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte{0xA0}) || bytes.Contains(b, []byte("\u00a0")) || bytes.Contains(b, []byte{0xFF}) {
			t.Errorf("%s: a no-break space reached the bytes: % X", preset, b)
		}
		paper, err := Decode(b, p)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"Rp 12.500", "Rp 12.500", "Rp12.500", "Rp 7.500"}
		if !reflect.DeepEqual(paper.Lines, want) {
			t.Errorf("%s: got %q, want %q", preset, paper.Lines, want)
		}
	}
}

func TestTextCodePages(t *testing.T) {
	for _, tc := range []struct {
		page, in string
		want     []byte
	}{
		{"CP437", "Café", []byte{'C', 'a', 'f', 0x82}},
		{"CP437", "€5", []byte("EUR5")},
		{"CP858", "€5", []byte{0xD5, '5'}},
		{"CP437", "2×", []byte("2x")},
		{"CP437", "Łódź", []byte{'?', 0xA2, 'd', '?'}},
		{"CP437", "日本\x07", []byte("???")},
		{"CP1252", "Crème", []byte{'C', 'r', 0xE8, 'm', 'e'}},
	} {
		var buf bytes.Buffer
		e := NewEncoder(&buf, Profile{Columns: 32, CodePage: tc.page})
		e.Text(tc.in)
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := buf.Bytes(); !bytes.Equal(got, tc.want) {
			t.Errorf("%s %q: got % X, want % X", tc.page, tc.in, got, tc.want)
		}
	}
}

func TestInit(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf, Presets["epson-tm-t82"])
	e.Init()
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.Bytes(), []byte{0x1B, 0x40, 0x1C, 0x2E, 0x1B, 0x74, 19}; !bytes.Equal(got, want) {
		t.Errorf("got % X, want % X", got, want)
	}
}

func TestDrawerKickClamped(t *testing.T) {
	for _, tc := range []struct {
		pin, on, off int
		want         []byte
	}{
		{2, 100, 200, []byte{0x1B, 'p', 0, 50, 100}},
		{5, 100, 200, []byte{0x1B, 'p', 1, 50, 100}},
		{2, 0, 0, []byte{0x1B, 'p', 0, 25, 25}},        // too short to pull the latch
		{2, 1000, 100, []byte{0x1B, 'p', 0, 100, 100}}, // would cook the coil; off never below on
		{2, 120, 5000, []byte{0x1B, 'p', 0, 60, 250}},  // off fits the byte
		{2, -5, 60, []byte{0x1B, 'p', 0, 25, 30}},
	} {
		var buf bytes.Buffer
		e := NewEncoder(&buf, Presets["epson-tm-t82"])
		e.DrawerKick(tc.pin, tc.on, tc.off)
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := buf.Bytes(); !bytes.Equal(got, tc.want) {
			t.Errorf("kick(%d, %d, %d): got % X, want % X", tc.pin, tc.on, tc.off, got, tc.want)
		}
	}
	e := NewEncoder(&bytes.Buffer{}, Presets["epson-tm-t82"])
	e.DrawerKick(3, 100, 100)
	if e.Flush() == nil {
		t.Error("pin 3 accepted")
	}
}

func TestNoCutterNoCut(t *testing.T) {
	p := Presets["xprinter-xp-58"]
	b, err := Render(Doc{Lines: []Line{{Text: "halo"}}, Cut: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte{gs, 'V'}) {
		t.Errorf("GS V sent to a printer without cutter: % X", b)
	}
	paper, err := Decode(b, p)
	if err != nil {
		t.Fatal(err)
	}
	if paper.Cuts != 0 || len(paper.Lines) != 5 { // the line, then 4 fed past the tear bar
		t.Errorf("got %d cuts, %d lines", paper.Cuts, len(paper.Lines))
	}
	if b, _ := Render(Doc{Cut: true}, Presets["epson-tm-t82"]); !bytes.HasSuffix(b, []byte{0x1D, 0x56, 0x42, 0x03}) {
		t.Errorf("cutter: got % X, want GS V 66 3 at the end", b)
	}
}

func TestBarcodeBytes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		preset string
		encode func(*Encoder)
		want   []byte
	}{
		{"CODE128 80mm", "epson-tm-t82", func(e *Encoder) { e.Barcode128("S001-T01-000123") }, []byte{
			0x1D, 0x68, 80, // GS h: 80 dots high
			0x1D, 0x77, 2, // GS w: 200 modules x 2 dots fit 576
			0x1D, 0x48, 2, // GS H: text below
			0x1D, 0x6B, 73, 17, '{', 'B', 'S', '0', '0', '1', '-', 'T', '0', '1', '-', '0', '0', '0', '1', '2', '3',
		}},
		{"CODE128 58mm", "generic-58", func(e *Encoder) { e.Barcode128("S001-T01-000123") }, []byte{
			0x1D, 0x68, 80, 0x1D, 0x77, 1, 0x1D, 0x48, 2,
			0x1D, 0x6B, 73, 17, '{', 'B', 'S', '0', '0', '1', '-', 'T', '0', '1', '-', '0', '0', '0', '1', '2', '3',
		}},
		{"CODE128 brace doubled", "epson-tm-t82", func(e *Encoder) { e.Barcode128("a{b") }, []byte{
			0x1D, 0x68, 80, 0x1D, 0x77, 3, 0x1D, 0x48, 2,
			0x1D, 0x6B, 73, 6, '{', 'B', 'a', '{', '{', 'b',
		}},
		{"EAN-13 with check digit", "epson-tm-t82", func(e *Encoder) { e.EAN13("8991234567891") }, []byte{
			0x1D, 0x68, 80, 0x1D, 0x77, 2, 0x1D, 0x48, 2,
			0x1D, 0x6B, 67, 12, '8', '9', '9', '1', '2', '3', '4', '5', '6', '7', '8', '9',
		}},
		{"EAN-13 without check digit", "generic-58", func(e *Encoder) { e.EAN13("899123456789") }, []byte{
			0x1D, 0x68, 80, 0x1D, 0x77, 2, 0x1D, 0x48, 2,
			0x1D, 0x6B, 67, 12, '8', '9', '9', '1', '2', '3', '4', '5', '6', '7', '8', '9',
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := NewEncoder(&buf, Presets[tc.preset])
			tc.encode(e)
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := buf.Bytes(); !bytes.Equal(got, tc.want) {
				t.Errorf("got  % X\nwant % X", got, tc.want)
			}
			paper, err := Decode(buf.Bytes(), Presets[tc.preset])
			if err != nil {
				t.Fatal(err)
			}
			if len(paper.Barcodes) != 1 {
				t.Fatalf("decoded %q", paper.Barcodes)
			}
		})
	}
	for _, bad := range []string{"8991234567890", "89912345678", "89912345678x"} {
		e := NewEncoder(&bytes.Buffer{}, Presets["epson-tm-t82"])
		e.EAN13(bad)
		if err := e.Flush(); !errors.Is(err, ErrBarcodeData) {
			t.Errorf("EAN-13 %q: got %v, want ErrBarcodeData", bad, err)
		}
	}
}

func TestQRNeedsNativeCommand(t *testing.T) {
	e := NewEncoder(&bytes.Buffer{}, Presets["generic-58"])
	e.QR("x")
	if err := e.Flush(); !errors.Is(err, ErrNoNativeQR) {
		t.Fatalf("got %v, want ErrNoNativeQR", err)
	}
}

// A printer without a QR command gets the code as a raster image that fits
// its paper, and what it would print scans back to the payload.
func TestQRRasterFallback(t *testing.T) {
	payload := "00020101021226610014ID.CO.QRIS.WWW01189360091100000000000215ID10200000000010303UMI51440014ID.CO.QRIS.WWW0215ID20200000000010303UMI5204541153033605405125005802ID5910TOKO KASIR6007JAKARTA62210509S001-T01-0007S001-T016304"
	for _, name := range []string{"generic-58", "xprinter-xp-58"} {
		p := Presets[name]
		b, err := Render(Doc{Lines: []Line{{Text: "QRIS"}}, QR: payload, Cut: true}, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		paper, err := Decode(b, p)
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		if len(paper.Rasters) != 1 || len(paper.QRs) != 0 {
			t.Fatalf("%s: %d rasters, %d native QR codes", name, len(paper.Rasters), len(paper.QRs))
		}
		r := paper.Rasters[0]
		if r.Width > p.dots() {
			t.Fatalf("%s: raster %d dots wide on %d-dot paper", name, r.Width, p.dots())
		}
		img := image.NewGray(image.Rect(0, 0, r.Width, r.Height))
		for y, row := range r.Dots {
			for x, black := range row {
				if !black {
					img.SetGray(x, y, color.Gray{Y: 255})
				}
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if got := zbar.DecodePNG(t, buf.Bytes()); got != payload {
			t.Fatalf("%s: scanned %q, want %q", name, got, payload)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"generic-58", "epson-tm-t82"} {
		p := Presets[name]
		d := receipt(p.Columns)
		if p.NativeQR {
			d.QR = "https://kasir.example/r/1"
		}
		b, err := Render(d, p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, p.Columns)
	}
	var img bytes.Buffer
	e := NewEncoder(&img, Presets["generic-58"])
	e.Init()
	e.Raster([][]bool{{true, false, true}, {false, true, false}}, 2)
	e.AutoStatusBack(ASBAll)
	if err := e.Flush(); err != nil {
		f.Fatal(err)
	}
	f.Add(append(img.Bytes(), StatusRequest(StatusPaper)...), 32)
	f.Fuzz(func(t *testing.T, b []byte, cols int) {
		cols = 1 + (cols&0xFFFF)%64
		paper, err := Decode(b, Profile{Columns: cols})
		if err != nil {
			return
		}
		for _, l := range paper.Lines {
			if n := utf8.RuneCountInString(l); n > cols {
				t.Fatalf("decoded a %d-column line on %d columns: %q", n, cols, l)
			}
		}
	})
}
