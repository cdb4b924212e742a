package escpos

import "unicode"

// codePage is one character table a printer can select with ESC t n. Only the
// upper half (0x80–0xFF) differs between tables; runes lists what Kasir
// prints from it, which is what Indonesian receipts meet: accented letters in
// product and customer names, the degree and multiplication signs, the euro.
type codePage struct {
	name  string
	n     byte          // ESC t n (Epson numbering, which the clones follow)
	runes map[rune]byte // runes above ASCII this page can print
	bytes map[byte]rune // the inverse, for Decode
}

// latinCommon are the positions CP437 and CP850/858 share.
var latinCommon = map[rune]byte{
	'Ç': 0x80, 'ü': 0x81, 'é': 0x82, 'â': 0x83, 'ä': 0x84, 'à': 0x85, 'å': 0x86, 'ç': 0x87,
	'ê': 0x88, 'ë': 0x89, 'è': 0x8A, 'ï': 0x8B, 'î': 0x8C, 'ì': 0x8D, 'Ä': 0x8E, 'Å': 0x8F,
	'É': 0x90, 'æ': 0x91, 'Æ': 0x92, 'ô': 0x93, 'ö': 0x94, 'ò': 0x95, 'û': 0x96, 'ù': 0x97,
	'ÿ': 0x98, 'Ö': 0x99, 'Ü': 0x9A, '£': 0x9C, 'á': 0xA0, 'í': 0xA1, 'ó': 0xA2, 'ú': 0xA3,
	'ñ': 0xA4, 'Ñ': 0xA5, '½': 0xAB, '¼': 0xAC, 'ß': 0xE1, '±': 0xF1, '°': 0xF8, '²': 0xFD,
}

func newCodePage(name string, n byte, extra map[rune]byte, base map[rune]byte) *codePage {
	cp := &codePage{name: name, n: n, runes: map[rune]byte{}, bytes: map[byte]rune{}}
	for _, m := range []map[rune]byte{base, extra} {
		for r, b := range m {
			cp.runes[r] = b
			cp.bytes[b] = r
		}
	}
	return cp
}

func latin1() map[rune]byte {
	m := map[rune]byte{'€': 0x80, '×': 0xD7}
	for r := rune(0xA1); r <= 0xFF; r++ {
		if r != 0xAD { // soft hyphen prints as nothing or as garbage
			m[r] = byte(r)
		}
	}
	return m
}

var codePages = []*codePage{
	newCodePage("CP437", 0, map[rune]byte{'¢': 0x9B, '¥': 0x9D}, latinCommon),
	newCodePage("CP850", 2, map[rune]byte{'×': 0x9E, '©': 0xB8, '¥': 0xBE}, latinCommon),
	newCodePage("CP858", 19, map[rune]byte{'×': 0x9E, '©': 0xB8, '¥': 0xBE, '€': 0xD5}, latinCommon),
	newCodePage("CP1252", 16, nil, latin1()),
}

func codePageByNumber(n byte) *codePage {
	for _, cp := range codePages {
		if cp.n == n {
			return cp
		}
	}
	return nil
}

// fold is the ASCII stand-in for runes a page lacks: a name loses its accent
// rather than turning into '?'.
var fold = func() map[rune]string {
	m := map[rune]string{
		'‘': "'", '’': "'", '‚': ",", '“': `"`, '”': `"`, '„': `"`, '′': "'", '″': `"`,
		'–': "-", '—': "-", '‐': "-", '‑': "-", '−': "-", '…': "...", '•': "*", '·': ".",
		'×': "x", '€': "EUR", '©': "(c)", '®': "(R)", '™': "TM", '°': "o", '½': "1/2", '¼': "1/4",
		'ß': "ss", 'æ': "ae", 'Æ': "AE", 'ø': "o", 'Ø': "O", '¥': "Y", '£': "L", '¢': "c", '²': "2",
	}
	for _, group := range []string{
		"aàáâãäåā", "AÀÁÂÃÄÅĀ", "cçć", "CÇĆ", "eèéêëē", "EÈÉÊËĒ", "iìíîïī", "IÌÍÎÏĪ",
		"nñ", "NÑ", "oòóôõöō", "OÒÓÔÕÖŌ", "uùúûüū", "UÙÚÛÜŪ", "yýÿ", "YÝŸ",
	} {
		rs := []rune(group)
		for _, r := range rs[1:] {
			m[r] = string(rs[0])
		}
	}
	return m
}()

// encode reduces s to bytes this page prints. Every kind of space (U+00A0 and
// U+202F come out of number and date formatting) becomes ' ', invisible
// format runes are dropped, and anything else unprintable becomes '?'. The
// result never holds a control byte or a byte above 0x7F the page does not
// define, so it can never be read as a command.
func (cp *codePage) encode(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7F:
			out = append(out, byte(r))
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
			out = append(out, ' ')
		case unicode.Is(unicode.Cf, r) || r == 0xAD: // zero-width space, BOM, soft hyphen
		default:
			if b, ok := cp.runes[r]; ok {
				out = append(out, b)
			} else if f, ok := fold[r]; ok {
				out = append(out, cp.encode(f)...)
			} else {
				out = append(out, '?')
			}
		}
	}
	return out
}

// width is how many columns s takes once reduced (one per byte).
func (cp *codePage) width(s string) int { return len(cp.encode(s)) }

func (cp *codePage) decode(b byte) (rune, bool) {
	if b >= 0x20 && b < 0x7F {
		return rune(b), true
	}
	r, ok := cp.bytes[b]
	return r, ok
}
