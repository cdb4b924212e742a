package appliance

import (
	"strconv"
	"strings"
)

// Rupiah is an amount of money in whole rupiah. Indonesian prices have no
// decimals, so an integer is exact.
type Rupiah int64

// String formats the amount the Indonesian way: "Rp 12.500", "-Rp 500".
func (r Rupiah) String() string {
	if r < 0 {
		return "-Rp " + groupThousands(uint64(-r))
	}
	return "Rp " + groupThousands(uint64(r))
}

// Plain formats the amount with thousands separators but no currency: "12.500".
func (r Rupiah) Plain() string {
	if r < 0 {
		return "-" + groupThousands(uint64(-r))
	}
	return groupThousands(uint64(r))
}

func groupThousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	first := len(s) % 3
	if first > 0 {
		b.WriteString(s[:first])
	}
	for i := first; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// ParseRupiah reads an amount as people write it: "12500", "12.500",
// "Rp 12.500", "Rp. 12.500", "Rp12.500,00", "12.500,-", and "12500.00" as a
// spreadsheet exports it. A dot followed by three digits groups thousands;
// any other dot or a comma starts a fraction, and a non-zero fraction is an
// error: rupiah have no decimals at the till. Malformed grouping such as
// "1.50" or "12.5000" is an error rather than a guess, because a wrong guess
// is a price a hundred times too high.
func ParseRupiah(s string) (Rupiah, error) {
	t := strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(t, "-") {
		neg = true
		t = strings.TrimSpace(t[1:])
	}
	for _, cur := range []string{"rp", "idr"} {
		if len(t) >= len(cur) && strings.EqualFold(t[:len(cur)], cur) {
			t = strings.TrimSpace(strings.TrimPrefix(t[len(cur):], "."))
			break
		}
	}
	// "12.500,-" is how a price tag says "and no cents".
	t = strings.TrimSuffix(strings.TrimSuffix(t, ",-"), ".-")
	whole := t
	frac := ""
	if i := strings.LastIndexByte(t, ','); i >= 0 {
		whole, frac = t[:i], t[i+1:]
	} else if i := strings.LastIndexByte(t, '.'); i >= 0 && len(t)-i-1 != 3 {
		whole, frac = t[:i], t[i+1:]
	}
	if frac != "" && (!allDigits(frac) || strings.Trim(frac, "0") != "") {
		return 0, Errorf(CodeInvalid, "amount %q has a fraction of a rupiah", s)
	}
	digits, ok := ungroupThousands(whole)
	if whole == "" {
		return 0, Errorf(CodeInvalid, "amount %q is empty", s)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if !ok || err != nil || n > maxRupiah {
		return 0, Errorf(CodeInvalid, "amount %q is not a number of rupiah", s)
	}
	if neg {
		n = -n
	}
	return Rupiah(n), nil
}

// ungroupThousands removes thousands dots from s, which must be digits
// grouped correctly: "12.500" and "1.250.000", not "1.2.3".
func ungroupThousands(s string) (string, bool) {
	if !strings.Contains(s, ".") {
		return s, allDigits(s)
	}
	groups := strings.Split(s, ".")
	for i, g := range groups {
		if !allDigits(g) || (i > 0 && len(g) != 3) || len(g) > 3 {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

// maxRupiah bounds any single amount so that products of amounts and
// quantities stay far inside int64: a trillion rupiah is more than any till takes.
const maxRupiah = 1_000_000_000_000

// Qty is a quantity in thousandths of the product's unit: 1000 is one piece or
// one kilogram, 750 is 0.750 kg.
type Qty int64

// QtyOne is one whole unit.
const QtyOne Qty = 1000

// Units returns q as a whole number of units when it is one.
func (q Qty) Units() (int64, bool) { return int64(q) / 1000, q%1000 == 0 }

// String writes the quantity the Indonesian way: "3", "0,750".
func (q Qty) String() string {
	if n, ok := q.Units(); ok {
		return strconv.FormatInt(n, 10)
	}
	neg := q < 0
	if neg {
		q = -q
	}
	s := strconv.FormatInt(int64(q)/1000, 10) + "," + pad3(int64(q)%1000)
	if neg {
		s = "-" + s
	}
	return s
}

func pad3(n int64) string {
	s := strconv.FormatInt(n, 10)
	return strings.Repeat("0", 3-len(s)) + s
}

// mulQty returns price × qty rounded half away from zero to whole rupiah.
func mulQty(price Rupiah, q Qty) Rupiah {
	return Rupiah(divRound(int64(price)*int64(q), 1000))
}

// divRound divides rounding half away from zero.
func divRound(a, b int64) int64 {
	if b < 0 {
		a, b = -a, -b
	}
	if a >= 0 {
		return (a + b/2) / b
	}
	return -((-a + b/2) / b)
}

// MarshalJSON writes the quantity as a decimal number of units: 1, 0.75.
func (q Qty) MarshalJSON() ([]byte, error) {
	return []byte(strings.Replace(q.String(), ",", ".", 1)), nil
}

// UnmarshalJSON reads a decimal number of units with at most three decimals,
// without going through a float.
func (q *Qty) UnmarshalJSON(b []byte) error {
	v, err := ParseQty(strings.Trim(string(b), `"`))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// ParseQty reads "3", "0.75" or "0,75" as a quantity. An empty string is an
// error, not zero.
func ParseQty(s string) (Qty, error) {
	s = strings.TrimSpace(strings.Replace(s, ",", ".", 1))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, Errorm(CodeInvalid, "bad_qty", nil, "quantity %q", s)
	}
	if whole == "" {
		whole = "0"
	}
	if !allDigits(whole) || (frac != "" && !allDigits(frac)) || len(frac) > 3 || len(whole) > 9 {
		return 0, Errorm(CodeInvalid, "bad_qty", nil, "quantity %q", s)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 3-len(frac)), 10, 64)
	}
	v := Qty(w*1000 + f)
	if neg {
		v = -v
	}
	return v, nil
}
