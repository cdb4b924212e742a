package appliance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Receipt is what goes on paper, as styled lines of at most Width characters.
// Drivers turn it into printer commands; the virtual printer keeps its text.
type Receipt struct {
	Title   string        `json:"title"` // for the print queue and archive: "S001-T01-000123"
	Width   int           `json:"width"`
	Lines   []ReceiptLine `json:"lines"`
	Barcode string        `json:"barcode,omitempty"` // printed as a barcode at the end (refund lookup)
	QR      string        `json:"qr,omitempty"`      // printed as a QR code at the end (a QRIS payment code)
	Cut     bool          `json:"cut"`
	// OpenDrawer asks the printer to kick the drawer after printing.
	OpenDrawer bool `json:"open_drawer,omitempty"`
}

// ReceiptLine is one printed line.
type ReceiptLine struct {
	Text   string `json:"text"`
	Center bool   `json:"center,omitempty"`
	Bold   bool   `json:"bold,omitempty"`
	Big    bool   `json:"big,omitempty"` // double width and height
}

// Text renders the receipt as plain text, one line per printed line.
func (r *Receipt) Text() string {
	var b strings.Builder
	for _, l := range r.Lines {
		t := l.Text
		w := r.Width
		if l.Big {
			w /= 2
		}
		if l.Center {
			if n := utf8.RuneCountInString(t); n < w {
				t = strings.Repeat(" ", (w-n)/2) + t
			}
		}
		b.WriteString(strings.TrimRight(t, " "))
		b.WriteByte('\n')
	}
	if r.Barcode != "" {
		b.WriteString(center("||| "+r.Barcode+" |||", r.Width))
		b.WriteByte('\n')
	}
	return b.String()
}

type receiptBuilder struct {
	r *Receipt
	w int
}

func newReceipt(title string, width int) *receiptBuilder {
	if width <= 0 {
		width = 42
	}
	return &receiptBuilder{r: &Receipt{Title: title, Width: width, Cut: true}, w: width}
}

func (b *receiptBuilder) add(l ReceiptLine) {
	l.Text = clip(l.Text, b.w)
	b.r.Lines = append(b.r.Lines, l)
}
func (b *receiptBuilder) text(s string) { b.add(ReceiptLine{Text: s}) }
func (b *receiptBuilder) center(s string, bold bool) {
	for _, part := range wrap(s, b.w) {
		b.add(ReceiptLine{Text: part, Center: true, Bold: bold})
	}
}
func (b *receiptBuilder) rule()                   { b.text(strings.Repeat("-", b.w)) }
func (b *receiptBuilder) pair(left, right string) { b.text(columns(left, right, b.w)) }
func (b *receiptBuilder) bpair(left, right string) {
	b.add(ReceiptLine{Text: columns(left, right, b.w), Bold: true})
}

// columns puts left and right on one line of width w, cutting left if both
// do not fit: the amount is what must never be cut.
func columns(left, right string, w int) string {
	rn := utf8.RuneCountInString(right)
	room := w - rn - 1
	if room < 0 {
		return clip(right, w)
	}
	left = clip(left, room)
	return left + strings.Repeat(" ", w-rn-utf8.RuneCountInString(left)) + right
}

func clip(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	r := []rune(s)
	return string(r[:w])
}

func center(s string, w int) string {
	n := utf8.RuneCountInString(s)
	if n >= w {
		return clip(s, w)
	}
	return strings.Repeat(" ", (w-n)/2) + s
}

// wrap breaks s into lines of at most w runes at spaces.
func wrap(s string, w int) []string {
	words := strings.Fields(s)
	var out []string
	var cur string
	for _, word := range words {
		for utf8.RuneCountInString(word) > w {
			if cur != "" {
				out = append(out, cur)
				cur = ""
			}
			r := []rune(word)
			out = append(out, string(r[:w]))
			word = string(r[w:])
		}
		switch {
		case cur == "":
			cur = word
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= w:
			cur += " " + word
		default:
			out = append(out, cur)
			cur = word
		}
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

func fmtTime(t time.Time, cfg *Config) string {
	return t.In(cfg.Location()).Format("02-01-2006 15:04") + " " + cfg.ZoneName()
}

func percent(bp int64) string {
	s := strconv.FormatInt(bp/100, 10)
	if frac := bp % 100; frac != 0 {
		s += "," + strings.TrimRight(fmt.Sprintf("%02d", frac), "0")
	}
	return s + "%"
}

// SaleReceipt lays out a sale, void or refund for paper. copy marks a reprint.
func SaleReceipt(s *Sale, cfg *Config, reprint bool) *Receipt {
	b := newReceipt(s.Number, cfg.ReceiptWidth)
	b.add(ReceiptLine{Text: cfg.StoreName, Center: true, Bold: true, Big: utf8.RuneCountInString(cfg.StoreName) <= b.w/2})
	b.center(cfg.Address, false)
	if cfg.PKP && cfg.NPWP != "" {
		b.center("NPWP: "+cfg.NPWP, false)
	}
	for _, h := range cfg.ReceiptHeader {
		b.center(h, false)
	}
	if reprint {
		b.center("*** SALINAN ***", true)
	}
	switch s.Kind {
	case DocVoid:
		b.center("*** PEMBATALAN (VOID) ***", true)
	case DocRefund:
		b.center("*** PENGEMBALIAN (REFUND) ***", true)
	}
	b.rule()
	b.pair("No", s.Number)
	b.pair("Tanggal", fmtTime(s.Time, cfg))
	b.pair("Kasir", s.UserName)
	if s.Ref != "" {
		b.pair("Struk asal", s.Ref)
	}
	b.rule()
	for _, l := range s.Lines {
		for _, part := range wrap(l.Name, b.w) {
			b.text(part)
		}
		unit := ""
		if l.Unit != "" && l.Unit != "pcs" {
			unit = " " + l.Unit
		}
		b.pair("  "+l.Qty.String()+unit+" x "+l.UnitPrice.Plain(), l.Gross.Plain())
		if l.Discount > 0 {
			b.pair("  Diskon", "-"+l.Discount.Plain())
		}
	}
	b.rule()
	b.pair("Subtotal", s.Subtotal.Plain())
	if s.OrderDiscount > 0 {
		b.pair("Diskon", "-"+s.OrderDiscount.Plain())
	}
	if s.Discount > 0 {
		b.pair("Total hemat", s.Discount.Plain())
	}
	if s.Rounding != 0 {
		b.pair("Pembulatan", s.Rounding.Plain())
	}
	b.bpair("TOTAL", (s.Total + s.Rounding).String())
	for _, p := range s.Payments {
		name := p.Method
		if spec, ok := cfg.Method(p.Method); ok {
			name = spec.Name
		}
		b.pair(name, p.Amount.Plain())
		if p.Bank != "" {
			b.text("  " + p.Bank + " ****" + p.CardLast4 + " Appr " + p.ApprovalCode)
		}
		switch p.Confirmation {
		case ConfirmedByCashier:
			b.text(clip("  QRIS ref "+p.Reference+" (cek kasir)", b.w))
			if cfg.QRISOnReceipt && b.r.QR == "" {
				b.r.QR = staticQRISPayload(cfg, p)
			}
		case ConfirmedByProvider:
			b.text(clip("  QRIS ID "+p.ChargeID, b.w))
		}
	}
	if s.Change > 0 {
		b.bpair("Kembali", s.Change.Plain())
	}
	if cfg.PKP && len(s.Taxes) > 0 {
		b.rule()
		for _, t := range s.Taxes {
			b.pair("DPP "+t.Name, t.Base.Plain())
			b.pair(t.Name+" "+percent(t.RateBP), t.Amount.Plain())
		}
		b.text("Harga sudah termasuk pajak")
	}
	b.rule()
	for _, f := range cfg.ReceiptFooter {
		b.center(f, false)
	}
	b.r.Barcode = s.Number
	return b.r
}

// ShiftReceipt lays out an X or Z report for paper.
func ShiftReceipt(r *ShiftReport, cfg *Config) *Receipt {
	title := "Laporan " + r.Kind
	b := newReceipt(title+" shift "+itoa(r.ShiftID), cfg.ReceiptWidth)
	b.center(cfg.StoreName, true)
	b.center("LAPORAN "+r.Kind+map[bool]string{true: " (TUTUP SHIFT)", false: " (SEMENTARA)"}[r.Kind == "Z"], true)
	b.rule()
	b.pair("Toko / Kasir", r.Store+" / "+r.Till)
	b.pair("Shift", itoa(r.ShiftID))
	b.pair("Dibuka", fmtTime(r.OpenedAt, cfg))
	b.pair("Oleh", r.OpenedBy)
	b.pair("Dicetak", fmtTime(r.Time, cfg))
	b.pair("Oleh", r.User)
	b.rule()
	b.pair("Penjualan ("+itoa(int64(r.Sales))+")", r.Gross.Plain())
	b.pair("Void ("+itoa(int64(r.Voids))+")", "-"+r.VoidTotal.Plain())
	b.pair("Refund ("+itoa(int64(r.Refunds))+")", "-"+r.Refunded.Plain())
	b.bpair("Penjualan bersih", r.Net.Plain())
	b.pair("Diskon diberikan", r.Discounts.Plain())
	b.pair("Pembulatan", r.Rounding.Plain())
	for _, t := range r.Taxes {
		b.pair(t.Name+" termasuk", t.Amount.Plain())
	}
	b.rule()
	b.pair("Modal awal", r.Float.Plain())
	b.pair("Kas masuk", r.CashIn.Plain())
	b.pair("Kas keluar", r.CashOut.Plain())
	for _, m := range r.Methods {
		b.rule()
		b.add(ReceiptLine{Text: m.Name, Bold: true})
		b.pair("  Diterima", m.Sales.Plain())
		b.pair("  Dikembalikan", m.Returned.Plain())
		b.pair("  Seharusnya", m.Expected.Plain())
		if m.HasCount {
			b.pair("  Dihitung", m.Counted.Plain())
			b.pair("  Selisih", m.Diff.Plain())
		}
	}
	if r.Kind == "Z" {
		b.rule()
		b.bpair("Total selisih", r.Diff.Plain())
	}
	return b.r
}

func itoa(n int64) string { return Qty(n * 1000).String() }
