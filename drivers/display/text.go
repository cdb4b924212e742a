package display

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// special are letters that do not decompose into an ASCII base letter, and
// punctuation that has a fair ASCII stand-in.
var special = strings.NewReplacer(
	"ß", "ss", "Æ", "AE", "æ", "ae", "Œ", "OE", "œ", "oe",
	"Ø", "O", "ø", "o", "Đ", "D", "đ", "d", "Ł", "L", "ł", "l",
	"‘", "'", "’", "'", "‚", ",", "“", `"`, "”", `"`, "„", `"`,
	"–", "-", "—", "-", "‐", "-", "−", "-", "•", "*", "×", "x",
	"€", "EUR",
)

// ASCII reduces s to printable ASCII: accents are stripped ("Crème" becomes
// "Creme"), compatibility forms are unfolded (full-width letters, the "ﬁ"
// ligature), spaces and control characters of any kind become a space, and
// anything else becomes '?'. The result holds no byte a display could take
// for a command.
func ASCII(s string) string {
	s = norm.NFKD.String(special.Replace(s))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7F:
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// a combining accent, split off its letter by NFKD
		case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// fit makes a line exactly cols wide from a left part, cut if need be, and a
// right-aligned right part with at least one space between them. An amount
// wider than the line keeps its right end, so the digits that are shown are
// the amount's last ones rather than a wrong, shorter number.
func fit(left, right string, cols int) string {
	left = strings.TrimSpace(ASCII(left))
	right = strings.TrimSpace(ASCII(right))
	if len(right) >= cols {
		return right[len(right)-cols:]
	}
	room := cols - len(right)
	if right != "" {
		room-- // the gap
	}
	if len(left) > room {
		left = strings.TrimRight(left[:room], " ")
	}
	return left + strings.Repeat(" ", cols-len(left)-len(right)) + right
}

// center makes a line exactly cols wide with s in the middle (cut if wider).
func center(s string, cols int) string {
	s = strings.TrimSpace(ASCII(s))
	if len(s) > cols {
		s = strings.TrimRight(s[:cols], " ")
	}
	pad := (cols - len(s)) / 2
	return strings.Repeat(" ", pad) + s + strings.Repeat(" ", cols-len(s)-pad)
}
