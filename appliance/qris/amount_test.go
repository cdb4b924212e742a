package qris

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestWithAmountSample(t *testing.T) {
	p, err := Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.WithAmount(12500, "KASIR-01", "S1-000123")
	if err != nil {
		t.Fatal(err)
	}
	// 01 becomes 12, 54 goes after 53, the static terminal label is
	// replaced, and 05 comes before 07.
	const want = "00020101021226650019ID.CO.BANKKASIR.WWW011893600999000012345602090001234560303UMI" +
		"51440014ID.CO.QRIS.WWW0215ID10261234567890303UMI" +
		"520454115303360540512500" + "5802ID5910TOKO KASIR6007JAKARTA61051011062250509S1-0001230708KASIR-01" + "63041BD6"
	if got != want {
		t.Fatalf("WithAmount =\n%s\nwant\n%s", got, want)
	}
	if p.Encode() != sample {
		t.Error("WithAmount changed the static payload")
	}
}

func TestWithAmountKeepsAndDrops(t *testing.T) {
	f := func(id, v string) Field { return Field{ID: id, Value: v} }
	static := append(edit("62", Field{ID: "62", Sub: []Field{f("01", "BILL"), f("03", "MENTENG"), f("05", "OLDREF"), f("07", "OLDTERM"), f("50", "X")}}),
		f("55", "02"), f("56", "1000"))
	static = append(static[:4], append([]Field{f("54", "999")}, static[4:]...)...) // a static code with an amount
	p, err := New(static...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.WithAmount(50000, "T1", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]string{"01": "12", "54": "50000", "62.01": "BILL", "62.03": "MENTENG", "62.07": "T1", "62.50": "X", "59": "TOKO KASIR"} {
		if got, _ := d.Lookup(tag); got != want {
			t.Errorf("tag %s = %q, want %q", tag, got, want)
		}
	}
	for _, tag := range []string{"55", "56", "57", "62.05"} {
		if v, ok := d.Lookup(tag); ok {
			t.Errorf("tag %s = %q, want it gone", tag, v)
		}
	}
	// No labels at all and no other additional data: no tag 62.
	s, err = mustParse(t, raw(t, drop("62")...)).WithAmount(1, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mustParse(t, s).Lookup("62"); ok {
		t.Errorf("%s has a tag 62", s)
	}
}

func mustParse(t *testing.T, s string) *Payload {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWithAmountRejects(t *testing.T) {
	full := mustParse(t, raw(t, edit("62", Field{ID: "62", Sub: []Field{{ID: "01", Value: strings.Repeat("B", 25)}, {ID: "03", Value: strings.Repeat("S", 25)}, {ID: "08", Value: strings.Repeat("P", 25)}}})...))
	tests := []struct {
		name      string
		p         *Payload
		amount    int64
		term, ref string
		kind      Kind
		tag       string
	}{
		{"zero", mustParse(t, sample), 0, "T", "R", KindAmount, "54"},
		{"negative", mustParse(t, sample), -500, "T", "R", KindAmount, "54"},
		{"over 13 digits", mustParse(t, sample), MaxAmount + 1, "T", "R", KindAmount, "54"},
		{"reference of 26", mustParse(t, sample), 1000, "T", strings.Repeat("R", 26), KindLabel, "62.05"},
		{"terminal with a newline", mustParse(t, sample), 1000, "T\n", "R", KindLabel, "62.07"},
		{"additional data over 99", full, 1000, "KASIR-01", "S1-000123", KindTooLong, "62"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.p.WithAmount(tt.amount, tt.term, tt.ref)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || e.Tag != tt.tag {
				t.Errorf("WithAmount = %q, %v; want kind %s, tag %q", s, err, tt.kind, tt.tag)
			}
		})
	}
}

// TestGeneratedRoundTrip makes many static codes and per-sale codes and
// checks that the parser reads back exactly what was generated.
func TestGeneratedRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 2026))
	text := func(max int) string {
		const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz0123456789-./&'"
		b := make([]byte, 1+r.IntN(max))
		for i := range b {
			b[i] = chars[r.IntN(len(chars))]
		}
		return string(b)
	}
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	for i := range 2000 {
		fields := []Field{
			{ID: "00", Value: "01"},
			{ID: "01", Value: "11"},
			{ID: strconv.Itoa(26 + r.IntN(25)), Sub: []Field{{ID: "00", Value: "ID.CO." + strings.ToUpper(text(10)) + ".WWW"}, {ID: "01", Value: "9360" + digits(14)}}},
			{ID: "51", Sub: []Field{{ID: "00", Value: GUIDNational}, {ID: "02", Value: "ID" + digits(13)}, {ID: "03", Value: "UMI"}}},
			{ID: "52", Value: digits(4)},
			{ID: "53", Value: "360"},
			{ID: "58", Value: "ID"},
			{ID: "59", Value: text(25)},
			{ID: "60", Value: text(15)},
		}
		if r.IntN(2) == 0 {
			fields = append(fields, Field{ID: "61", Value: digits(5)})
		}
		if r.IntN(2) == 0 {
			fields = append(fields, Field{ID: "62", Sub: []Field{{ID: "03", Value: text(25)}, {ID: "07", Value: text(25)}}})
		}
		p, err := New(fields...)
		if err != nil {
			t.Fatalf("#%d New(%+v): %v", i, fields, err)
		}
		back := mustParse(t, p.Encode())
		if back.Encode() != p.Encode() || back.NMID() != p.NMID() || back.MerchantName() != fields[7].Value {
			t.Fatalf("#%d round trip: %s became %s", i, p, back)
		}
		amount := 1 + r.Int64N(MaxAmount)
		if r.IntN(2) == 0 {
			amount = 1 + r.Int64N(10_000_000)
		}
		term, ref := text(MaxLabel), text(MaxLabel)
		s, err := p.WithAmount(amount, term, ref)
		if errors.Is(err, &Error{Kind: KindTooLong}) {
			continue // a long store label and two full labels do not fit in 99
		}
		if err != nil {
			t.Fatalf("#%d WithAmount(%d, %q, %q): %v", i, amount, term, ref, err)
		}
		d := mustParse(t, s)
		if got, ok := d.Amount(); !ok || got != amount || !d.IsDynamic() {
			t.Fatalf("#%d %s: amount %d %v dynamic %v, want %d", i, s, got, ok, d.IsDynamic(), amount)
		}
		if d.value("62.05") != ref || d.value("62.07") != term || d.NMID() != p.NMID() || d.MerchantCity() != p.MerchantCity() {
			t.Fatalf("#%d %s lost a field", i, s)
		}
	}
}
