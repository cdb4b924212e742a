package qrcode

// matrix is a symbol under construction: dark modules and which modules
// belong to function patterns (and so are neither data nor masked).
type matrix struct {
	size int
	dark []bool
	fn   []bool
}

func newMatrix(v int) *matrix {
	size := 17 + 4*v
	return &matrix{size: size, dark: make([]bool, size*size), fn: make([]bool, size*size)}
}

func (m *matrix) setFn(x, y int, dark bool) {
	m.dark[y*m.size+x] = dark
	m.fn[y*m.size+x] = true
}

// build lays out the final codewords of version v and picks the mask with
// the lowest penalty.
func build(codewords []byte, v int, level Level) *Code {
	m := newMatrix(v)
	m.drawFunctionPatterns(v)
	m.placeData(codewords)

	best, bestScore := -1, 0
	var bestDark []bool
	trial := make([]bool, len(m.dark))
	for mask := 0; mask < 8; mask++ {
		copy(trial, m.dark)
		m.applyMask(trial, mask)
		drawFormat(trial, m.size, level, mask)
		if score := penalty(trial, m.size); best < 0 || score < bestScore {
			best, bestScore = mask, score
			bestDark = append(bestDark[:0], trial...)
		}
	}
	return &Code{Version: v, Level: level, Mask: best, Size: m.size, modules: bestDark}
}

// drawFunctionPatterns draws everything but the data and the format
// information, and reserves the format information's modules so that
// placeData skips them.
func (m *matrix) drawFunctionPatterns(v int) {
	size := m.size
	for i := 0; i < size; i++ {
		m.setFn(6, i, i%2 == 0)
		m.setFn(i, 6, i%2 == 0)
	}
	// Finders after timing: they overwrite its ends.
	m.drawFinder(3, 3)
	m.drawFinder(size-4, 3)
	m.drawFinder(3, size-4)

	pos := alignmentPositions(v)
	for i, x := range pos {
		for j, y := range pos {
			// Skip the three corners taken by finders.
			if (i == 0 && j == 0) || (i == 0 && j == len(pos)-1) || (i == len(pos)-1 && j == 0) {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					d := max(abs(dx), abs(dy))
					m.setFn(x+dx, y+dy, d != 1)
				}
			}
		}
	}

	// Reserve the format information; build draws it once per mask.
	for i := 0; i <= 8; i++ {
		m.fn[8*size+i] = true // row 8, left
		m.fn[i*size+8] = true // column 8, top
	}
	for i := 0; i < 8; i++ {
		m.fn[8*size+size-1-i] = true   // row 8, right
		m.fn[(size-1-i)*size+8] = true // column 8, bottom
	}
	m.setFn(8, size-8, true) // the dark module

	if v >= 7 {
		bits := versionBits(v)
		for i := 0; i < 18; i++ {
			dark := bits>>uint(i)&1 != 0
			a, b := size-11+i%3, i/3
			m.setFn(a, b, dark) // top right: 3 wide, 6 high
			m.setFn(b, a, dark) // bottom left: 6 wide, 3 high
		}
	}
}

// drawFinder draws a finder pattern centred on (cx, cy) with its separator,
// clipped to the symbol.
func (m *matrix) drawFinder(cx, cy int) {
	for dy := -4; dy <= 4; dy++ {
		for dx := -4; dx <= 4; dx++ {
			x, y := cx+dx, cy+dy
			if x < 0 || y < 0 || x >= m.size || y >= m.size {
				continue
			}
			d := max(abs(dx), abs(dy))
			m.setFn(x, y, d != 2 && d != 4)
		}
	}
}

// placeData writes the codewords, most significant bit first, in the
// two-module-wide zigzag from the bottom right corner, skipping function
// modules and the vertical timing column. Modules left over are the
// remainder bits and stay light.
func (m *matrix) placeData(codewords []byte) {
	size := m.size
	i, total := 0, len(codewords)*8
	for right := size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for k := 0; k < size; k++ {
			y := k
			if upward {
				y = size - 1 - k
			}
			for _, x := range [2]int{right, right - 1} {
				if m.fn[y*size+x] {
					continue
				}
				if i < total {
					m.dark[y*size+x] = codewords[i/8]>>(7-uint(i%8))&1 != 0
					i++
				}
			}
		}
	}
}

// applyMask inverts the data modules of dark where mask's condition holds.
func (m *matrix) applyMask(dark []bool, mask int) {
	cond := maskConditions[mask]
	for y := 0; y < m.size; y++ {
		for x := 0; x < m.size; x++ {
			if !m.fn[y*m.size+x] && cond(y, x) {
				dark[y*m.size+x] = !dark[y*m.size+x]
			}
		}
	}
}

// maskConditions are the eight data mask patterns of ISO/IEC 18004 table 10,
// with i the row and j the column.
var maskConditions = [8]func(i, j int) bool{
	func(i, j int) bool { return (i+j)%2 == 0 },
	func(i, j int) bool { return i%2 == 0 },
	func(i, j int) bool { return j%3 == 0 },
	func(i, j int) bool { return (i+j)%3 == 0 },
	func(i, j int) bool { return (i/2+j/3)%2 == 0 },
	func(i, j int) bool { return i*j%2+i*j%3 == 0 },
	func(i, j int) bool { return (i*j%2+i*j%3)%2 == 0 },
	func(i, j int) bool { return ((i+j)%2+i*j%3)%2 == 0 },
}

// bchRemainder returns the remainder of value·x^(deg gen) divided by gen,
// both as polynomials over GF(2).
func bchRemainder(value, gen uint32) uint32 {
	deg := 0
	for g := gen; g > 1; g >>= 1 {
		deg++
	}
	r := value << uint(deg)
	for i := 31; i >= deg; i-- {
		if r>>uint(i)&1 != 0 {
			r ^= gen << uint(i-deg)
		}
	}
	return r
}

// formatBits is the 15-bit format information: the level's two bits and the
// mask, BCH(15,5) protected and XORed with 0x5412 so it is never all light.
func formatBits(level Level, mask int) uint32 {
	data := [...]uint32{L: 0b01, M: 0b00, Q: 0b11, H: 0b10}[level]<<3 | uint32(mask)
	return (data<<10 | bchRemainder(data, 0x537)) ^ 0x5412
}

// versionBits is the 18-bit version information, BCH(18,6) protected.
func versionBits(v int) uint32 {
	return uint32(v)<<12 | bchRemainder(uint32(v), 0x1f25)
}

// drawFormat writes both copies of the format information into dark. Bit 0
// is the least significant bit.
func drawFormat(dark []bool, size int, level Level, mask int) {
	bits := formatBits(level, mask)
	set := func(x, y, i int) { dark[y*size+x] = bits>>uint(i)&1 != 0 }
	// Around the top-left finder: up column 8, then left along row 8,
	// stepping over the timing patterns.
	for i := 0; i <= 5; i++ {
		set(8, i, i)
	}
	set(8, 7, 6)
	set(8, 8, 7)
	set(7, 8, 8)
	for i := 9; i < 15; i++ {
		set(14-i, 8, i)
	}
	// Split between the other two finders.
	for i := 0; i < 8; i++ {
		set(size-1-i, 8, i)
	}
	for i := 8; i < 15; i++ {
		set(8, size-15+i, i)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
