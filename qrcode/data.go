package qrcode

// mode is how a segment's characters become bits.
type mode int

const (
	modeNumeric mode = iota
	modeAlphanumeric
	modeByte
)

func (m mode) String() string {
	return [...]string{"numeric", "alphanumeric", "byte"}[m]
}

// indicator is the four-bit mode indicator.
func (m mode) indicator() uint32 {
	return [...]uint32{0b0001, 0b0010, 0b0100}[m]
}

// countBits is the width of the character count field in version v.
func (m mode) countBits(v int) int {
	i := 0
	if v >= 27 {
		i = 2
	} else if v >= 10 {
		i = 1
	}
	return [3][3]int{{10, 12, 14}, {9, 11, 13}, {8, 16, 16}}[m][i]
}

const alphanumericSet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// alphanumericValue maps a byte to its value in the alphanumeric set, or -1.
var alphanumericValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(alphanumericSet); i++ {
		t[alphanumericSet[i]] = int8(i)
	}
	return t
}()

// modeFor returns the densest single mode that can hold all of data.
func modeFor(data string) mode {
	m := modeNumeric
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c >= '0' && c <= '9':
		case alphanumericValue[c] >= 0:
			m = modeAlphanumeric
		default:
			return modeByte
		}
	}
	return m
}

// segmentBits is the length of one segment of n characters in mode m, header
// included, in version v.
func segmentBits(m mode, n, v int) int {
	bits := 4 + m.countBits(v)
	switch m {
	case modeNumeric:
		bits += 10*(n/3) + [3]int{0, 4, 7}[n%3]
	case modeAlphanumeric:
		bits += 11*(n/2) + 6*(n%2)
	default:
		bits += 8 * n
	}
	return bits
}

// bitWriter appends bits most significant first.
type bitWriter struct {
	buf []byte
	n   int // bits written
}

func (w *bitWriter) write(v uint32, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>uint(i)&1 != 0 {
			w.buf[w.n/8] |= 0x80 >> uint(w.n%8)
		}
		w.n++
	}
}

// encodeData returns the data codewords of version v at level: the segment,
// the terminator, zero bits to a byte boundary and the pad codewords.
// The caller has checked that the segment fits.
func encodeData(data string, m mode, v int, level Level) []byte {
	capacity := dataCodewords(v, level) * 8
	w := &bitWriter{buf: make([]byte, 0, capacity/8)}
	w.write(m.indicator(), 4)
	w.write(uint32(len(data)), m.countBits(v))
	switch m {
	case modeNumeric:
		for i := 0; i < len(data); i += 3 {
			group := data[i:min(i+3, len(data))]
			var x uint32
			for j := 0; j < len(group); j++ {
				x = x*10 + uint32(group[j]-'0')
			}
			w.write(x, 3*len(group)+1) // 10, 7 or 4 bits
		}
	case modeAlphanumeric:
		for i := 0; i < len(data); i += 2 {
			x := uint32(alphanumericValue[data[i]])
			if i+1 < len(data) {
				w.write(x*45+uint32(alphanumericValue[data[i+1]]), 11)
			} else {
				w.write(x, 6)
			}
		}
	default:
		for i := 0; i < len(data); i++ {
			w.write(uint32(data[i]), 8)
		}
	}
	w.write(0, min(4, capacity-w.n))
	w.write(0, (8-w.n%8)%8)
	for pad := uint32(0xec); w.n < capacity; pad ^= 0xec ^ 0x11 {
		w.write(pad, 8)
	}
	return w.buf
}
