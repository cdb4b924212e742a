package appliance

import (
	"strconv"
	"strings"
)

// BarcodeKind says what a scanned code is.
type BarcodeKind string

const (
	KindEAN13   BarcodeKind = "ean13"
	KindEAN8    BarcodeKind = "ean8"
	KindUPCA    BarcodeKind = "upca"
	KindWeighed BarcodeKind = "weighed" // in-store EAN-13 with prefix 20-29
	KindOther   BarcodeKind = "other"   // not a retail barcode: a SKU or typed text
)

// GTINCheckDigit computes the GS1 check digit for the digits before it (EAN-13,
// EAN-8, UPC-A and GTIN-14 all use the same mod-10 rule).
func GTINCheckDigit(body string) (byte, bool) {
	sum := 0
	for i := 0; i < len(body); i++ {
		c := body[len(body)-1-i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10), true
}

// ValidGTIN reports whether code is all digits with a correct check digit.
func ValidGTIN(code string) bool {
	if len(code) < 2 {
		return false
	}
	cd, ok := GTINCheckDigit(code[:len(code)-1])
	return ok && cd == code[len(code)-1]
}

// WeighedValue says what the value field of an in-store barcode holds.
type WeighedValue string

const (
	WeighedPrice  WeighedValue = "price"  // total price in rupiah
	WeighedWeight WeighedValue = "weight" // weight in grams
)

// WeighedRule describes in-store barcodes printed by the shop's scales: an
// EAN-13 starting with one of Prefixes, then ItemDigits digits of item code,
// then the value, then the check digit. The common layout is
// 2P IIIII VVVVV C with prefixes 20-29.
type WeighedRule struct {
	Prefixes   []string     `json:"prefixes"`    // e.g. "20", "21"
	ItemDigits int          `json:"item_digits"` // 5 in the common layout
	Value      WeighedValue `json:"value"`
}

// DefaultWeighedRules: prefixes 20-24 carry the price, 25-29 the weight in grams.
func DefaultWeighedRules() []WeighedRule {
	return []WeighedRule{
		{Prefixes: []string{"20", "21", "22", "23", "24"}, ItemDigits: 5, Value: WeighedPrice},
		{Prefixes: []string{"25", "26", "27", "28", "29"}, ItemDigits: 5, Value: WeighedWeight},
	}
}

// Scan is a classified scanned or typed code.
type Scan struct {
	Raw  string
	Kind BarcodeKind
	// Key is what to look the product up by: the normalised barcode, or for a
	// weighed barcode the prefix and item code ("2012345").
	Key string
	// For weighed barcodes: the value read from the code.
	Value   WeighedValue
	Price   Rupiah
	WeightG int64
}

// ParseScan classifies a code from the scanner or the keyboard. A code that is
// not a valid retail barcode is returned as KindOther so it can be tried as a
// SKU; a retail-length, all-digit code with a wrong check digit is an error,
// because a misread must not sell the wrong thing.
func ParseScan(raw string, rules []WeighedRule) (Scan, error) {
	code := strings.TrimSpace(raw)
	s := Scan{Raw: raw, Kind: KindOther, Key: code}
	if code == "" {
		return s, Errorm(CodeInvalid, "empty_code", nil, "empty code")
	}
	if !allDigits(code) {
		return s, nil
	}
	switch len(code) {
	case 8, 12, 13:
	default:
		return s, nil
	}
	if !ValidGTIN(code) {
		return s, Errorm(CodeInvalid, "bad_check_digit", []any{code}, "barcode %s has a wrong check digit", code)
	}
	switch len(code) {
	case 8:
		s.Kind = KindEAN8
	case 12:
		// A UPC-A is the EAN-13 with a leading zero; catalogs store either.
		s.Kind = KindUPCA
	case 13:
		s.Kind = KindEAN13
		for _, r := range rules {
			for _, p := range r.Prefixes {
				if !strings.HasPrefix(code, p) {
					continue
				}
				keyEnd := len(p) + r.ItemDigits
				if keyEnd >= 12 {
					continue
				}
				v, _ := strconv.ParseInt(code[keyEnd:12], 10, 64)
				s.Kind = KindWeighed
				s.Key = code[:keyEnd]
				s.Value = r.Value
				if r.Value == WeighedPrice {
					s.Price = Rupiah(v)
				} else {
					s.WeightG = v
				}
				return s, nil
			}
		}
	}
	return s, nil
}

// LookupKeys returns the codes under which a catalog may hold this scan, most
// specific first: a UPC-A is also tried as its EAN-13 form and back.
func (s Scan) LookupKeys() []string {
	switch s.Kind {
	case KindUPCA:
		return []string{s.Key, "0" + s.Key}
	case KindEAN13:
		if s.Key[0] == '0' {
			return []string{s.Key, s.Key[1:]}
		}
	}
	return []string{s.Key}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
