package appliance

import (
	"encoding/json"
	"testing"
)

func TestRupiahFormat(t *testing.T) {
	cases := []struct {
		in         Rupiah
		str, plain string
	}{
		{0, "Rp 0", "0"},
		{5, "Rp 5", "5"},
		{500, "Rp 500", "500"},
		{1000, "Rp 1.000", "1.000"},
		{12500, "Rp 12.500", "12.500"},
		{100000, "Rp 100.000", "100.000"},
		{1234567, "Rp 1.234.567", "1.234.567"},
		{1000000000000, "Rp 1.000.000.000.000", "1.000.000.000.000"},
		{-500, "-Rp 500", "-500"},
		{-12500, "-Rp 12.500", "-12.500"},
	}
	for _, c := range cases {
		if got := c.in.String(); got != c.str {
			t.Errorf("Rupiah(%d).String() = %q, want %q", int64(c.in), got, c.str)
		}
		if got := c.in.Plain(); got != c.plain {
			t.Errorf("Rupiah(%d).Plain() = %q, want %q", int64(c.in), got, c.plain)
		}
	}
}

func TestParseRupiah(t *testing.T) {
	cases := []struct {
		in   string
		want Rupiah
		ok   bool
	}{
		{"12500", 12500, true},
		{"12.500", 12500, true},
		{"Rp 12.500", 12500, true},
		{"Rp12.500", 12500, true},
		{"rp 12.500", 12500, true},
		{"RP 12.500", 12500, true},
		{"Rp. 12.500", 12500, true},
		{"IDR 12.500", 12500, true},
		{"Rp12.500,00", 12500, true},
		{"12.500,-", 12500, true},
		{"Rp 1.250.000", 1250000, true},
		{"12500.00", 12500, true},
		{"12500,0", 12500, true},
		{" 0 ", 0, true},
		{"-500", -500, true},
		{"-Rp 12.500", -12500, true},
		{"1000000000000", 1000000000000, true},

		{"", 0, false},
		{"Rp", 0, false},
		{",00", 0, false},
		{"12,5", 0, false},          // a fraction of a rupiah
		{"12.500,50", 0, false},     // likewise
		{"12500.50", 0, false},      // likewise, written the English way
		{"3.50", 0, false},          // not thousands: a fraction
		{"1.2.3", 0, false},         // bad grouping
		{"12.5000", 0, false},       // bad grouping
		{"12500.000", 0, false},     // first group too long
		{"1,250,000", 0, false},     // English grouping is not guessed
		{"tiga ribu", 0, false},     // words
		{"12 500", 0, false},        // space inside
		{"+500", 0, false},          // sign other than minus
		{"1000000000001", 0, false}, // above any single amount
		{"99999999999999999999", 0, false},
	}
	for _, c := range cases {
		got, err := ParseRupiah(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("ParseRupiah(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
		if !c.ok {
			if err == nil {
				t.Errorf("ParseRupiah(%q) = %d, want an error", c.in, got)
			} else if ErrorCode(err) != CodeInvalid {
				t.Errorf("ParseRupiah(%q) error code %s, want invalid", c.in, ErrorCode(err))
			}
		}
	}
}

func TestParseRupiahRoundTrip(t *testing.T) {
	for _, r := range []Rupiah{0, 1, 999, 1000, 12500, 987654321, 1000000000000} {
		for _, s := range []string{r.String(), r.Plain()} {
			got, err := ParseRupiah(s)
			if err != nil || got != r {
				t.Errorf("ParseRupiah(%q) = %d, %v; want %d", s, got, err, r)
			}
		}
	}
}

func TestQtyString(t *testing.T) {
	cases := []struct {
		in   Qty
		want string
	}{
		{0, "0"},
		{1000, "1"},
		{3000, "3"},
		{750, "0,750"},
		{1500, "1,500"},
		{5, "0,005"},
		{12345, "12,345"},
		{-750, "-0,750"},
		{-2000, "-2"},
		{-1250, "-1,250"},
	}
	for _, c := range cases {
		if got := c.in.String(); got != c.want {
			t.Errorf("Qty(%d).String() = %q, want %q", int64(c.in), got, c.want)
		}
	}
}

func TestParseQty(t *testing.T) {
	cases := []struct {
		in   string
		want Qty
		ok   bool
	}{
		{"3", 3000, true},
		{"0.75", 750, true},
		{"0,75", 750, true},
		{"0,750", 750, true},
		{".5", 500, true},
		{"1.", 1000, true},
		{" 2 ", 2000, true},
		{"-1.5", -1500, true},
		{"0.001", 1, true},
		{"999999999", 999999999000, true},

		{"", 0, false},
		{".", 0, false},
		{"-", 0, false},
		{"0.0001", 0, false}, // finer than a gram
		{"1e3", 0, false},
		{"abc", 0, false},
		{"1.2.3", 0, false},
		{"1000000000", 0, false}, // ten digits of units
	}
	for _, c := range cases {
		got, err := ParseQty(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("ParseQty(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
		if !c.ok && err == nil {
			t.Errorf("ParseQty(%q) = %d, want an error", c.in, got)
		}
	}
}

func TestQtyJSON(t *testing.T) {
	cases := []struct {
		q    Qty
		json string
	}{
		{1000, "1"},
		{750, "0.750"},
		{12345, "12.345"},
		{-500, "-0.500"},
		{0, "0"},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.q)
		if err != nil || string(b) != c.json {
			t.Errorf("Marshal(%d) = %s, %v; want %s", int64(c.q), b, err, c.json)
		}
		var back Qty
		if err := json.Unmarshal(b, &back); err != nil || back != c.q {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", b, back, err, c.q)
		}
	}
	var line struct {
		Qty Qty `json:"qty"`
	}
	for in, want := range map[string]Qty{`{"qty":0.75}`: 750, `{"qty":"1,5"}`: 1500, `{"qty":2}`: 2000} {
		if err := json.Unmarshal([]byte(in), &line); err != nil || line.Qty != want {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", in, line.Qty, err, want)
		}
	}
	for _, in := range []string{`{"qty":0.0005}`, `{"qty":1e3}`, `{"qty":true}`} {
		if err := json.Unmarshal([]byte(in), &line); err == nil {
			t.Errorf("Unmarshal(%s) accepted %d", in, line.Qty)
		}
	}
}

func TestMulQty(t *testing.T) {
	cases := []struct {
		price Rupiah
		q     Qty
		want  Rupiah
	}{
		{3500, 3000, 10500},
		{45000, 750, 33750},
		{45000, 333, 14985},
		{999, 500, 500},   // 499,5 rounds half up
		{999, 1500, 1499}, // 1498,5 rounds half up
		{-999, 500, -500}, // and half away from zero below zero
		{0, 1000, 0},
	}
	for _, c := range cases {
		if got := mulQty(c.price, c.q); got != c.want {
			t.Errorf("mulQty(%d, %d) = %d, want %d", c.price, c.q, got, c.want)
		}
	}
}
