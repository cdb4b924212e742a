package qrcode

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
)

// The renderers take the size of a module in pixels (scale) and the width of
// the light quiet zone around the symbol in modules (quiet; the standard asks
// for 4, and scanners struggle with less). A scale below 1 is taken as 1 and
// a negative quiet zone as none.

func clamp(scale, quiet int) (int, int) {
	return max(scale, 1), max(quiet, 0)
}

// Bitmap returns the code as rows of pixels, true for dark, quiet zone
// included: Bitmap(s, q)[y][x] for y, x < (Size+2q)·s. Receipt printers take
// it as a raster image.
func (c *Code) Bitmap(scale, quiet int) [][]bool {
	scale, quiet = clamp(scale, quiet)
	n := (c.Size + 2*quiet) * scale
	rows := make([][]bool, n)
	pix := make([]bool, n*n)
	for y := range rows {
		row := pix[y*n : (y+1)*n]
		my := y/scale - quiet
		for x := range row {
			row[x] = c.Black(x/scale-quiet, my)
		}
		rows[y] = row
	}
	return rows
}

// PNG returns the code as a black-on-white PNG of (Size+2·quiet)·scale pixels
// square, one bit per pixel.
func (c *Code) PNG(scale, quiet int) ([]byte, error) {
	scale, quiet = clamp(scale, quiet)
	n := (c.Size + 2*quiet) * scale
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y := 0; y < n; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+n]
		my := y/scale - quiet
		for x := range row {
			if c.Black(x/scale-quiet, my) {
				row[x] = 1
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG returns the code as a standalone SVG document: a white square and one
// path of the dark modules, one rectangle per horizontal run, with
// crispEdges so that browsers do not blur or seam the modules. The viewBox is
// in modules and the width and height in pixels, scale per module; CSS may
// resize it freely.
func (c *Code) SVG(scale, quiet int) string {
	scale, quiet = clamp(scale, quiet)
	n := c.Size + 2*quiet
	var b strings.Builder
	b.Grow(64 + c.Size*c.Size)
	num := func(v int) { b.WriteString(strconv.Itoa(v)) }
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	num(n)
	b.WriteByte(' ')
	num(n)
	b.WriteString(`" width="`)
	num(n * scale)
	b.WriteString(`" height="`)
	num(n * scale)
	b.WriteString(`" shape-rendering="crispEdges"><path fill="#fff" d="M0 0h`)
	num(n)
	b.WriteByte('v')
	num(n)
	b.WriteString(`H0z"/><path fill="#000" d="`)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; {
			if !c.Black(x, y) {
				x++
				continue
			}
			start := x
			for x < c.Size && c.Black(x, y) {
				x++
			}
			b.WriteByte('M')
			num(start + quiet)
			b.WriteByte(' ')
			num(y + quiet)
			b.WriteByte('h')
			num(x - start)
			b.WriteString("v1h-")
			num(x - start)
			b.WriteByte('z')
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
