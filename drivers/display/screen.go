package display

import (
	"errors"
	"fmt"
	"strings"
)

// Screen is a decoder: fed the bytes sent to a display with Write, it keeps
// the grid of characters the display would show. Sequences may be split
// across writes. It knows the commands this package sends plus the plain
// cursor controls (CR, HOM, CAN), and fails on anything else, on text that
// would run off a line, and on non-ASCII bytes; after an error it refuses
// further writes.
type Screen struct {
	p          Protocol
	cols, rows int
	grid       [][]byte
	x, y       int // x == cols: the line is full
	cursor     bool
	pending    []byte // an incomplete command
	err        error
}

// NewScreen returns a blank screen of cols x rows for protocol p.
func NewScreen(p Protocol, cols, rows int) *Screen {
	s := &Screen{p: p, cols: cols, rows: rows, cursor: true}
	s.grid = make([][]byte, rows)
	for i := range s.grid {
		s.grid[i] = []byte(strings.Repeat(" ", cols))
	}
	return s
}

// errIncomplete says that a command needs more bytes than have come yet.
var errIncomplete = errors.New("incomplete")

// Write decodes b.
func (s *Screen) Write(b []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	buf := append(s.pending, b...)
	s.pending = nil
	for len(buf) > 0 {
		n, err := s.step(buf)
		if err == errIncomplete {
			s.pending = append([]byte(nil), buf...)
			return len(b), nil
		}
		if err != nil {
			s.err = fmt.Errorf("display screen: % X: %w", buf[:min(len(buf), 8)], err)
			return 0, s.err
		}
		buf = buf[n:]
	}
	return len(b), nil
}

// Lines returns the rows as shown.
func (s *Screen) Lines() []string {
	l := make([]string, s.rows)
	for i, r := range s.grid {
		l[i] = string(r)
	}
	return l
}

// Cursor reports whether the cursor is shown.
func (s *Screen) Cursor() bool { return s.cursor }

// Pending reports whether a command has started but not ended.
func (s *Screen) Pending() bool { return len(s.pending) > 0 }

// step decodes the command at the start of b and returns its length.
func (s *Screen) step(b []byte) (int, error) {
	c := b[0]
	switch {
	case c >= 0x20 && c < 0x7F:
		return 1, s.put(c)
	case c == clr:
		s.clear()
		return 1, nil
	case c == can:
		s.grid[s.y] = []byte(strings.Repeat(" ", s.cols))
		s.x = 0
		return 1, nil
	case c == cr:
		s.x = 0
		return 1, nil
	case c == hom:
		s.x, s.y = 0, 0
		return 1, nil
	case c == esc:
		if len(b) < 2 {
			return 0, errIncomplete
		}
		if b[1] == '@' {
			s.clear()
			s.cursor = true
			return 2, nil
		}
		if s.p == CD5220 {
			return s.cd5220(b)
		}
	case c == us && s.p == Epson:
		return s.epson(b)
	}
	return 0, errors.New("unknown command")
}

func (s *Screen) cd5220(b []byte) (int, error) {
	switch b[1] {
	case '_': // ESC _ n: cursor
		if len(b) < 3 {
			return 0, errIncomplete
		}
		return 3, s.setCursor(b[2])
	case 0x11: // ESC DC1: overwrite mode
		return 2, nil
	case 'l': // ESC l x y: move cursor
		if len(b) < 4 {
			return 0, errIncomplete
		}
		return 4, s.move(b[2], b[3])
	case 'Q': // ESC Q A|B text CR: write a whole line
		if len(b) < 3 {
			return 0, errIncomplete
		}
		row := int(b[2]) - 'A'
		if row < 0 || row >= s.rows || row > 1 {
			return 0, fmt.Errorf("no line %q", b[2])
		}
		i := 3
		for ; i < len(b) && b[i] != cr; i++ {
			if i-3 >= s.cols {
				return 0, fmt.Errorf("line %c longer than %d columns", b[2], s.cols)
			}
			if b[i] < 0x20 || b[i] >= 0x7F {
				return 0, fmt.Errorf("byte %#x in line %c", b[i], b[2])
			}
		}
		if i == len(b) {
			return 0, errIncomplete
		}
		line := string(b[3:i])
		s.grid[row] = []byte(line + strings.Repeat(" ", s.cols-len(line)))
		return i + 1, nil
	}
	return 0, errors.New("unknown command")
}

func (s *Screen) epson(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, errIncomplete
	}
	switch b[1] {
	case 0x01: // US MD1: overwrite mode
		return 2, nil
	case 'C': // US C n: cursor
		if len(b) < 3 {
			return 0, errIncomplete
		}
		return 3, s.setCursor(b[2])
	case '$': // US $ x y: move cursor
		if len(b) < 4 {
			return 0, errIncomplete
		}
		return 4, s.move(b[2], b[3])
	}
	return 0, errors.New("unknown command")
}

func (s *Screen) put(c byte) error {
	if s.x >= s.cols {
		return fmt.Errorf("text runs off line %d", s.y+1)
	}
	s.grid[s.y][s.x] = c
	s.x++
	return nil
}

func (s *Screen) move(x, y byte) error {
	if x < 1 || int(x) > s.cols || y < 1 || int(y) > s.rows {
		return fmt.Errorf("cursor position %d,%d outside %dx%d", x, y, s.cols, s.rows)
	}
	s.x, s.y = int(x)-1, int(y)-1
	return nil
}

func (s *Screen) setCursor(n byte) error {
	switch n {
	case 0, '0':
		s.cursor = false
	case 1, '1':
		s.cursor = true
	default:
		return fmt.Errorf("cursor mode %d", n)
	}
	return nil
}

func (s *Screen) clear() {
	for i := range s.grid {
		s.grid[i] = []byte(strings.Repeat(" ", s.cols))
	}
	s.x, s.y = 0, 0
}
