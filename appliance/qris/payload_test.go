package qris

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// sample is a plausible static QRIS for a small shop: an acquirer's own
// account in 26, the national repository's NMID in 51, MCC 5411 (grocery),
// and a terminal label in 62.
const sample = "00020101021126650019ID.CO.BANKKASIR.WWW011893600999000012345602090001234560303UMI" +
	"51440014ID.CO.QRIS.WWW0215ID10261234567890303UMI" +
	"5204541153033605802ID5910TOKO KASIR6007JAKARTA6105101106211" +
	"0707KASIR01" + "6304524F"

func sampleFields() []Field {
	return []Field{
		{ID: "00", Value: "01"},
		{ID: "01", Value: "11"},
		{ID: "26", Sub: []Field{{ID: "00", Value: "ID.CO.BANKKASIR.WWW"}, {ID: "01", Value: "936009990000123456"}, {ID: "02", Value: "000123456"}, {ID: "03", Value: "UMI"}}},
		{ID: "51", Sub: []Field{{ID: "00", Value: GUIDNational}, {ID: "02", Value: "ID1026123456789"}, {ID: "03", Value: "UMI"}}},
		{ID: "52", Value: "5411"},
		{ID: "53", Value: "360"},
		{ID: "58", Value: "ID"},
		{ID: "59", Value: "TOKO KASIR"},
		{ID: "60", Value: "JAKARTA"},
		{ID: "61", Value: "10110"},
		{ID: "62", Sub: []Field{{ID: "07", Value: "KASIR01"}}},
	}
}

// raw encodes fields with a correct CRC and no validation, for bad payloads.
func raw(t *testing.T, fields ...Field) string {
	t.Helper()
	var b strings.Builder
	for _, f := range fields {
		if err := writeField(&b, f, ""); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteString("6304")
	return b.String() + crcText(b.String())
}

// edit returns the sample's fields with tag id replaced by f (or removed
// when f.ID is "") or, if the sample lacks id, with f added before 63.
func edit(id string, f Field) []Field {
	fs := sampleFields()
	for i := range fs {
		if fs[i].ID == id {
			if f.ID == "" {
				return append(fs[:i], fs[i+1:]...)
			}
			fs[i] = f
			return fs
		}
	}
	return append(fs, f)
}

// drop returns the sample's fields without the given tags.
func drop(ids ...string) []Field {
	var out []Field
	for _, f := range sampleFields() {
		if !slices.Contains(ids, f.ID) {
			out = append(out, f)
		}
	}
	return out
}

func withCRC(s string) string { return s + crcText(s) }

func TestSample(t *testing.T) {
	p, err := New(sampleFields()...)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Encode(); got != sample {
		t.Fatalf("New(sample fields).Encode() =\n%s\nwant\n%s", got, sample)
	}
	p, err = Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"merchant name", p.MerchantName(), "TOKO KASIR"},
		{"city", p.MerchantCity(), "JAKARTA"},
		{"MCC", p.MCC(), "5411"},
		{"postal code", p.PostalCode(), "10110"},
		{"NMID", p.NMID(), "ID1026123456789"},
		{"terminal", p.value("62.07"), "KASIR01"},
		{"String", p.String(), sample},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if p.IsDynamic() {
		t.Error("the static sample reads as dynamic")
	}
	if _, ok := p.Amount(); ok {
		t.Error("the static sample has an amount")
	}
	want := []Account{
		{Tag: "26", GUID: "ID.CO.BANKKASIR.WWW", PAN: "936009990000123456", MerchantID: "000123456", Criteria: "UMI"},
		{Tag: "51", GUID: GUIDNational, MerchantID: "ID1026123456789", Criteria: "UMI"},
	}
	if got := p.Accounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Accounts() = %+v, want %+v", got, want)
	}
	// Fields is a copy: changing it does not change the payload.
	fs := p.Fields()
	fs[len(fs)-1].Sub[0].Value = "CHANGED"
	if p.Encode() != sample {
		t.Error("changing Fields() changed the payload")
	}
}

func TestParseAcceptsOptionalTags(t *testing.T) {
	tests := []struct {
		name   string
		fields []Field
	}{
		{"tip prompt", edit("55", Field{ID: "55", Value: "01"})},
		{"fixed fee", append(edit("55", Field{ID: "55", Value: "02"}), Field{ID: "56", Value: "1000"})},
		{"percentage fee", append(edit("55", Field{ID: "55", Value: "03"}), Field{ID: "57", Value: "2.5"})},
		{"amount with zero decimals", edit("54", Field{ID: "54", Value: "12500.00"})},
		{"dynamic", edit("01", Field{ID: "01", Value: "12"})},
		{"card network tag", edit("04", Field{ID: "04", Value: "5123450000000000"})},
		{"unreserved template", edit("99", Field{ID: "99", Sub: []Field{{ID: "00", Value: "COM.EXAMPLE"}, {ID: "01", Value: "X"}}})},
		{"no postal code, no additional data", edit("62", Field{})[:9]},
		{"additional data", edit("62", Field{ID: "62", Sub: []Field{{ID: "01", Value: "INV-1"}, {ID: "09", Value: "AME"}, {ID: "50", Value: "anything"}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := raw(t, tt.fields...)
			p, err := Parse(s)
			if err != nil {
				t.Fatalf("Parse(%s): %v", s, err)
			}
			if got := p.Encode(); got != s {
				t.Errorf("Encode() = %s, want %s", got, s)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	sub := func(id string, sub ...Field) Field { return Field{ID: id, Sub: sub} }
	f := func(id, v string) Field { return Field{ID: id, Value: v} }
	tests := []struct {
		name string
		in   string
		kind Kind
		tag  string
	}{
		{"empty", "", KindEmpty, ""},
		{"a URL", "https://kasir.example/pay", KindFormat, "00"},
		{"payload format 02", withCRC("000202" + sample[6:len(sample)-4]), KindFormat, "00"},
		{"format not first", raw(t, append([]Field{f("01", "11"), f("00", "01")}, sampleFields()[2:]...)...), KindFormat, "00"},
		{"cut off", sample[:len(sample)-12], KindSyntax, "62"},
		{"stray characters", sample[:12] + "0", KindSyntax, ""},
		{"length not digits", withCRC("00020101AB11" + sample[12:len(sample)-4]), KindSyntax, "01"},
		{"tag not digits", withCRC(sample[:12] + "X" + sample[13:len(sample)-4]), KindSyntax, ""},
		{"newline", sample + "\n", KindCharacters, ""},
		{"non-ASCII name", strings.Replace(sample, "TOKO KASIR", "TOKO KAS\u00cd", 1), KindCharacters, ""},
		{"too long", sample + strings.Repeat("0", MaxLen), KindTooLong, ""},
		{"no CRC", sample[:len(sample)-8], KindCRCMissing, "63"},
		{"CRC too short", withCRC(sample[:len(sample)-8] + "6303")[:len(sample)-1], KindCRCMissing, "63"},
		{"lowercase CRC", sample[:len(sample)-4] + "524f", KindCRCMissing, "63"},
		{"CRC not last", sample + "6501X", KindCRCMissing, "63"},
		{"CRC in the middle", raw(t, append(sampleFields()[:5], append([]Field{f("63", "ABCD")}, sampleFields()[5:]...)...)...), KindCRCMissing, "63"},
		{"typo", strings.Replace(sample, "TOKO KASIR", "TOKO KASlR", 1), KindChecksum, "63"},
		{"swapped digits", strings.Replace(sample, "5411", "4511", 1), KindChecksum, "63"},
		{"duplicate name", raw(t, append(sampleFields(), f("59", "TOKO LAIN"))...), KindDuplicate, "59"},
		{"duplicate sub-tag", raw(t, edit("62", sub("62", f("05", "A"), f("05", "B")))...), KindDuplicate, "62.05"},
		{"empty value", raw(t, edit("61", f("61", ""))...), KindValue, "61"},
		{"empty sub-value", raw(t, edit("62", sub("62", f("05", "")))...), KindValue, "62.05"},
		{"no point of initiation", raw(t, edit("01", Field{})...), KindMissing, "01"},
		{"no MCC", raw(t, edit("52", Field{})...), KindMissing, "52"},
		{"no currency", raw(t, edit("53", Field{})...), KindMissing, "53"},
		{"no country", raw(t, edit("58", Field{})...), KindMissing, "58"},
		{"no name", raw(t, edit("59", Field{})...), KindMissing, "59"},
		{"no city", raw(t, edit("60", Field{})...), KindMissing, "60"},
		{"no merchant account", raw(t, drop("26", "51")...), KindMissing, "26"},
		{"account without GUID", raw(t, edit("51", sub("51", f("02", "ID1026123456789")))...), KindMissing, "51.00"},
		{"point of initiation 13", raw(t, edit("01", f("01", "13"))...), KindValue, "01"},
		{"MCC with a letter", raw(t, edit("52", f("52", "54A1"))...), KindValue, "52"},
		{"MCC of five digits", raw(t, edit("52", f("52", "54111"))...), KindValue, "52"},
		{"dollars", raw(t, edit("53", f("53", "840"))...), KindCurrency, "53"},
		{"currency by letters", raw(t, edit("53", f("53", "IDR"))...), KindValue, "53"},
		{"Singapore", raw(t, edit("58", f("58", "SG"))...), KindValue, "58"},
		{"name of 26", raw(t, edit("59", f("59", strings.Repeat("N", 26)))...), KindValue, "59"},
		{"city of 16", raw(t, edit("60", f("60", strings.Repeat("C", 16)))...), KindValue, "60"},
		{"postal code of 11", raw(t, edit("61", f("61", "12345678901"))...), KindValue, "61"},
		{"amount with sen", raw(t, edit("54", f("54", "12500.50"))...), KindValue, "54"},
		{"amount zero", raw(t, edit("54", f("54", "0"))...), KindValue, "54"},
		{"amount with a comma", raw(t, edit("54", f("54", "12,500"))...), KindValue, "54"},
		{"amount of 14", raw(t, edit("54", f("54", "12345678901234"))...), KindValue, "54"},
		{"tip indicator 04", raw(t, edit("55", f("55", "04"))...), KindValue, "55"},
		{"fixed fee missing", raw(t, edit("55", f("55", "02"))...), KindMissing, "56"},
		{"percentage missing", raw(t, edit("55", f("55", "03"))...), KindMissing, "57"},
		{"fee without indicator", raw(t, edit("56", f("56", "1000"))...), KindValue, "56"},
		{"percentage of 100", raw(t, append(edit("55", f("55", "03")), f("57", "100"))...), KindValue, "57"},
		{"reference of 26", raw(t, edit("62", sub("62", f("05", strings.Repeat("R", 26))))...), KindValue, "62.05"},
		{"consumer data request X", raw(t, edit("62", sub("62", f("09", "X")))...), KindValue, "62.09"},
		{"additional data not TLV", raw(t, edit("62", f("62", "0599"))...), KindTemplate, "62"},
		{"account not TLV", raw(t, edit("51", f("51", "ID.CO.QRIS.WWW"))...), KindTemplate, "51"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %v, %v; want a *qris.Error", tt.in, p, err)
			}
			if e.Kind != tt.kind || e.Tag != tt.tag {
				t.Errorf("Parse(%q): %v; want kind %s, tag %q", tt.in, err, tt.kind, tt.tag)
			}
			if !errors.Is(err, &Error{Kind: tt.kind}) {
				t.Errorf("errors.Is(%v, kind %s) = false", err, tt.kind)
			}
			for _, lang := range []string{"id", "en"} {
				if m := e.Message(lang); m == "" || strings.Contains(m, "%") {
					t.Errorf("Message(%s) = %q", lang, m)
				}
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name   string
		fields []Field
		kind   Kind
		tag    string
	}{
		{"CRC given", append(sampleFields(), Field{ID: "63", Value: "0000"}), KindValue, "63"},
		{"bad ID", append(sampleFields(), Field{ID: "7", Value: "x"}), KindSyntax, "7"},
		{"value over 99", edit("62", Field{ID: "62", Sub: []Field{{ID: "01", Value: strings.Repeat("x", 97)}}}), KindTooLong, "62"},
		{"invalid payload", edit("53", Field{ID: "53", Value: "840"}), KindCurrency, "53"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.fields...)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || e.Tag != tt.tag {
				t.Errorf("New: %v; want kind %s, tag %q", err, tt.kind, tt.tag)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	tests := []struct {
		err    error
		id, en string
	}{
		{&Error{Kind: KindChecksum, Tag: "63"}, "CRC kode QRIS tidak cocok: ada karakter yang salah salin.", "The QRIS code's CRC does not match: a character was copied wrong."},
		{&Error{Kind: KindMissing, Tag: "59"}, "Kode QRIS tidak memuat tag 59 (nama merchant) yang wajib ada.", "The QRIS code lacks the required tag 59 (merchant name)."},
		{&Error{Kind: KindValue, Tag: "62.05"}, "Nilai tag 62.05 (data tambahan) di kode QRIS tidak valid.", "The QRIS code has an invalid tag 62.05 (additional data)."},
		{&Error{Kind: KindMissing, Tag: "51.00"}, "Kode QRIS tidak memuat tag 51.00 (informasi akun merchant) yang wajib ada.", "The QRIS code lacks the required tag 51.00 (merchant account information)."},
		{&Error{Kind: KindTooLong}, "Kode QRIS terlalu panjang.", "The QRIS code is too long."},
		{&Error{Kind: KindTooLong, Tag: "62"}, "Isi tag 62 (data tambahan) di kode QRIS terlalu panjang.", "The QRIS code's tag 62 (additional data) is too long."},
		{&Error{Kind: KindDuplicate}, "Kode QRIS tidak valid.", "The QRIS code is invalid."},
		{ErrUnreachable, "Penyedia QRIS tidak dapat dihubungi. Gunakan cara bayar lain; tidak ada tagihan ganda.", "The QRIS provider cannot be reached. Use another payment method; nothing is charged twice."},
		{errors.New("other"), "", ""},
	}
	for _, tt := range tests {
		if got := Message(tt.err, "id"); got != tt.id {
			t.Errorf("Message(%v, id) = %q, want %q", tt.err, got, tt.id)
		}
		if got := Message(tt.err, "en"); got != tt.en {
			t.Errorf("Message(%v, en) = %q, want %q", tt.err, got, tt.en)
		}
	}
}
