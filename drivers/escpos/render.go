package escpos

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kasirpos/kasir/qrcode"
)

// Line is one printed line. A Big line is double width and height, so it
// holds half as many characters.
type Line struct {
	Text              string
	Center, Bold, Big bool
}

// Doc is a receipt as the printer sees it. The main builds one from the
// till's receipt; escpos knows nothing of sales.
type Doc struct {
	Lines      []Line
	Barcode    string // the receipt number: EAN-13 when it is one, CODE128 otherwise
	QR         string
	Cut        bool
	OpenDrawer bool // kick pin 2 after printing
}

// Drawer kick timings Render uses: well inside the safe range.
const (
	DefaultKickOn  = 100 // ms
	DefaultKickOff = 200 // ms
)

// Render encodes d for p. It refuses (ErrTooWide) a line that would not fit
// the paper rather than let the printer wrap it, and fails with
// ErrBarcodeData or ErrNoNativeQR when the codes cannot be printed.
func Render(d Doc, p Profile) ([]byte, error) {
	if p.Columns <= 0 {
		return nil, fmt.Errorf("escpos: profile %q has no columns", p.Name)
	}
	cp, err := p.codePage()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	e := NewEncoder(&buf, p)
	e.Init()
	var align Alignment
	var bold, big bool
	for i, l := range d.Lines {
		text := strings.TrimRight(l.Text, " ")
		w := cp.width(text)
		if l.Big {
			w *= 2
		}
		if w > p.Columns {
			return nil, fmt.Errorf("%w: line %d %q takes %d columns, %s has %d", ErrTooWide, i+1, l.Text, w, p.Name, p.Columns)
		}
		a := Left
		if l.Center {
			a = Center
		}
		if a != align {
			e.Align(a)
			align = a
		}
		if l.Bold != bold {
			e.Bold(l.Bold)
			bold = l.Bold
		}
		if l.Big != big {
			e.Size(l.Big, l.Big)
			big = l.Big
		}
		e.Line(text)
	}
	if bold {
		e.Bold(false)
	}
	if big {
		e.Size(false, false)
	}
	if d.Barcode != "" || d.QR != "" {
		e.Feed(1)
		e.Align(Center)
		if d.Barcode != "" {
			if validEAN13(d.Barcode) {
				e.EAN13(d.Barcode)
			} else {
				e.Barcode128(d.Barcode)
			}
		}
		if d.QR != "" {
			if p.NativeQR {
				e.QR(d.QR)
			} else {
				rasterQR(e, d.QR, p)
			}
		}
		e.Align(Left)
	}
	if d.Cut {
		e.Cut()
	}
	if d.OpenDrawer {
		e.DrawerKick(2, DefaultKickOn, DefaultKickOff)
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rasterQR draws a QR code as a raster image, for printers without a QR
// command of their own: error correction M, a four-module quiet zone, and
// the largest whole dot size up to 6 that fits the paper.
func rasterQR(e *Encoder, data string, p Profile) {
	c, err := qrcode.Encode(data, qrcode.M)
	if err != nil {
		e.fail(fmt.Errorf("%w: %w", ErrBarcodeData, err))
		return
	}
	const quiet = 4
	scale := min(6, p.dots()/(c.Size+2*quiet))
	if scale < 1 {
		e.fail(fmt.Errorf("%w: a QR code of %d modules does not fit %d dots", ErrBarcodeData, c.Size, p.dots()))
		return
	}
	e.Raster(c.Bitmap(1, quiet), scale)
}
