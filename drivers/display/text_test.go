package display

import "testing"

func TestASCII(t *testing.T) {
	for in, want := range map[string]string{
		"Indomie Goreng":     "Indomie Goreng",
		"Café Crème Brûlée":  "Cafe Creme Brulee",
		"Rp\u00a012.500":     "Rp 12.500",
		"Rp\u202f12.500":     "Rp 12.500",
		"Ｐｏｃａｒｉ":             "Pocari",
		"ﬁsh “special”":      `fish "special"`,
		"Straße Øl":          "Strasse Ol",
		"a\tb\nc\x1bd\x7fe":  "a b c d e",
		"Teh 🍵 Manis":        "Teh ? Manis",
		"Nasi – Goreng … 1½": "Nasi - Goreng ... 11?2",
		"日本":                 "??",
	} {
		if got := ASCII(in); got != want {
			t.Errorf("ASCII(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		left, right string
		cols        int
		want        string
	}{
		{"Teh", "Rp 5.000", 20, "Teh         Rp 5.000"},
		{"", "Rp 5.000", 10, "  Rp 5.000"},
		{"Teh Botol", "", 5, "Teh B"},
		{"Teh Botol", "Rp 5", 10, "Teh B Rp 5"},
		{"Teh Botol", "Rp 5.000", 10, "T Rp 5.000"},
		{"Teh Botol", "Rp 15.000", 10, " Rp 15.000"}, // no room for a name and the gap
		{"Teh Botol", "Rp 150.000", 10, "Rp 150.000"},
		{"Teh Botol", "Rp 1.500.000", 10, " 1.500.000"},
		{"Teh  Botol", "Rp 5", 9, "Teh  Rp 5"}, // a cut never ends in a space
		{"  padded  ", "  1  ", 8, "padded 1"},
	} {
		got := fit(tc.left, tc.right, tc.cols)
		if got != tc.want || len(got) != tc.cols {
			t.Errorf("fit(%q, %q, %d) = %q, want %q", tc.left, tc.right, tc.cols, got, tc.want)
		}
	}
}
