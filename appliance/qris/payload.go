package qris

import (
	"strconv"
	"strings"
)

// MaxLen is the longest payload the EMV specification allows, in characters.
const MaxLen = 512

// GUIDNational is the globally unique identifier of the QRIS national
// repository; tag 51 carries it with the merchant's NMID in sub-tag 02.
const GUIDNational = "ID.CO.QRIS.WWW"

// Point of initiation (tag 01).
const (
	InitiationStatic  = "11" // the same code for every sale; the customer types the amount
	InitiationDynamic = "12" // one code per sale, with the amount
)

// Field is one data object: a two-digit ID and its value. Templates (26–51
// merchant account information, 62 additional data, 64 language, 80–99) also
// carry their parsed sub-objects in Sub; Value is always the value as it is on
// the wire.
type Field struct {
	ID    string
	Value string
	Sub   []Field
}

// Payload is a parsed, valid QRIS code. It keeps every data object in the
// order it was read, so Encode gives back exactly the string that was parsed.
// Build one with Parse or New; the zero Payload is not valid.
type Payload struct {
	fields []Field // all objects but the CRC (63), which Encode computes
}

// Parse reads and validates a QRIS payload: the TLV structure, printable
// ASCII only, at most 512 characters, tag 00 "01" first and the CRC (63)
// last, the CRC itself, no tag twice, the mandatory tags (00, 01, a merchant
// account in 26–51, 52, 53, 58, 59, 60, 63) and each known tag's rules. It
// reports the first fault as an *Error. Parse does not trim: callers that take
// pasted text should strings.TrimSpace it first.
func Parse(s string) (*Payload, error) {
	if s == "" {
		return nil, errorf(KindEmpty, "", "empty payload")
	}
	if len(s) > MaxLen {
		return nil, errorf(KindTooLong, "", "%d characters, at most %d", len(s), MaxLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7E {
			return nil, errorf(KindCharacters, "", "byte 0x%02X at offset %d", c, i)
		}
	}
	if !strings.HasPrefix(s, "000201") {
		// Checked before the structure so that a pasted URL or another kind
		// of QR code says what it is not, rather than where it broke.
		return nil, errorf(KindFormat, "00", "the payload does not start with 000201")
	}
	fields, err := split(s, "")
	if err != nil {
		return nil, err
	}
	last := fields[len(fields)-1]
	if last.ID != "63" || len(last.Value) != 4 {
		return nil, errorf(KindCRCMissing, "63", "the payload does not end with 6304 and a CRC")
	}
	if !isUpperHex(last.Value) {
		return nil, errorf(KindCRCMissing, "63", "CRC %q is not four uppercase hex digits", last.Value)
	}
	if want := crcText(s[:len(s)-4]); last.Value != want {
		return nil, errorf(KindChecksum, "63", "CRC %s, computed %s", last.Value, want)
	}
	fields = fields[:len(fields)-1]
	if err := parseTemplates(fields); err != nil {
		return nil, err
	}
	p := &Payload{fields: fields}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// New builds a payload from data objects (the CRC is computed, so leave out
// 63) and validates it as Parse does. A Field with Sub set is encoded from
// Sub. New is how tests and the demo make a merchant's static code.
func New(fields ...Field) (*Payload, error) {
	var b strings.Builder
	for _, f := range fields {
		if f.ID == "63" {
			return nil, errorf(KindValue, "63", "the CRC is computed, not given")
		}
		if err := writeField(&b, f, ""); err != nil {
			return nil, err
		}
	}
	b.WriteString("6304")
	s := b.String()
	return Parse(s + crcText(s))
}

// writeField appends f in TLV form, encoding Sub when it is set.
func writeField(b *strings.Builder, f Field, parent string) error {
	tag := parent + f.ID
	if len(f.ID) != 2 || !isDigits(f.ID) {
		return errorf(KindSyntax, tag, "ID %q is not two digits", f.ID)
	}
	v := f.Value
	if f.Sub != nil {
		var sb strings.Builder
		for _, sf := range f.Sub {
			if err := writeField(&sb, sf, tag+"."); err != nil {
				return err
			}
		}
		v = sb.String()
	}
	if len(v) > 99 {
		return errorf(KindTooLong, tag, "value is %d characters, at most 99", len(v))
	}
	b.WriteString(f.ID)
	if len(v) < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(len(v)))
	b.WriteString(v)
	return nil
}

// Encode returns the payload as a QRIS string with a freshly computed CRC.
// For a parsed payload it is exactly the string that was parsed.
func (p *Payload) Encode() string {
	var b strings.Builder
	for _, f := range p.fields {
		b.WriteString(f.ID)
		if len(f.Value) < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(len(f.Value)))
		b.WriteString(f.Value)
	}
	b.WriteString("6304")
	s := b.String()
	return s + crcText(s)
}

// String is Encode.
func (p *Payload) String() string { return p.Encode() }

// split reads s as consecutive data objects. parent prefixes tags in errors
// ("62." for the additional data template).
func split(s, parent string) ([]Field, error) {
	var fields []Field
	for i := 0; i < len(s); {
		if len(s)-i < 4 {
			return nil, errorf(KindSyntax, "", "%d stray characters at offset %d", len(s)-i, i)
		}
		id, ln := s[i:i+2], s[i+2:i+4]
		if !isDigits(id) {
			return nil, errorf(KindSyntax, "", "tag ID %q at offset %d is not two digits", id, i)
		}
		tag := parent + id
		if !isDigits(ln) {
			return nil, errorf(KindSyntax, tag, "length %q at offset %d is not two digits", ln, i+2)
		}
		n, _ := strconv.Atoi(ln)
		if n == 0 {
			return nil, errorf(KindValue, tag, "empty value")
		}
		if i+4+n > len(s) {
			return nil, errorf(KindSyntax, tag, "value of %d characters runs past the end", n)
		}
		for _, f := range fields {
			if f.ID == id && (id != "63" || parent != "") { // a second top-level 63 is reported as misplaced
				return nil, errorf(KindDuplicate, tag, "tag appears twice")
			}
		}
		fields = append(fields, Field{ID: id, Value: s[i+4 : i+4+n]})
		i += 4 + n
	}
	if len(fields) == 0 {
		return nil, errorf(KindSyntax, "", "no data objects")
	}
	if parent == "" {
		for _, f := range fields[:len(fields)-1] {
			if f.ID == "63" {
				return nil, errorf(KindCRCMissing, "63", "the CRC is not the last data object")
			}
		}
	}
	return fields, nil
}

// isTemplate reports whether a top-level tag holds nested data objects.
func isTemplate(id string) bool {
	return isAccountTag(id) || id == "62" || id == "64" || (id >= "80" && id <= "99")
}

// isAccountTag reports whether id is a merchant account information template
// (26–51). Tags 02–25 are reserved for card networks and are primitive.
func isAccountTag(id string) bool { return len(id) == 2 && id >= "26" && id <= "51" }

func parseTemplates(fields []Field) error {
	for i, f := range fields {
		if !isTemplate(f.ID) {
			continue
		}
		sub, err := split(f.Value, f.ID+".")
		if err != nil {
			if e := err.(*Error); e.Kind == KindSyntax {
				return errorf(KindTemplate, f.ID, "%s", e.Detail)
			}
			return err
		}
		fields[i].Sub = sub
	}
	return nil
}

func (p *Payload) validate() error {
	has := map[string]bool{}
	accounts := 0
	for _, f := range p.fields {
		has[f.ID] = true
		if isAccountTag(f.ID) {
			accounts++
		}
	}
	for _, id := range []string{"01", "52", "53", "58", "59", "60"} {
		if !has[id] {
			return errorf(KindMissing, id, "mandatory tag is missing")
		}
	}
	if accounts == 0 {
		return errorf(KindMissing, "26", "no merchant account information (tags 26 to 51)")
	}
	for _, f := range p.fields {
		if err := checkField(f); err != nil {
			return err
		}
	}
	switch tip := p.value("55"); {
	case has["56"] && tip != "02":
		return errorf(KindValue, "56", "a fixed fee needs tip indicator 02")
	case has["57"] && tip != "03":
		return errorf(KindValue, "57", "a percentage fee needs tip indicator 03")
	case tip == "02" && !has["56"]:
		return errorf(KindMissing, "56", "tip indicator 02 needs a fixed fee")
	case tip == "03" && !has["57"]:
		return errorf(KindMissing, "57", "tip indicator 03 needs a percentage")
	}
	return nil
}

// checkField applies the rules of one top-level data object.
func checkField(f Field) error {
	v := f.Value
	switch id := f.ID; {
	case id == "01":
		if v != InitiationStatic && v != InitiationDynamic {
			return errorf(KindValue, id, "point of initiation %q, want 11 or 12", v)
		}
	case isAccountTag(id):
		guid, ok := subValue(f.Sub, "00")
		if !ok {
			return errorf(KindMissing, id+".00", "merchant account without a GUID")
		}
		if len(guid) > 32 {
			return errorf(KindValue, id+".00", "GUID longer than 32 characters")
		}
	case id == "52":
		if len(v) != 4 || !isDigits(v) {
			return errorf(KindValue, id, "merchant category code %q is not four digits", v)
		}
	case id == "53":
		if len(v) != 3 || !isDigits(v) {
			return errorf(KindValue, id, "currency %q is not three digits", v)
		}
		if v != "360" {
			return errorf(KindCurrency, id, "currency %s, want 360 (IDR)", v)
		}
	case id == "54", id == "56":
		if _, err := parseAmount(v); err != nil {
			return errorf(KindValue, id, "%s", err.Detail)
		}
	case id == "55":
		if v != "01" && v != "02" && v != "03" {
			return errorf(KindValue, id, "tip indicator %q, want 01, 02 or 03", v)
		}
	case id == "57":
		if len(v) > 5 || !isDecimal(v) || strings.Trim(v, "0.") == "" {
			return errorf(KindValue, id, "percentage %q is not a number from 00.01 to 99.99", v)
		}
		if pct, _ := strconv.ParseFloat(v, 64); pct >= 100 {
			return errorf(KindValue, id, "percentage %q is not below 100", v)
		}
	case id == "58":
		if v != "ID" {
			return errorf(KindValue, id, "country %q, want ID", v)
		}
	case id == "59":
		if len(v) > 25 {
			return errorf(KindValue, id, "merchant name longer than 25 characters")
		}
	case id == "60":
		if len(v) > 15 {
			return errorf(KindValue, id, "merchant city longer than 15 characters")
		}
	case id == "61":
		if len(v) > 10 {
			return errorf(KindValue, id, "postal code longer than 10 characters")
		}
	case id == "62":
		for _, s := range f.Sub {
			tag := id + "." + s.ID
			switch {
			case s.ID >= "01" && s.ID <= "08":
				if len(s.Value) > 25 {
					return errorf(KindValue, tag, "longer than 25 characters")
				}
			case s.ID == "09":
				if len(s.Value) > 3 || strings.Trim(s.Value, "AME") != "" {
					return errorf(KindValue, tag, "consumer data request %q is not made of A, M and E", s.Value)
				}
			}
		}
	}
	return nil
}

// parseAmount reads an EMV amount as whole rupiah: up to 13 characters,
// digits with at most one '.', more than zero, and no sen (a fraction, if
// written, is all zeros).
func parseAmount(v string) (int64, *Error) {
	if len(v) > 13 || !isDecimal(v) || v[0] == '.' {
		return 0, errorf(KindValue, "", "amount %q is not digits with an optional decimal point", v)
	}
	whole, frac, _ := strings.Cut(v, ".")
	if strings.Trim(frac, "0") != "" {
		return 0, errorf(KindValue, "", "amount %q has sen; rupiah amounts are whole", v)
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n <= 0 {
		return 0, errorf(KindValue, "", "amount %q is not more than zero", v)
	}
	return n, nil
}

// isDecimal: digits and at most one '.', not empty.
func isDecimal(s string) bool {
	if s == "" || strings.Count(s, ".") > 1 || s == "." {
		return false
	}
	return isDigits(strings.Replace(s, ".", "", 1))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isUpperHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(hexDigits, rune(s[i])) {
			return false
		}
	}
	return true
}

func subValue(sub []Field, id string) (string, bool) {
	for _, f := range sub {
		if f.ID == id {
			return f.Value, true
		}
	}
	return "", false
}
