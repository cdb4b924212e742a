package escpos

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Paper is what a printer would have put out: the text grid, one string per
// printed line, right-trimmed, with alignment applied and a double-width
// character counted as two columns but shown once; and, beside it, what is
// not text. Commands lists every command in order, text included.
type Paper struct {
	Lines    []string
	Cuts     int
	Kicks    []Kick
	Barcodes []string // "CODE128 S001-T01-000123", "EAN13 8991234567890"
	QRs      []string
	Rasters  []Raster
	Commands []string
}

// Raster is one raster image (GS v 0) as printed: Width is a whole number of
// bytes' worth of dots, so an image is padded on the right to a multiple of 8.
type Raster struct {
	Width, Height int
	Dots          [][]bool // Height rows of Width dots, true is black
}

func (r Raster) String() string { return fmt.Sprintf("RASTER %dx%d", r.Width, r.Height) }

// Kick is one drawer pulse as the printer would drive it.
type Kick struct {
	Pin         int // connector pin, 2 or 5
	OnMs, OffMs int
}

// Text is the grid as one string, a newline after each line.
func (p *Paper) Text() string {
	var b strings.Builder
	for _, l := range p.Lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// ErrDecode is wrapped by every Decode failure; ErrIncomplete, which wraps
// it, by those where the bytes end inside a command, as a job cut short does.
var (
	ErrDecode     = errors.New("escpos: cannot decode")
	ErrIncomplete = fmt.Errorf("%w: command cut short", ErrDecode)
)

// Decode reads b as a printer with profile p would. It fails on a sequence it
// does not know, a sequence cut short, a byte the code page does not define,
// and a line wider than the paper: that is what tests hold printing to.
func Decode(b []byte, p Profile) (*Paper, error) {
	if p.Columns <= 0 {
		return nil, fmt.Errorf("%w: profile %q has no columns", ErrDecode, p.Name)
	}
	d := &decoder{b: b, p: p, cp: codePages[0], paper: &Paper{}}
	if err := d.run(); err != nil {
		return d.paper, err
	}
	return d.paper, nil
}

type decoder struct {
	b     []byte
	i     int
	p     Profile
	cp    *codePage
	paper *Paper

	align     Alignment
	widthMul  int // 1 + GS ! width bits
	line      strings.Builder
	lineCells int
	text      strings.Builder // text run for Commands
	qr        []byte
	hasQR     bool
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", ErrDecode, d.i, fmt.Sprintf(format, args...))
}

// next returns the next n bytes of the current sequence.
func (d *decoder) next(n int, what string) ([]byte, error) {
	if d.i+n > len(d.b) {
		return nil, fmt.Errorf("%w at byte %d: %s", ErrIncomplete, d.i, what)
	}
	s := d.b[d.i : d.i+n]
	d.i += n
	return s, nil
}

func (d *decoder) cmd(format string, args ...any) {
	d.endText()
	d.paper.Commands = append(d.paper.Commands, fmt.Sprintf(format, args...))
}

func (d *decoder) endText() {
	if d.text.Len() > 0 {
		d.paper.Commands = append(d.paper.Commands, fmt.Sprintf("TEXT %q", d.text.String()))
		d.text.Reset()
	}
}

// endLine prints the line buffer, as LF and ESC d do.
func (d *decoder) endLine() error {
	if d.lineCells > d.p.Columns {
		return d.errorf("line %d %q takes %d columns, paper has %d", len(d.paper.Lines)+1, d.line.String(), d.lineCells, d.p.Columns)
	}
	pad := 0
	switch d.align {
	case Center:
		pad = (d.p.Columns - d.lineCells) / 2
	case Right:
		pad = d.p.Columns - d.lineCells
	}
	s := strings.TrimRight(d.line.String(), " ")
	if s != "" {
		s = strings.Repeat(" ", pad) + s
	}
	d.paper.Lines = append(d.paper.Lines, s)
	d.line.Reset()
	d.lineCells = 0
	return nil
}

func (d *decoder) run() error {
	d.widthMul = 1
	for d.i < len(d.b) {
		c := d.b[d.i]
		d.i++
		var err error
		switch c {
		case lf:
			d.cmd("LF")
			err = d.endLine()
		case '\r':
			d.cmd("CR") // ignored by printers in the default mode
		case esc:
			err = d.esc()
		case gs:
			err = d.gs()
		case fs:
			var s []byte
			if s, err = d.next(1, "FS"); err == nil {
				if s[0] != '.' {
					d.i--
					return d.errorf("unknown sequence FS 0x%02X", s[0])
				}
				d.cmd("FS .")
			}
		case dle:
			var s []byte
			if s, err = d.next(2, "DLE"); err == nil {
				if s[0] != 0x04 || s[1] < 1 || s[1] > 4 {
					return d.errorf("unknown sequence DLE 0x%02X 0x%02X", s[0], s[1])
				}
				d.cmd("DLE EOT %d", s[1])
			}
		default:
			r, ok := d.cp.decode(c)
			if !ok {
				d.i--
				return d.errorf("byte 0x%02X is not printable in %s", c, d.cp.name)
			}
			d.line.WriteRune(r)
			d.text.WriteRune(r)
			d.lineCells += d.widthMul
		}
		if err != nil {
			return err
		}
	}
	d.endText()
	if d.line.Len() > 0 { // never printed: a printer holds it until LF
		d.paper.Commands = append(d.paper.Commands, "UNPRINTED")
	}
	return nil
}

func (d *decoder) esc() error {
	s, err := d.next(1, "ESC")
	if err != nil {
		return err
	}
	switch s[0] {
	case '@':
		d.cmd("ESC @")
		d.align, d.widthMul, d.cp = Left, 1, codePages[0]
		d.line.Reset()
		d.lineCells = 0
		return nil
	case 'a', 'E', 'd', 't', '!':
		a, err := d.next(1, "ESC "+string(s[0]))
		if err != nil {
			return err
		}
		n := a[0]
		d.cmd("ESC %c %d", s[0], n)
		switch s[0] {
		case 'a':
			switch n {
			case 0, '0':
				d.align = Left
			case 1, '1':
				d.align = Center
			case 2, '2':
				d.align = Right
			default:
				return d.errorf("ESC a %d", n)
			}
		case 'E':
			// emphasis does not change the grid
		case '!':
			d.widthMul = 1 + int(n>>5&1)
		case 't':
			cp := codePageByNumber(n)
			if cp == nil {
				return d.errorf("ESC t %d: unknown code page", n)
			}
			d.cp = cp
		case 'd':
			if d.line.Len() > 0 {
				if err := d.endLine(); err != nil {
					return err
				}
				n = max(n, 1) - 1
			}
			for range n {
				d.paper.Lines = append(d.paper.Lines, "")
			}
		}
		return nil
	case 'p':
		a, err := d.next(3, "ESC p")
		if err != nil {
			return err
		}
		pin := 2
		switch a[0] {
		case 0, '0':
		case 1, '1':
			pin = 5
		default:
			return d.errorf("ESC p %d: unknown pin", a[0])
		}
		d.cmd("ESC p %d %d %d", a[0], a[1], a[2])
		d.paper.Kicks = append(d.paper.Kicks, Kick{Pin: pin, OnMs: int(a[1]) * 2, OffMs: int(a[2]) * 2})
		return nil
	}
	d.i--
	return d.errorf("unknown sequence ESC 0x%02X", s[0])
}

func (d *decoder) gs() error {
	s, err := d.next(1, "GS")
	if err != nil {
		return err
	}
	switch s[0] {
	case '!', 'h', 'w', 'H':
		a, err := d.next(1, "GS "+string(s[0]))
		if err != nil {
			return err
		}
		d.cmd("GS %c %d", s[0], a[0])
		if s[0] == '!' {
			d.widthMul = 1 + int(a[0]>>4&7)
		}
		return nil
	case 'V':
		a, err := d.next(1, "GS V")
		if err != nil {
			return err
		}
		switch a[0] {
		case 0, 1, '0', '1':
			d.cmd("GS V %d", a[0])
		case 65, 66:
			n, err := d.next(1, "GS V")
			if err != nil {
				return err
			}
			d.cmd("GS V %d %d", a[0], n[0])
		default:
			return d.errorf("GS V %d: unknown cut", a[0])
		}
		if d.line.Len() > 0 {
			if err := d.endLine(); err != nil {
				return err
			}
		}
		d.paper.Cuts++
		return nil
	case 'k':
		return d.barcode()
	case '(':
		return d.qrCmd()
	case 'a':
		a, err := d.next(1, "GS a")
		if err != nil {
			return err
		}
		d.cmd("GS a %d", a[0])
		return nil
	case 'v':
		return d.raster()
	}
	d.i--
	return d.errorf("unknown sequence GS 0x%02X", s[0])
}

func (d *decoder) barcode() error {
	h, err := d.next(2, "GS k")
	if err != nil {
		return err
	}
	m, n := h[0], int(h[1])
	data, err := d.next(n, "GS k data")
	if err != nil {
		return err
	}
	var code string
	switch m {
	case 67:
		s := string(data)
		if !validEAN13(s) {
			return d.errorf("GS k 67: bad EAN-13 %q", s)
		}
		if len(s) == 12 {
			s += string(ean13Check(s))
		}
		code = "EAN13 " + s
	case 73:
		if n < 2 || data[0] != '{' || data[1] != 'B' {
			return d.errorf("GS k 73: only code set B ({B) is decoded")
		}
		var b strings.Builder
		for i := 2; i < len(data); i++ {
			c := data[i]
			if c < 0x20 || c > 0x7E {
				return d.errorf("GS k 73: byte 0x%02X outside set B", c)
			}
			if c == '{' {
				if i+1 >= len(data) || data[i+1] != '{' {
					return d.errorf("GS k 73: code-set switch not decoded")
				}
				i++
			}
			b.WriteByte(c)
		}
		code = "CODE128 " + b.String()
	default:
		return d.errorf("GS k %d: unknown symbology", m)
	}
	d.cmd("GS k %s", code)
	d.paper.Barcodes = append(d.paper.Barcodes, code)
	return nil
}

func (d *decoder) qrCmd() error {
	h, err := d.next(3, "GS (")
	if err != nil {
		return err
	}
	if h[0] != 'k' {
		return d.errorf("unknown sequence GS ( 0x%02X", h[0])
	}
	n := int(h[1]) | int(h[2])<<8
	if n < 2 {
		return d.errorf("GS ( k: length %d", n)
	}
	body, err := d.next(n, "GS ( k")
	if err != nil {
		return err
	}
	if body[0] != '1' {
		return d.errorf("GS ( k: symbol %d is not QR", body[0])
	}
	switch fn, arg := body[1], body[2:]; fn {
	case 'A', 'C', 'E':
		if len(arg) < 1 {
			return d.errorf("GS ( k %c: no parameter", fn)
		}
		d.cmd("GS ( k QR %c %d", fn, arg[0])
	case 'P':
		if len(arg) < 1 || arg[0] != '0' {
			return d.errorf("GS ( k P: bad store")
		}
		d.qr = append(d.qr[:0], arg[1:]...)
		d.hasQR = true
		d.cmd("GS ( k QR store %d bytes", len(arg)-1)
	case 'Q':
		if !d.hasQR {
			return d.errorf("GS ( k Q: print with nothing stored")
		}
		if !utf8.Valid(d.qr) {
			d.paper.QRs = append(d.paper.QRs, fmt.Sprintf("%q", d.qr))
		} else {
			d.paper.QRs = append(d.paper.QRs, string(d.qr))
		}
		d.cmd("GS ( k QR print")
	default:
		return d.errorf("GS ( k: unknown function %d", fn)
	}
	return nil
}

func (d *decoder) raster() error {
	h, err := d.next(6, "GS v")
	if err != nil {
		return err
	}
	if h[0] != '0' {
		return d.errorf("unknown sequence GS v 0x%02X", h[0])
	}
	m := h[1]
	if m > 3 && (m < '0' || m > '3') {
		return d.errorf("GS v 0: mode %d", m)
	}
	xBytes, height := int(h[2])|int(h[3])<<8, int(h[4])|int(h[5])<<8
	if xBytes == 0 || height == 0 || height > maxRasterHeight {
		return d.errorf("GS v 0: %d bytes by %d dots", xBytes, height)
	}
	width := xBytes * 8
	if m&1 == 1 { // double width
		width *= 2
	}
	if width > d.p.dots() {
		return d.errorf("GS v 0: %d dots wide, paper has %d", width, d.p.dots())
	}
	if d.line.Len() > 0 {
		return d.errorf("GS v 0 after unprinted text %q", d.line.String())
	}
	data, err := d.next(xBytes*height, "GS v 0 data")
	if err != nil {
		return err
	}
	r := Raster{Width: xBytes * 8, Height: height, Dots: make([][]bool, height)}
	for y := range height {
		row := make([]bool, r.Width)
		for x := range r.Width {
			row[x] = data[y*xBytes+x/8]&(0x80>>(x%8)) != 0
		}
		r.Dots[y] = row
	}
	d.cmd("GS v 0 %d %s", m, r)
	d.paper.Rasters = append(d.paper.Rasters, r)
	return nil
}
