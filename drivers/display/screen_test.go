package display_test

import (
	"slices"
	"testing"

	"github.com/kasirpos/kasir/drivers/display"
)

func TestScreenSplitWrites(t *testing.T) {
	for _, tc := range []struct {
		p    display.Protocol
		in   string
		want []string
	}{
		{display.CD5220, "\x1b@\x1b_\x00\x1bQAABCDE\r\x1bQBxy\r\x1bl\x02\x02Z", []string{"ABCDE", "xZ   "}},
		{display.Epson, "\x1b@\x1f\x01\x1fC\x00\x1f$\x01\x01ABCDE\x1f$\x01\x02xy\x1f$\x02\x02Z", []string{"ABCDE", "xZ   "}},
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			// Every way of cutting the stream in two decodes the same.
			for cut := range len(tc.in) + 1 {
				s := display.NewScreen(tc.p, 5, 2)
				for _, part := range []string{tc.in[:cut], tc.in[cut:]} {
					if _, err := s.Write([]byte(part)); err != nil {
						t.Fatalf("cut at %d: %v", cut, err)
					}
				}
				if got := s.Lines(); !slices.Equal(got, tc.want) || s.Pending() || s.Cursor() {
					t.Fatalf("cut at %d: lines %q pending %v cursor %v, want %q", cut, got, s.Pending(), s.Cursor(), tc.want)
				}
			}
		})
	}
}

func TestScreenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    display.Protocol
		in   string
	}{
		{"unknown ESC", display.CD5220, "\x1bz"},
		{"Epson command on CD5220", display.CD5220, "\x1f$\x01\x01"},
		{"CD5220 command on Epson", display.Epson, "\x1bQAabc\r"},
		{"unknown US", display.Epson, "\x1f\x02"},
		{"line too long", display.CD5220, "\x1bQAabcdef\r"},
		{"unterminated long line", display.CD5220, "\x1bQAabcdefghij"},
		{"third line", display.CD5220, "\x1bQCabc\r"},
		{"control byte in line", display.CD5220, "\x1bQAa\x07c\r"},
		{"text runs off the line", display.Epson, "\x1f$\x01\x01abcdef"},
		{"cursor outside", display.Epson, "\x1f$\x06\x01"},
		{"row outside", display.CD5220, "\x1bl\x01\x03"},
		{"non-ASCII", display.Epson, "caf\xc3\xa9"},
		{"line feed", display.Epson, "a\n"},
		{"bad cursor mode", display.Epson, "\x1fC\x07"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := display.NewScreen(tc.p, 5, 2)
			if _, err := s.Write([]byte(tc.in)); err == nil {
				t.Fatalf("% X accepted: %q", tc.in, s.Lines())
			}
			if _, err := s.Write([]byte("a")); err == nil {
				t.Error("writes accepted after an error")
			}
		})
	}
}
