package qrcode

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kasirpos/kasir/qrcode/zbar"
)

// slowMul multiplies in GF(2^8) the long way: carry-less multiplication,
// reducing by 0x11D as it goes.
func slowMul(a, b byte) byte {
	var p uint16
	x := uint16(a)
	for ; b != 0; b >>= 1 {
		if b&1 != 0 {
			p ^= x
		}
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11d
		}
	}
	return byte(p)
}

func TestGF(t *testing.T) {
	// α^8 = α^4+α^3+α^2+1 is the reducing polynomial at work.
	if got, want := gfExp[8], byte(0x1d); got != want {
		t.Errorf("α^8 = %#x, want %#x", got, want)
	}
	if got, want := gfExp[255], byte(1); got != want {
		t.Errorf("α^255 = %#x, want %#x", got, want)
	}
	seen := map[byte]bool{}
	for i := 0; i < 255; i++ {
		if seen[gfExp[i]] {
			t.Fatalf("α^%d = %#x repeats: α is not a generator", i, gfExp[i])
		}
		seen[gfExp[i]] = true
		if got := gfLog[gfExp[i]]; int(got) != i {
			t.Errorf("log(α^%d) = %d", i, got)
		}
	}
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			if got, want := gfMul(byte(a), byte(b)), slowMul(byte(a), byte(b)); got != want {
				t.Fatalf("gfMul(%#x, %#x) = %#x, want %#x", a, b, got, want)
			}
		}
	}
}

func TestRSGenerator(t *testing.T) {
	// Exponents of α of the generator's coefficients, highest power first,
	// as tabulated in ISO/IEC 18004 annex A.
	tests := map[int][]int{
		7:  {0, 87, 229, 146, 149, 238, 102, 21},
		10: {0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45},
		13: {0, 74, 152, 176, 100, 86, 100, 106, 104, 130, 218, 206, 140, 78},
	}
	for n, want := range tests {
		g := rsGenerator(n)
		got := make([]int, len(g))
		for i, c := range g {
			got[i] = int(gfLog[c])
		}
		if !slices.Equal(got, want) {
			t.Errorf("generator %d: exponents %v, want %v", n, got, want)
		}
	}
}

// TestISOExample encodes the worked example of ISO/IEC 18004 annex I:
// "01234567" in version 1-M.
func TestISOExample(t *testing.T) {
	wantData := []byte{0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11}
	wantECC := []byte{0xa5, 0x24, 0xd4, 0xc1, 0xed, 0x36, 0xc7, 0x87, 0x2c, 0x55}

	m := modeFor("01234567")
	if m != modeNumeric {
		t.Fatalf("mode %v, want numeric", m)
	}
	v, ok := fitVersion(m, 8, M)
	if !ok || v != 1 {
		t.Fatalf("version %d, %v; want 1", v, ok)
	}
	data := encodeData("01234567", m, v, M)
	if !bytes.Equal(data, wantData) {
		t.Errorf("data codewords\n got % x\nwant % x", data, wantData)
	}
	if got := rsRemainder(wantData, rsGenerator(10)); !bytes.Equal(got, wantECC) {
		t.Errorf("ECC codewords\n got % x\nwant % x", got, wantECC)
	}
	if got, want := addECC(data, v, M), append(wantData, wantECC...); !bytes.Equal(got, want) {
		t.Errorf("final codewords\n got % x\nwant % x", got, want)
	}
}

// TestInterleave checks a version with blocks of two lengths: 5-Q has two
// blocks of 15 data codewords and two of 16, each with 18 ECC codewords.
func TestInterleave(t *testing.T) {
	data := make([]byte, dataCodewords(5, Q))
	if len(data) != 62 {
		t.Fatalf("5-Q holds %d data codewords, want 62", len(data))
	}
	for i := range data {
		data[i] = byte(i)
	}
	out := addECC(data, 5, Q)
	if len(out) != 134 {
		t.Fatalf("%d codewords, want 134", len(out))
	}
	wantHead := []byte{0, 15, 30, 46, 1, 16, 31, 47}
	if got := out[:8]; !bytes.Equal(got, wantHead) {
		t.Errorf("first codewords % d, want % d", got, wantHead)
	}
	// After 15 rounds of four, only the long blocks have one left.
	if got, want := out[60:62], []byte{45, 61}; !bytes.Equal(got, want) {
		t.Errorf("last data codewords % d, want % d", got, want)
	}
	gen := rsGenerator(18)
	blocks := [][]byte{data[0:15], data[15:30], data[30:46], data[46:62]}
	for b, block := range blocks {
		ecc := rsRemainder(block, gen)
		for i, e := range ecc {
			if got := out[62+4*i+b]; got != e {
				t.Fatalf("block %d ECC %d = %#x, want %#x", b, i, got, e)
			}
		}
	}
}

func TestFormatBits(t *testing.T) {
	// ISO/IEC 18004 table C.1, masks 0 to 7 for each level.
	want := map[Level][8]uint32{
		L: {0x77c4, 0x72f3, 0x7daa, 0x789d, 0x662f, 0x6318, 0x6c41, 0x6976},
		M: {0x5412, 0x5125, 0x5e7c, 0x5b4b, 0x45f9, 0x40ce, 0x4f97, 0x4aa0},
		Q: {0x355f, 0x3068, 0x3f31, 0x3a06, 0x24b4, 0x2183, 0x2eda, 0x2bed},
		H: {0x1689, 0x13be, 0x1ce7, 0x19d0, 0x0762, 0x0255, 0x0d0c, 0x083b},
	}
	for level, masks := range want {
		for mask, w := range masks {
			if got := formatBits(level, mask); got != w {
				t.Errorf("format %s mask %d = %015b, want %015b", level, mask, got, w)
			}
		}
	}
}

func TestVersionBits(t *testing.T) {
	// ISO/IEC 18004 table D.1, versions 7 to 40.
	want := []uint32{
		0x07c94, 0x085bc, 0x09a99, 0x0a4d3, 0x0bbf6, 0x0c762, 0x0d847, 0x0e60d,
		0x0f928, 0x10b78, 0x1145d, 0x12a17, 0x13532, 0x149a6, 0x15683, 0x168c9,
		0x177ec, 0x18ec4, 0x191e1, 0x1afab, 0x1b08e, 0x1cc1a, 0x1d33f, 0x1ed75,
		0x1f250, 0x209d5, 0x216f0, 0x228ba, 0x2379f, 0x24b0b, 0x2542e, 0x26a64,
		0x27541, 0x28c69,
	}
	for i, w := range want {
		v := 7 + i
		if got := versionBits(v); got != w {
			t.Errorf("version %d info = %018b, want %018b", v, got, w)
		}
	}
}

func TestAlignmentPositions(t *testing.T) {
	// ISO/IEC 18004 table E.1.
	want := [41][]int{
		2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
		7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50},
		11: {6, 30, 54}, 12: {6, 32, 58}, 13: {6, 34, 62},
		14: {6, 26, 46, 66}, 15: {6, 26, 48, 70}, 16: {6, 26, 50, 74},
		17: {6, 30, 54, 78}, 18: {6, 30, 56, 82}, 19: {6, 30, 58, 86},
		20: {6, 34, 62, 90},
		21: {6, 28, 50, 72, 94}, 22: {6, 26, 50, 74, 98}, 23: {6, 30, 54, 78, 102},
		24: {6, 28, 54, 80, 106}, 25: {6, 32, 58, 84, 110}, 26: {6, 30, 58, 86, 114},
		27: {6, 34, 62, 90, 118},
		28: {6, 26, 50, 74, 98, 122}, 29: {6, 30, 54, 78, 102, 126},
		30: {6, 26, 52, 78, 104, 130}, 31: {6, 30, 56, 82, 108, 134},
		32: {6, 34, 60, 86, 112, 138}, 33: {6, 30, 58, 86, 114, 142},
		34: {6, 34, 62, 90, 118, 146},
		35: {6, 30, 54, 78, 102, 126, 150}, 36: {6, 24, 50, 76, 102, 128, 154},
		37: {6, 28, 54, 80, 106, 132, 158}, 38: {6, 32, 58, 84, 110, 136, 162},
		39: {6, 26, 54, 82, 110, 138, 166}, 40: {6, 30, 58, 86, 114, 142, 170},
	}
	for v := 1; v <= 40; v++ {
		if got := alignmentPositions(v); !slices.Equal(got, want[v]) {
			t.Errorf("version %d: %v, want %v", v, got, want[v])
		}
	}
}

func TestBlockTables(t *testing.T) {
	// Total codewords per version from ISO/IEC 18004 table 1.
	total := map[int]int{1: 26, 2: 44, 7: 196, 10: 346, 14: 581, 21: 1156, 27: 1828, 40: 3706}
	for v, want := range total {
		if got := totalCodewords(v); got != want {
			t.Errorf("version %d: %d codewords, want %d", v, got, want)
		}
	}
	for v := 1; v <= 40; v++ {
		for _, l := range []Level{L, M, Q, H} {
			blocks, ecc := int(eccBlocks[l][v]), int(eccPerBlock[l][v])
			shortLen := totalCodewords(v)/blocks - ecc
			if shortLen < 1 || ecc < 7 || ecc > 30 {
				t.Errorf("%d-%s: %d blocks of %d+%d codewords", v, l, blocks, shortLen, ecc)
			}
			if v > 1 && dataCodewords(v, l) <= dataCodewords(v-1, l) {
				t.Errorf("%d-%s holds no more than %d-%s", v, l, v-1, l)
			}
		}
	}
}

// TestCapacity checks the largest inputs against ISO/IEC 18004 table 7.
func TestCapacity(t *testing.T) {
	tests := []struct {
		level                 Level
		numeric, alnum, bytes int
		version               int
	}{
		{level: L, numeric: 41, alnum: 25, bytes: 17, version: 1},
		{level: M, numeric: 34, alnum: 20, bytes: 14, version: 1},
		{level: Q, numeric: 27, alnum: 16, bytes: 11, version: 1},
		{level: H, numeric: 17, alnum: 10, bytes: 7, version: 1},
		{level: L, numeric: 7089, alnum: 4296, bytes: 2953, version: 40},
		{level: M, numeric: 5596, alnum: 3391, bytes: 2331, version: 40},
		{level: Q, numeric: 3993, alnum: 2420, bytes: 1663, version: 40},
		{level: H, numeric: 3057, alnum: 1852, bytes: 1273, version: 40},
	}
	for _, tt := range tests {
		for _, in := range []struct {
			name string
			char string
			n    int
		}{{"numeric", "7", tt.numeric}, {"alphanumeric", "Z", tt.alnum}, {"byte", "z", tt.bytes}} {
			t.Run(fmt.Sprintf("%d-%s/%s", tt.version, tt.level, in.name), func(t *testing.T) {
				c, err := Encode(strings.Repeat(in.char, in.n), tt.level)
				if err != nil {
					t.Fatalf("%d characters: %v", in.n, err)
				}
				if c.Version != tt.version {
					t.Errorf("%d characters: version %d, want %d", in.n, c.Version, tt.version)
				}
				c, err = Encode(strings.Repeat(in.char, in.n+1), tt.level)
				if tt.version == 40 {
					if !errors.Is(err, ErrTooLong) {
						t.Errorf("%d characters: %v, want ErrTooLong", in.n+1, err)
					}
				} else if err != nil || c.Version != tt.version+1 {
					t.Errorf("%d characters: %v, want version %d", in.n+1, err, tt.version+1)
				}
			})
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	_, err := Encode(strings.Repeat("a", 3000), M)
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("3000 bytes at M: %v, want ErrTooLong", err)
	}
	if got, want := err.Error(), "qrcode: data too long for a QR code: 3000 characters in byte mode need 24020 bits, version 40-M holds 18672"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if _, err := Encode("x", Level(4)); err == nil || errors.Is(err, ErrTooLong) {
		t.Errorf("level 4: %v, want an unknown level error", err)
	}
}

func TestModeFor(t *testing.T) {
	tests := []struct {
		in   string
		want mode
	}{
		{"", modeNumeric},
		{"0123456789", modeNumeric},
		{"HELLO WORLD $%*+-./:", modeAlphanumeric},
		{"Hello", modeByte},
		{"12#", modeByte},
		{"caf\xc3\xa9", modeByte},
	}
	for _, tt := range tests {
		if got := modeFor(tt.in); got != tt.want {
			t.Errorf("modeFor(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// checkStructure checks what every symbol must have whatever its data:
// size, finders with separators, timing patterns, the dark module, both
// copies of the format information and, from version 7, of the version
// information. It is shared by the tests and the fuzz target.
func checkStructure(t *testing.T, c *Code, level Level) {
	t.Helper()
	if c.Version < 1 || c.Version > 40 || c.Size != 17+4*c.Version || c.Level != level || c.Mask < 0 || c.Mask > 7 {
		t.Fatalf("version %d, size %d, level %s, mask %d", c.Version, c.Size, c.Level, c.Mask)
	}
	if len(c.modules) != c.Size*c.Size {
		t.Fatalf("%d modules for size %d", len(c.modules), c.Size)
	}
	n := c.Size
	for _, corner := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for dy := -1; dy <= 7; dy++ {
			for dx := -1; dx <= 7; dx++ {
				x, y := corner[0]+dx, corner[1]+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				d := max(abs(dx-3), abs(dy-3))
				if want := d != 2 && d != 4; c.Black(x, y) != want {
					t.Fatalf("finder at (%d,%d): module (%d,%d) dark=%v", corner[0], corner[1], x, y, !want)
				}
			}
		}
	}
	for i := 8; i < n-8; i++ {
		if c.Black(i, 6) != (i%2 == 0) || c.Black(6, i) != (i%2 == 0) {
			t.Fatalf("timing pattern broken at %d", i)
		}
	}
	if !c.Black(8, n-8) {
		t.Fatal("dark module is light")
	}
	var first, second uint32
	bit := func(x, y int) uint32 {
		if c.Black(x, y) {
			return 1
		}
		return 0
	}
	for i := 0; i <= 5; i++ {
		first |= bit(8, i) << i
	}
	first |= bit(8, 7)<<6 | bit(8, 8)<<7 | bit(7, 8)<<8
	for i := 9; i < 15; i++ {
		first |= bit(14-i, 8) << i
	}
	for i := 0; i < 8; i++ {
		second |= bit(n-1-i, 8) << i
	}
	for i := 8; i < 15; i++ {
		second |= bit(8, n-15+i) << i
	}
	if want := formatBits(level, c.Mask); first != want || second != want {
		t.Fatalf("format information %015b and %015b, want %015b", first, second, want)
	}
	if c.Version >= 7 {
		var tr, bl uint32
		for i := 0; i < 18; i++ {
			tr |= bit(n-11+i%3, i/3) << i
			bl |= bit(i/3, n-11+i%3) << i
		}
		if want := versionBits(c.Version); tr != want || bl != want {
			t.Fatalf("version information %018b and %018b, want %018b", tr, bl, want)
		}
	}
}

func TestStructure(t *testing.T) {
	for v := 1; v <= 40; v++ {
		for _, l := range []Level{L, M, Q, H} {
			c, err := Encode(strings.Repeat("k", maxChars(modeByte, v, l)), l)
			if err != nil {
				t.Fatal(err)
			}
			checkStructure(t, c, l)
		}
	}
}

// TestMaskChoice checks that the chosen mask scores lowest of the eight.
func TestMaskChoice(t *testing.T) {
	for _, data := range []string{"hello", "01234567", strings.Repeat("QRIS", 40)} {
		c, err := Encode(data, M)
		if err != nil {
			t.Fatal(err)
		}
		m := newMatrix(c.Version)
		m.drawFunctionPatterns(c.Version)
		md := modeFor(data)
		m.placeData(addECC(encodeData(data, md, c.Version, M), c.Version, M))
		chosen := penalty(c.modules, c.Size)
		for mask := 0; mask < 8; mask++ {
			trial := slices.Clone(m.dark)
			m.applyMask(trial, mask)
			drawFormat(trial, m.size, M, mask)
			if mask == c.Mask && !slices.Equal(trial, c.modules) {
				t.Errorf("%q: symbol differs from mask %d applied afresh", data, mask)
			}
			if score := penalty(trial, m.size); score < chosen {
				t.Errorf("%q: mask %d scores %d, below chosen mask %d's %d", data, mask, score, c.Mask, chosen)
			}
		}
	}
}

func TestPenaltyRules(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{"0101010101", 0},
		{"1111101010", 3},       // N1: five in a row
		{"0000000101", 3 + 2},   // N1: seven in a row
		{"10111010000", 40},     // N3; four light is no N1 run
		{"00001011101", 40},     // N3 the other way round
		{"000010111010000", 80}, // both ways, sharing the dark core
	}
	for _, tt := range tests {
		line := make([]bool, len(tt.line))
		for i, c := range tt.line {
			line[i] = c == '1'
		}
		if got := linePenalty(line); got != tt.want {
			t.Errorf("linePenalty(%s) = %d, want %d", tt.line, got, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	c, err := Encode("00020101021126570011ID.DANA.WWW", M)
	if err != nil {
		t.Fatal(err)
	}
	const scale, quiet = 3, 4
	n := (c.Size + 2*quiet) * scale

	bm := c.Bitmap(scale, quiet)
	if len(bm) != n || len(bm[0]) != n {
		t.Fatalf("bitmap %d×%d, want %d×%d", len(bm[0]), len(bm), n, n)
	}
	for y := range n {
		for x := range n {
			if want := c.Black(x/scale-quiet, y/scale-quiet); bm[y][x] != want {
				t.Fatalf("bitmap (%d,%d) = %v, want %v", x, y, bm[y][x], want)
			}
		}
	}

	b, err := c.PNG(scale, quiet)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, n, n) {
		t.Fatalf("PNG bounds %v, want %d×%d", got, n, n)
	}
	for y := range n {
		for x := range n {
			r, _, _, _ := img.At(x, y).RGBA()
			if dark := r < 0x8000; dark != bm[y][x] {
				t.Fatalf("PNG (%d,%d) dark=%v, want %v", x, y, dark, bm[y][x])
			}
		}
	}

	// The SVG must parse as XML, and its path must cover exactly the dark
	// modules.
	svg := c.SVG(scale, quiet)
	var doc struct {
		ViewBox string `xml:"viewBox,attr"`
		Width   int    `xml:"width,attr"`
		Shape   string `xml:"shape-rendering,attr"`
		Paths   []struct {
			Fill string `xml:"fill,attr"`
			D    string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("SVG does not parse: %v", err)
	}
	m := c.Size + 2*quiet
	if doc.ViewBox != fmt.Sprintf("0 0 %d %d", m, m) || doc.Width != n || doc.Shape != "crispEdges" || len(doc.Paths) != 2 {
		t.Fatalf("SVG header: %+v", doc)
	}
	covered := make([]bool, c.Size*c.Size)
	for _, run := range strings.Split(strings.TrimSuffix(doc.Paths[1].D, "z"), "z") {
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(run, "M%d %dh%dv1h-%d", &x, &y, &w, &w2); err != nil || w != w2 {
			t.Fatalf("path run %q: %v", run, err)
		}
		for i := range w {
			covered[(y-quiet)*c.Size+x-quiet+i] = true
		}
	}
	if !slices.Equal(covered, c.modules) {
		t.Error("SVG path does not cover exactly the dark modules")
	}
}

// maxChars is the most characters of mode m that version v holds at level.
func maxChars(m mode, v int, level Level) int {
	avail := dataCodewords(v, level)*8 - 4 - m.countBits(v)
	switch m {
	case modeNumeric:
		return 3*(avail/10) + [10]int{0, 0, 0, 0, 1, 1, 1, 2, 2, 2}[avail%10]
	case modeAlphanumeric:
		return 2*(avail/11) + min(avail%11/6, 1)
	}
	return avail / 8
}

type sample struct {
	name  string
	data  string
	level Level
	want  int // version Encode must pick; 0 for any
}

// roundTrip encodes each sample, writes it as a PNG and has zbarimg decode
// them all in one run; only when that disagrees does it decode them one by
// one to say which failed.
func roundTrip(t *testing.T, samples []sample) {
	zbarPath := zbar.Path(t)
	dir := t.TempDir()
	files := make([]string, len(samples))
	codes := make([]*Code, len(samples))
	var want strings.Builder
	for i, s := range samples {
		c, err := Encode(s.data, s.level)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.want != 0 && c.Version != s.want {
			t.Errorf("%s: version %d, want %d", s.name, c.Version, s.want)
		}
		b, err := c.PNG(3, 4)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = filepath.Join(dir, fmt.Sprintf("%03d.png", i))
		if err := os.WriteFile(files[i], b, 0o644); err != nil {
			t.Fatal(err)
		}
		codes[i] = c
		want.WriteString(s.data + "\n")
	}
	got, err := zbar.Decode(zbarPath, files...)
	if err == nil && got == want.String() {
		return
	}
	t.Logf("zbarimg on all %d: %v", len(files), err)
	for i, s := range samples {
		got, err := zbar.Decode(zbarPath, files[i])
		if got != s.data+"\n" {
			c := codes[i]
			t.Errorf("%s (version %d-%s, mask %d): zbarimg = %q, %v\nwant %q", s.name, c.Version, c.Level, c.Mask, got, err, s.data)
		}
	}
}

// qrisSample is shaped like a dynamic QRIS payload: EMVCo tag-length-value
// fields, merchant account information, amount, merchant name and city, and
// the CRC field (6304) last.
const qrisSample = "00020101021226660014ID.CO.QRIS.WWW01189360091530000000000214" +
	"ID10200000000010303UMI51440014ID.CO.QRIS.WWW0215ID10200000000010303UMI" +
	"520454995303360540815000.005802ID5920Toko Kelontong Sejah6013Kota Bandung" +
	"61054011162290525kasir-7f3a9c2e-0042-sale010703A010804POSQ63041A2B"

func TestRoundTrip(t *testing.T) {
	if len(qrisSample) < 240 {
		t.Fatalf("QRIS sample is %d characters", len(qrisSample))
	}
	samples := []sample{
		{name: "short", data: "hello", level: M, want: 1},
		{name: "QRIS", data: qrisSample, level: M},
		{name: "QRIS at H", data: qrisSample, level: H},
		{name: "QRIS 512", data: (qrisSample + qrisSample + qrisSample)[:512], level: M},
		{name: "numeric", data: "01234567", level: M, want: 1},
		{name: "numeric long", data: strings.Repeat("3141592653", 30), level: Q},
		{name: "alphanumeric", data: "HELLO WORLD", level: Q, want: 1},
		{name: "alphanumeric long", data: strings.Repeat("ID.CO.QRIS.WWW $%*+-/:", 10), level: L},
		{name: "lowercase bytes", data: "terima kasih sudah berbelanja di toko kami", level: L},
		{name: "punctuation", data: `{"sale":"T01-000042","total":15000}`, level: M},
	}
	roundTrip(t, samples)
}

// TestRoundTripSweep decodes the fullest symbol of every version at every
// level, so that each entry of the block tables meets a real decoder, and
// checks that Encode picks exactly that version.
func TestRoundTripSweep(t *testing.T) {
	rng := rand.New(rand.NewPCG(18004, 2015))
	charset := map[mode]string{
		modeNumeric:      "0123456789",
		modeAlphanumeric: alphanumericSet,
		modeByte:         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
	}
	// The first character makes sure the string needs its mode.
	first := map[mode]byte{modeNumeric: '9', modeAlphanumeric: 'Q', modeByte: 'q'}
	var samples []sample
	for v := 1; v <= 40; v++ {
		for _, l := range []Level{L, M, Q, H} {
			m := mode((v + int(l)) % 3)
			n := maxChars(m, v, l)
			b := make([]byte, n)
			b[0] = first[m]
			for i := 1; i < n; i++ {
				b[i] = charset[m][rng.IntN(len(charset[m]))]
			}
			samples = append(samples, sample{name: fmt.Sprintf("%d-%s %s", v, l, m), data: string(b), level: l, want: v})
		}
	}
	roundTrip(t, samples)
}

func BenchmarkEncodeQRIS(b *testing.B) {
	for b.Loop() {
		if _, err := Encode(qrisSample, M); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzEncode(f *testing.F) {
	f.Add("hello", byte(M))
	f.Add("01234567", byte(M))
	f.Add("HELLO WORLD", byte(Q))
	f.Add(qrisSample, byte(H))
	f.Add("", byte(L))
	f.Add("caf\xc3\xa9 \x00\xff", byte(L))
	f.Fuzz(func(t *testing.T, data string, lv byte) {
		level := Level(lv % 4)
		c, err := Encode(data, level)
		if err != nil {
			// Byte mode at H holds the fewest characters: 1273.
			if !errors.Is(err, ErrTooLong) || len(data) <= 1273 {
				t.Fatalf("Encode(%d bytes, %s): %v", len(data), level, err)
			}
			return
		}
		checkStructure(t, c, level)
	})
}
