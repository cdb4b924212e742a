package appliance

import (
	"reflect"
	"testing"
)

func TestGTINCheckDigit(t *testing.T) {
	// Published examples: an EAN-13 of Faber-Castell, GS1's EAN-13 and EAN-8
	// samples, a UPC-A, and the GS1 GTIN-14 sample.
	for _, code := range []string{"4006381333931", "5901234123457", "96385074", "036000291452", "01234565", "00012345600012"} {
		body := code[:len(code)-1]
		got, ok := GTINCheckDigit(body)
		if !ok || got != code[len(code)-1] {
			t.Errorf("GTINCheckDigit(%s) = %c, %v; want %c", body, got, ok, code[len(code)-1])
		}
		if !ValidGTIN(code) {
			t.Errorf("ValidGTIN(%s) = false", code)
		}
	}
	if _, ok := GTINCheckDigit("89910x210123"); ok {
		t.Error("GTINCheckDigit accepted a letter")
	}
	for _, code := range []string{"4006381333932", "96385075", "036000291453", "", "4", "400638133393x", "x006381333931"} {
		if ValidGTIN(code) {
			t.Errorf("ValidGTIN(%q) = true", code)
		}
	}
}

// withCD appends the check digit to a barcode body.
func withCheckDigit(body string) string {
	cd, _ := GTINCheckDigit(body)
	return body + string(cd)
}

func TestParseScan(t *testing.T) {
	rules := DefaultWeighedRules()
	priceLabel := withCheckDigit("20" + "12345" + "01250")  // Rp 1.250 of item 12345
	weightLabel := withCheckDigit("25" + "12345" + "00750") // 750 g of item 12345
	cases := []struct {
		name string
		in   string
		want Scan
		err  string // message key of the expected error
	}{
		{"EAN-13", "4006381333931", Scan{Kind: KindEAN13, Key: "4006381333931"}, ""},
		{"EAN-13 Indonesia", "8991002101234", Scan{Kind: KindEAN13, Key: "8991002101234"}, ""},
		{"EAN-13 with spaces around", " 8991002101234\r\n", Scan{Kind: KindEAN13, Key: "8991002101234"}, ""},
		{"EAN-8", "96385074", Scan{Kind: KindEAN8, Key: "96385074"}, ""},
		{"UPC-A", "036000291452", Scan{Kind: KindUPCA, Key: "036000291452"}, ""},
		{"weighed price", priceLabel, Scan{Kind: KindWeighed, Key: "2012345", Value: WeighedPrice, Price: 1250}, ""},
		{"weighed weight", weightLabel, Scan{Kind: KindWeighed, Key: "2512345", Value: WeighedWeight, WeightG: 750}, ""},
		{"weighed price prefix 24", withCheckDigit("24" + "00001" + "99999"), Scan{Kind: KindWeighed, Key: "2400001", Value: WeighedPrice, Price: 99999}, ""},
		{"weighed weight prefix 29", withCheckDigit("29" + "00001" + "12345"), Scan{Kind: KindWeighed, Key: "2900001", Value: WeighedWeight, WeightG: 12345}, ""},
		{"bad check digit EAN-13", "4006381333932", Scan{Kind: KindOther, Key: "4006381333932"}, "bad_check_digit"},
		{"bad check digit EAN-8", "96385075", Scan{Kind: KindOther, Key: "96385075"}, "bad_check_digit"},
		{"bad check digit UPC-A", "036000291453", Scan{Kind: KindOther, Key: "036000291453"}, "bad_check_digit"},
		{"bad check digit weighed", priceLabel[:12] + string('0'+(priceLabel[12]-'0'+1)%10), Scan{Kind: KindOther, Key: priceLabel[:12] + string('0'+(priceLabel[12]-'0'+1)%10)}, "bad_check_digit"},
		{"SKU text", "DM-000123", Scan{Kind: KindOther, Key: "DM-000123"}, ""},
		{"short number", "12345", Scan{Kind: KindOther, Key: "12345"}, ""},
		{"weighed key typed", "2012345", Scan{Kind: KindOther, Key: "2012345"}, ""},
		{"GTIN-14", "00012345600012", Scan{Kind: KindOther, Key: "00012345600012"}, ""},
		{"empty", "  ", Scan{Kind: KindOther, Key: ""}, "empty_code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseScan(c.in, rules)
			c.want.Raw = c.in
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("ParseScan(%q) = %+v, want %+v", c.in, got, c.want)
			}
			if c.err == "" {
				if err != nil {
					t.Errorf("error %v", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Key != c.err || e.Code != CodeInvalid {
				t.Errorf("error %v, want key %s", err, c.err)
			}
		})
	}
}

func TestParseScanWithoutRules(t *testing.T) {
	code := withCheckDigit("20" + "12345" + "01250")
	got, err := ParseScan(code, nil)
	if err != nil || got.Kind != KindEAN13 || got.Key != code {
		t.Errorf("ParseScan(%s, no rules) = %+v, %v; want a plain EAN-13", code, got, err)
	}
}

func TestParseScanCustomRule(t *testing.T) {
	// Some scales print a four-digit item code and a six-digit value.
	rules := []WeighedRule{{Prefixes: []string{"02"}, ItemDigits: 4, Value: WeighedWeight}}
	code := withCheckDigit("02" + "1234" + "001500")
	got, err := ParseScan(code, rules)
	if err != nil || got.Kind != KindWeighed || got.Key != "021234" || got.WeightG != 1500 {
		t.Errorf("ParseScan(%s) = %+v, %v", code, got, err)
	}
	// A rule whose item code leaves no room for a value is skipped.
	rules = []WeighedRule{{Prefixes: []string{"21"}, ItemDigits: 10, Value: WeighedPrice}}
	code = withCheckDigit("21" + "1234567890")
	if got, _ := ParseScan(code, rules); got.Kind != KindEAN13 {
		t.Errorf("ParseScan(%s) with an impossible rule = %+v", code, got)
	}
}

func TestLookupKeys(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"036000291452", []string{"036000291452", "0036000291452"}},
		{"0036000291452", []string{"0036000291452", "036000291452"}},
		{"8991002101234", []string{"8991002101234"}},
		{"96385074", []string{"96385074"}},
		{withCheckDigit("2012345" + "01250"), []string{"2012345"}},
		{"DM-000123", []string{"DM-000123"}},
	}
	for _, c := range cases {
		s, err := ParseScan(c.in, DefaultWeighedRules())
		if err != nil {
			t.Fatalf("ParseScan(%s): %v", c.in, err)
		}
		if got := s.LookupKeys(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("LookupKeys(%s) = %v, want %v", c.in, got, c.want)
		}
	}
}
