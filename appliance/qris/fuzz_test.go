package qris

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that it reports failures as an
// *Error, and that whatever it accepts re-encodes to exactly the input and
// parses to the same payload. A per-sale code made from an accepted payload
// must parse too. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %v is not a *qris.Error", s, err)
			}
			if e.Message("id") == "" || e.Message("en") == "" {
				t.Fatalf("Parse(%q): %v has no message", s, err)
			}
			return
		}
		enc := p.Encode()
		if enc != s {
			t.Fatalf("Parse(%q).Encode() = %q", s, enc)
		}
		q, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-parse %q: %v", enc, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("re-parse %q: %+v, want %+v", enc, q, p)
		}
		d, err := p.WithAmount(12500, "KASIR-01", "S1-000123")
		if errors.Is(err, &Error{Kind: KindTooLong}) {
			return
		}
		if err != nil {
			t.Fatalf("%q WithAmount: %v", s, err)
		}
		dp, err := Parse(d)
		if err != nil {
			t.Fatalf("%q WithAmount gave %q: %v", s, d, err)
		}
		if a, ok := dp.Amount(); !ok || a != 12500 || !dp.IsDynamic() {
			t.Fatalf("%q WithAmount gave %q", s, d)
		}
	})
}
