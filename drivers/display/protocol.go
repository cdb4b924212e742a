package display

import (
	"fmt"
	"strings"
)

// Protocol is the command set a display speaks.
type Protocol int

const (
	// CD5220 is the Partner Tech CD5220 command set, the default of most
	// pole displays.
	CD5220 Protocol = iota
	// Epson is the Epson ESC/POS customer display command set.
	Epson
)

func (p Protocol) String() string {
	switch p {
	case CD5220:
		return "cd5220"
	case Epson:
		return "epson"
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// ParseProtocol reads a protocol name as written in configuration:
// "cd5220" or "epson" (also "escpos").
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cd5220":
		return CD5220, nil
	case "epson", "escpos", "esc/pos":
		return Epson, nil
	}
	return 0, fmt.Errorf("display: unknown protocol %q (want cd5220 or epson)", s)
}

// Control bytes shared by both command sets.
const (
	esc = 0x1B
	us  = 0x1F
	clr = 0x0C
	can = 0x18
	cr  = 0x0D
	hom = 0x0B
)

// initSeq resets the display, turns the cursor off and, for Epson, selects
// overwrite mode so that a full bottom line never scrolls the screen.
func (p Protocol) initSeq() []byte {
	if p == Epson {
		return []byte{esc, '@', us, 0x01, us, 'C', 0}
	}
	return []byte{esc, '@', esc, '_', 0}
}

// frame appends the commands that put lines (each exactly as wide as the
// display, one per row) on the screen.
func (p Protocol) frame(b []byte, lines []string) []byte {
	for i, l := range lines {
		if p == Epson {
			b = append(b, us, '$', 1, byte(i+1))
			b = append(b, l...)
			continue
		}
		b = append(b, esc, 'Q', 'A'+byte(i))
		b = append(b, l...)
		b = append(b, cr)
	}
	return b
}
