package escpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

const (
	esc = 0x1B
	gs  = 0x1D
	fs  = 0x1C
	dle = 0x10
	lf  = 0x0A
)

// Alignment is the justification ESC a selects.
type Alignment byte

const (
	Left   Alignment = 0
	Center Alignment = 1
	Right  Alignment = 2
)

// Sentinel errors; Encoder.Flush and Render wrap them with the detail.
var (
	ErrTooWide     = errors.New("escpos: line wider than the paper")
	ErrNoNativeQR  = errors.New("escpos: printer has no native QR command")
	ErrBarcodeData = errors.New("escpos: barcode data not encodable")
	ErrImage       = errors.New("escpos: image not printable")
)

// Drawer kick pulse limits. The kick connector drives the drawer's solenoid
// straight from the printer's 24 V supply, without current limiting: a pulse
// much shorter than 50 ms does not pull the latch reliably, and one much
// longer than 200 ms only heats the coil (cheap drawers are rated for short
// duty and burn out when a stuck job repeats long pulses). The off time keeps
// a following pulse from landing on a coil that has not let go.
const (
	MinKickOn  = 50  // ms
	MaxKickOn  = 200 // ms
	MaxKickOff = 500 // ms; ESC p counts to 255 units of 2 ms
)

// Encoder writes ESC/POS commands for one profile into a buffer and hands the
// whole job to its writer on Flush, so a printer never receives half a
// command. Errors are sticky: after the first, methods do nothing and Flush
// returns it.
type Encoder struct {
	w   io.Writer
	p   Profile
	cp  *codePage
	buf bytes.Buffer
	err error
}

// NewEncoder returns an encoder for p writing to w.
func NewEncoder(w io.Writer, p Profile) *Encoder {
	e := &Encoder{w: w, p: p}
	e.cp, e.err = p.codePage()
	return e
}

func (e *Encoder) raw(b ...byte) {
	if e.err == nil {
		e.buf.Write(b)
	}
}

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// Flush writes what was encoded and returns the first error met.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	_, err := e.w.Write(e.buf.Bytes())
	e.buf.Reset()
	if err != nil {
		return fmt.Errorf("escpos: write: %w", err)
	}
	return nil
}

// Init resets the printer (ESC @), leaves the Chinese double-byte mode that
// many clones power up in (FS .; otherwise bytes above 0x7F pair up into
// Hanzi), and selects the profile's code page (ESC t), which ESC @ reset.
func (e *Encoder) Init() {
	e.raw(esc, '@', fs, '.')
	if e.cp != nil {
		e.raw(esc, 't', e.cp.n)
	}
}

// Align sets the justification of the lines that follow (ESC a).
func (e *Encoder) Align(a Alignment) { e.raw(esc, 'a', byte(a)) }

// Bold turns emphasis on or off (ESC E).
func (e *Encoder) Bold(on bool) { e.raw(esc, 'E', b2i(on)) }

// Size selects double width and/or double height (GS !).
func (e *Encoder) Size(doubleWidth, doubleHeight bool) {
	e.raw(gs, '!', b2i(doubleWidth)<<4|b2i(doubleHeight))
}

// Text writes s reduced to what the code page prints; see codePage.encode.
func (e *Encoder) Text(s string) {
	if e.cp != nil {
		e.raw(e.cp.encode(s)...)
	}
}

// Line writes s and ends the line.
func (e *Encoder) Line(s string) {
	e.Text(s)
	e.raw(lf)
}

// Feed prints what is buffered and feeds n lines (ESC d).
func (e *Encoder) Feed(n int) { e.raw(esc, 'd', clampByte(n, 0, 255)) }

// Cut feeds the paper to the cutter and cuts, leaving a hinge (GS V 66 n, a
// partial cut, so the receipt does not fall on the floor). Without a cutter it
// feeds the printed part past the tear bar instead.
func (e *Encoder) Cut() {
	if !e.p.Cutter {
		e.Feed(4)
		return
	}
	e.raw(gs, 'V', 66, 3)
}

// Barcode128 prints data as CODE128 code set B (GS k 73) with its text below,
// at the narrowest module width that is still wide enough to scan and fits
// the paper.
func (e *Encoder) Barcode128(data string) {
	if data == "" {
		e.fail(fmt.Errorf("%w: empty CODE128", ErrBarcodeData))
		return
	}
	payload := []byte("{B")
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c < 0x20 || c > 0x7E {
			e.fail(fmt.Errorf("%w: CODE128 set B cannot hold %q", ErrBarcodeData, data))
			return
		}
		if c == '{' { // '{' starts a code-set switch; a literal one is doubled
			payload = append(payload, '{')
		}
		payload = append(payload, c)
	}
	if len(payload) > 255 {
		e.fail(fmt.Errorf("%w: CODE128 %q too long", ErrBarcodeData, data))
		return
	}
	// start, one symbol per character, checksum: 11 modules each; stop: 13.
	modules := (len(data)+2)*11 + 13
	w := e.p.dots() / modules
	if w < 1 {
		e.fail(fmt.Errorf("%w: CODE128 %q does not fit %d dots", ErrBarcodeData, data, e.p.dots()))
		return
	}
	e.barcodeSetup(byte(min(w, 3)))
	e.raw(gs, 'k', 73, byte(len(payload)))
	e.raw(payload...)
}

// EAN13 prints a 12- or 13-digit EAN-13 (GS k 67). The check digit is
// verified when given, and only the 12 data digits are sent: every printer
// computes the check digit itself, and some clones misprint when sent 13.
func (e *Encoder) EAN13(digits string) {
	if !validEAN13(digits) {
		e.fail(fmt.Errorf("%w: EAN-13 %q", ErrBarcodeData, digits))
		return
	}
	e.barcodeSetup(2)
	e.raw(gs, 'k', 67, 12)
	e.raw([]byte(digits[:12])...)
}

func (e *Encoder) barcodeSetup(width byte) {
	e.raw(gs, 'h', 80) // height in dots: 10 mm
	e.raw(gs, 'w', width)
	e.raw(gs, 'H', 2) // human-readable text below
}

func validEAN13(s string) bool {
	if len(s) != 12 && len(s) != 13 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) == 12 || s[12] == ean13Check(s[:12])
}

func ean13Check(d string) byte {
	sum := 0
	for i := 0; i < 12; i++ {
		n := int(d[i] - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return byte('0' + (10-sum%10)%10)
}

// QR prints data as a QR code with the printer's own command (GS ( k):
// model 2, error correction M, a module size that suits the paper. Profiles
// without NativeQR get ErrNoNativeQR.
func (e *Encoder) QR(data string) {
	if !e.p.NativeQR {
		e.fail(ErrNoNativeQR)
		return
	}
	if data == "" || len(data) > 7089 {
		e.fail(fmt.Errorf("%w: QR of %d bytes", ErrBarcodeData, len(data)))
		return
	}
	size := byte(6)
	if e.p.Columns <= 32 {
		size = 4
	}
	e.raw(gs, '(', 'k', 4, 0, '1', 'A', '2', 0) // model 2
	e.raw(gs, '(', 'k', 3, 0, '1', 'C', size)   // module size in dots
	e.raw(gs, '(', 'k', 3, 0, '1', 'E', '1')    // error correction M (15%)
	n := len(data) + 3
	e.raw(gs, '(', 'k', byte(n), byte(n>>8), '1', 'P', '0')
	e.raw([]byte(data)...)
	e.raw(gs, '(', 'k', 3, 0, '1', 'Q', '0') // print
}

// DrawerKick pulses the drawer connector (ESC p m t1 t2). pin is the
// connector pin, 2 or 5; the times are in milliseconds and are clamped to
// MinKickOn–MaxKickOn on and on–MaxKickOff off (see those constants).
func (e *Encoder) DrawerKick(pin, onMs, offMs int) {
	var m byte
	switch pin {
	case 2:
		m = 0
	case 5:
		m = 1
	default:
		e.fail(fmt.Errorf("escpos: drawer kick pin %d, want 2 or 5", pin))
		return
	}
	on := min(max(onMs, MinKickOn), MaxKickOn)
	off := min(max(offMs, on), MaxKickOff) // Epson rule: off shorter than on is raised to on
	e.raw(esc, 'p', m, byte(on/2), byte(off/2))
}

// AutoStatusBack enables (mask from the ASB constants) or disables (0)
// automatic status messages (GS a n). Printer sends it itself when the
// profile has ASB; a job has no use for it.
func (e *Encoder) AutoStatusBack(mask byte) { e.raw(gs, 'a', mask&ASBAll) }

// Raster prints bitmap (rows of dots, true is black) as a raster bit image
// (GS v 0), each dot enlarged to scale×scale printer dots. It is for codes
// the printer cannot draw itself, such as a QR code on a printer without
// NativeQR. The image is refused (ErrImage) when it is empty, ragged, wider
// than the paper or taller than one GS v 0 may be; it is printed with the
// current alignment and starts on a new line, so call it after Line.
//
// Real-time commands are recognised even inside image data, so an image
// whose bytes happen to hold DLE EOT n makes the printer send a status byte
// nobody asked for; Printer discards input before each status request.
func (e *Encoder) Raster(bitmap [][]bool, scale int) {
	if scale < 1 || scale > 8 {
		e.fail(fmt.Errorf("%w: scale %d, want 1 to 8", ErrImage, scale))
		return
	}
	if len(bitmap) == 0 || len(bitmap[0]) == 0 {
		e.fail(fmt.Errorf("%w: empty bitmap", ErrImage))
		return
	}
	w := len(bitmap[0])
	for i, row := range bitmap {
		if len(row) != w {
			e.fail(fmt.Errorf("%w: row %d has %d dots, row 1 has %d", ErrImage, i+1, len(row), w))
			return
		}
	}
	dotsW, dotsH := w*scale, len(bitmap)*scale
	if dotsW > e.p.dots() {
		e.fail(fmt.Errorf("%w: %d dots wide, %s prints %d", ErrImage, dotsW, e.p.Name, e.p.dots()))
		return
	}
	if dotsH > maxRasterHeight {
		e.fail(fmt.Errorf("%w: %d dots high, GS v 0 takes %d", ErrImage, dotsH, maxRasterHeight))
		return
	}
	xBytes := (dotsW + 7) / 8
	e.raw(gs, 'v', '0', 0, byte(xBytes), byte(xBytes>>8), byte(dotsH), byte(dotsH>>8))
	row := make([]byte, xBytes)
	for _, src := range bitmap {
		clear(row)
		for x := range dotsW {
			if src[x/scale] {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		for range scale {
			e.raw(row...)
		}
	}
}

// maxRasterHeight is the tallest image one GS v 0 may carry.
const maxRasterHeight = 2303

func b2i(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func clampByte(n, lo, hi int) byte { return byte(min(max(n, lo), hi)) }
