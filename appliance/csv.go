package appliance

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// RowError is one problem in a catalog file, placed as a spreadsheet shows
// it: Row counts from 1 at the header, and Column is the header's text.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Msg    string `json:"message"`
}

func (e RowError) String() string {
	s := "row " + strconv.Itoa(e.Row)
	if e.Column != "" {
		s += ", column " + e.Column
	}
	if e.Value != "" {
		s += " (" + strconv.Quote(e.Value) + ")"
	}
	return s + ": " + e.Msg
}

// CSVError lists everything wrong with a catalog file, so the shop can fix
// the sheet in one go. Omitted counts the problems beyond the first
// maxCSVErrors that Rows does not list.
type CSVError struct {
	Rows    []RowError `json:"rows"`
	Omitted int        `json:"omitted,omitempty"`
}

func (e *CSVError) Error() string {
	var b strings.Builder
	n := len(e.Rows) + e.Omitted
	fmt.Fprintf(&b, "catalog csv: %d problem", n)
	if n != 1 {
		b.WriteByte('s')
	}
	for _, r := range e.Rows {
		b.WriteString("\n  ")
		b.WriteString(r.String())
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.Omitted)
	}
	return b.String()
}

// Unwrap gives the web layer the code of the failure: the file is invalid.
func (e *CSVError) Unwrap() error {
	return &Error{Code: CodeInvalid, Detail: "catalog file has errors"}
}

func (e *CSVError) add(r RowError) {
	if len(e.Rows) < maxCSVErrors {
		e.Rows = append(e.Rows, r)
	} else {
		e.Omitted++
	}
}

const maxCSVErrors = 50

// Catalog file columns, with the header names accepted for each. Headers are
// compared case-insensitively with spaces and dashes read as underscores.
const (
	colSKU = iota
	colBarcode
	colName
	colCategory
	colUnit
	colPrice
	colTax
	colActive
	colWeighed
	colNewPrice
	colPriceFrom
	numCols
)

var csvHeaders = map[string]int{
	"sku": colSKU, "kode": colSKU, "kode_barang": colSKU, "plu": colSKU,
	"barcode": colBarcode, "barcodes": colBarcode, "kode_barcode": colBarcode,
	"name": colName, "nama": colName, "nama_barang": colName,
	"category": colCategory, "kategori": colCategory,
	"unit": colUnit, "satuan": colUnit,
	"price": colPrice, "harga": colPrice, "harga_jual": colPrice,
	"tax_class": colTax, "tax": colTax, "pajak": colTax,
	"active": colActive, "aktif": colActive,
	"weighed": colWeighed, "timbang": colWeighed, "ditimbang": colWeighed,
	"new_price": colNewPrice, "harga_baru": colNewPrice,
	"price_from": colPriceFrom, "berlaku": colPriceFrom, "berlaku_mulai": colPriceFrom,
}

var requiredCols = []struct {
	col  int
	name string
}{{colSKU, "sku/kode"}, {colName, "name/nama"}, {colPrice, "price/harga"}}

// ParseCatalogCSV reads a catalog as a spreadsheet saves it: comma or
// semicolon separated (Excel in an Indonesian locale uses semicolons),
// UTF-8 with or without a byte order mark (or Windows-1252, as Excel's plain
// "CSV" writes it), CRLF or LF line ends, quoted fields.
//
// The header names the columns, in Indonesian or English: sku/kode,
// barcode (several separated by "|" or spaces), name/nama, category/kategori,
// unit/satuan, price/harga, tax_class/pajak (default PPN), active/aktif
// (default yes), weighed/timbang, and new_price/harga_baru with
// price_from/berlaku for a price that starts at a date, read in loc (WIB when
// loc is nil). Other columns are ignored.
//
// The file is taken whole or not at all: if any row is wrong, no products
// are returned and the error is a *CSVError listing every problem found,
// each with its row and column. A file without products is an error too,
// since importing it would empty the till's catalog.
func ParseCatalogCSV(r io.Reader, loc *time.Location) ([]Product, error) {
	if loc == nil {
		loc = time.FixedZone("WIB", 7*60*60)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read catalog csv: %w", err)
	}
	errs := &CSVError{}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		errs.add(RowError{Row: 1, Msg: "the file is UTF-16 (\"Unicode Text\"); save it as \"CSV UTF-8\""})
		return nil, errs
	}
	data = toUTF8(data)
	// Classic Mac Excel ends lines with a bare CR, which encoding/csv does
	// not take as a line end.
	if bytes.IndexByte(data, '\n') < 0 {
		data = bytes.ReplaceAll(data, []byte{'\r'}, []byte{'\n'})
	}
	// Excel honours, and some exports write, a first line "sep=;" naming
	// the separator; it is not a row of the sheet.
	sep := rune(0)
	if line, rest, _ := bytes.Cut(data, []byte{'\n'}); bytes.HasPrefix(line, []byte("sep=")) {
		if r, n := utf8.DecodeRune(line[4:]); n > 0 && r != '\r' {
			sep = r
		}
		data = rest
	}
	if len(bytes.TrimSpace(data)) == 0 {
		errs.add(RowError{Row: 1, Msg: "the file is empty"})
		return nil, errs
	}
	if sep == 0 {
		sep = detectSeparator(data)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // a stray quote inside a name (Kaleng 12" Mini) is text

	// row counts records as a spreadsheet numbers them: a blank line is a
	// row (encoding/csv skips it silently), a quoted line break is not.
	row := 0
	next := func() ([]string, error) {
		start := cr.InputOffset()
		rec, err := cr.Read()
		if err != nil {
			return nil, err
		}
		row++
		for _, c := range data[start:] {
			if c == '\n' {
				row++
			} else if c != '\r' {
				break
			}
		}
		return rec, nil
	}

	header, err := next()
	if err != nil {
		errs.add(RowError{Row: 1, Msg: "cannot read the header: " + err.Error()})
		return nil, errs
	}
	headerRow := row
	cols := [numCols]int{}
	for i := range cols {
		cols[i] = -1
	}
	names := make([]string, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		names[i] = h
		key := strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(h))
		c, ok := csvHeaders[key]
		if !ok {
			continue
		}
		if cols[c] >= 0 {
			errs.add(RowError{Row: headerRow, Column: h, Msg: "column " + names[cols[c]] + " already holds this"})
			continue
		}
		cols[c] = i
	}
	for _, rc := range requiredCols {
		if cols[rc.col] < 0 {
			errs.add(RowError{Row: headerRow, Msg: "missing column " + rc.name})
		}
	}
	if (cols[colNewPrice] < 0) != (cols[colPriceFrom] < 0) {
		errs.add(RowError{Row: headerRow, Msg: "new_price/harga_baru and price_from/berlaku come together"})
	}
	if len(errs.Rows) > 0 {
		return nil, errs
	}

	var out []Product
	skuRow := map[string]int{}
	codeRow := map[string]int{}
	for {
		rec, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs.add(RowError{Row: row + 1, Msg: pe.Err.Error()})
			} else {
				errs.add(RowError{Row: row + 1, Msg: err.Error()})
			}
			break
		}
		if blankRecord(rec) {
			continue
		}
		// Extra fields mean an unquoted separator shifted the columns:
		// what the other columns hold then is noise, not errors to list.
		if len(rec) > len(header) && !blankRecord(rec[len(header):]) {
			errs.add(RowError{Row: row, Msg: fmt.Sprintf("%d fields but the header has %d; quote a value that holds %q", len(rec), len(header), string(cr.Comma))})
			continue
		}
		p, rowErrs := parseCatalogRow(rec, row, cols, names, loc)
		if p.SKU != "" {
			if first, dup := skuRow[p.SKU]; dup {
				rowErrs = append(rowErrs, RowError{Row: row, Column: names[cols[colSKU]], Value: p.SKU, Msg: fmt.Sprintf("SKU is also on row %d", first)})
			} else {
				skuRow[p.SKU] = row
			}
		}
		for _, b := range p.Barcodes {
			key := b
			if len(b) == 12 && allDigits(b) {
				key = "0" + b // a UPC-A and its EAN-13 form scan alike
			}
			if first, dup := codeRow[key]; dup {
				rowErrs = append(rowErrs, RowError{Row: row, Column: names[cols[colBarcode]], Value: b, Msg: fmt.Sprintf("barcode is also on row %d", first)})
			} else {
				codeRow[key] = row
			}
		}
		for _, e := range rowErrs {
			errs.add(e)
		}
		if len(rowErrs) == 0 {
			out = append(out, p)
		}
	}
	if len(errs.Rows) > 0 || errs.Omitted > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		errs.add(RowError{Row: headerRow, Msg: "the file has a header but no products"})
		return nil, errs
	}
	return out, nil
}

// parseCatalogRow reads one product; a row with errors returns them all.
func parseCatalogRow(rec []string, row int, cols [numCols]int, names []string, loc *time.Location) (Product, []RowError) {
	var errs []RowError
	field := func(c int) (string, string) {
		i := cols[c]
		if i < 0 {
			return "", ""
		}
		if i >= len(rec) {
			return "", names[i]
		}
		return strings.TrimSpace(rec[i]), names[i]
	}
	bad := func(col, val, msg string) { errs = append(errs, RowError{Row: row, Column: col, Value: val, Msg: msg}) }

	p := Product{Active: true, TaxClass: "PPN", Unit: "pcs"}
	sku, skuCol := field(colSKU)
	if sku == "" {
		bad(skuCol, "", "SKU is empty")
	}
	p.SKU = sku
	name, nameCol := field(colName)
	if name == "" {
		bad(nameCol, "", "name is empty")
	}
	p.Name = name
	p.Category, _ = field(colCategory)

	if v, col := field(colBarcode); v != "" {
		seen := map[string]bool{}
		for _, b := range strings.FieldsFunc(v, func(r rune) bool { return r == '|' || r == ' ' || r == '\t' }) {
			if seen[b] {
				continue
			}
			seen[b] = true
			switch {
			case looksScientific(b):
				bad(col, b, "the spreadsheet turned the barcode into a number; format the column as text")
			case allDigits(b) && (len(b) == 8 || len(b) == 12 || len(b) == 13) && !ValidGTIN(b):
				bad(col, b, "wrong check digit")
			default:
				p.Barcodes = append(p.Barcodes, b)
			}
		}
	}

	if v, col := field(colPrice); v == "" {
		bad(col, "", "price is empty")
	} else if price, err := ParseRupiah(v); err != nil || price < 0 {
		bad(col, v, "not a price in rupiah")
	} else {
		p.Price = price
	}

	if v, _ := field(colTax); v != "" {
		p.TaxClass = strings.ToUpper(v)
	}
	if v, col := field(colActive); v != "" {
		if b, ok := parseYesNo(v); ok {
			p.Active = b
		} else {
			bad(col, v, "not yes or no (ya/tidak, 1/0)")
		}
	}
	if v, col := field(colWeighed); v != "" {
		if b, ok := parseYesNo(v); ok {
			p.Weighed = b
		} else {
			bad(col, v, "not yes or no (ya/tidak, 1/0)")
		}
	}
	if v, _ := field(colUnit); v != "" {
		p.Unit = v
	} else if p.Weighed {
		p.Unit = "kg"
	}

	np, npCol := field(colNewPrice)
	from, fromCol := field(colPriceFrom)
	switch {
	case np == "" && from == "":
	case np == "":
		bad(npCol, "", "a start date needs a new price")
	case from == "":
		bad(fromCol, "", "a new price needs a start date")
	default:
		price, err := ParseRupiah(np)
		if err != nil || price < 0 {
			bad(npCol, np, "not a price in rupiah")
		}
		t, ok := parseCSVTime(from, loc)
		if !ok {
			bad(fromCol, from, "not a date like 2026-12-01 or 01/12/2026")
		}
		if err == nil && ok {
			p.PriceChanges = []PriceChange{{Price: price, From: t}}
		}
	}
	if len(errs) == 0 {
		if err := p.Validate(); err != nil {
			bad("", "", err.Error())
		}
	}
	return p, errs
}

// detectSeparator picks the separator the header line uses most, outside
// quotes: comma, semicolon or tab.
func detectSeparator(data []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, c := range data {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		counts[c]++
	}
	sep, best := byte(','), counts[',']
	for _, c := range []byte{';', '\t'} {
		if counts[c] > best {
			sep, best = c, counts[c]
		}
	}
	return rune(sep)
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// looksScientific spots a barcode that a spreadsheet stored as a number and
// wrote back as "8,99E+12": its digits are gone and cannot be recovered.
func looksScientific(s string) bool {
	u := strings.ToUpper(s)
	i := strings.Index(u, "E+")
	return i > 0 && strings.ContainsAny(u[:i], "0123456789")
}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "y", "ya", "yes", "true", "aktif", "benar":
		return true, true
	case "0", "n", "tidak", "no", "false", "nonaktif", "salah":
		return false, true
	}
	return false, false
}

// csvTimeLayouts are the ways a date comes out of a spreadsheet: ISO, and
// day/month/year as an Indonesian locale writes it.
var csvTimeLayouts = []string{
	"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05",
	"2/1/2006", "2/1/2006 15:04", "2/1/2006 15:04:05",
	"2-1-2006", "2-1-2006 15:04",
}

func parseCSVTime(s string, loc *time.Location) (time.Time, bool) {
	for _, layout := range csvTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// toUTF8 drops a UTF-8 byte order mark, and reads text that is not UTF-8 as
// Windows-1252, the code page Excel's plain "CSV" format writes in.
func toUTF8(data []byte) []byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return data
	}
	var b bytes.Buffer
	b.Grow(len(data) + len(data)/8)
	for _, c := range data {
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c >= 0x80 && c < 0xa0:
			b.WriteRune(cp1252[c-0x80])
		default:
			b.WriteRune(rune(c)) // Latin-1 and Windows-1252 agree from 0xA0
		}
	}
	return b.Bytes()
}

// cp1252 maps bytes 0x80–0x9F of Windows-1252; the unassigned five become
// the replacement character.
var cp1252 = [32]rune{
	'€', '\ufffd', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\ufffd', 'Ž', '\ufffd',
	'\ufffd', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\ufffd', 'ž', 'Ÿ',
}
