package qrcode

import (
	"errors"
	"fmt"
)

// Level is an error correction level: the share of a code that may be
// damaged or hidden and still scan. The zero value is L.
type Level int

const (
	L Level = iota // about 7% recoverable
	M              // about 15%
	Q              // about 25%
	H              // about 30%
)

func (l Level) String() string {
	switch l {
	case L:
		return "L"
	case M:
		return "M"
	case Q:
		return "Q"
	case H:
		return "H"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ErrTooLong is returned, wrapped with the sizes involved, when the data does
// not fit a version 40 symbol at the requested level.
var ErrTooLong = errors.New("qrcode: data too long for a QR code")

// Code is an encoded QR code symbol, without its quiet zone.
type Code struct {
	Version int   // 1 to 40
	Level   Level // error correction level
	Mask    int   // data mask pattern, 0 to 7
	Size    int   // modules per side: 17 + 4*Version

	modules []bool // row-major, true is dark
}

// Black reports whether the module in column x, row y is dark. Modules
// outside the symbol are light, as the quiet zone is.
func (c *Code) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= c.Size || y >= c.Size {
		return false
	}
	return c.modules[y*c.Size+x]
}

// Encode encodes data in the smallest version that holds it at level, in
// numeric or alphanumeric mode when every character allows it and in byte
// mode (the string's bytes as they are) otherwise. It returns an error
// wrapping ErrTooLong when no version holds the data.
func Encode(data string, level Level) (*Code, error) {
	if level < L || level > H {
		return nil, fmt.Errorf("qrcode: unknown error correction level %d", int(level))
	}
	m := modeFor(data)
	v, ok := fitVersion(m, len(data), level)
	if !ok {
		return nil, fmt.Errorf("%w: %d characters in %s mode need %d bits, version 40-%s holds %d",
			ErrTooLong, len(data), m, segmentBits(m, len(data), 40), level, dataCodewords(40, level)*8)
	}
	codewords := addECC(encodeData(data, m, v, level), v, level)
	return build(codewords, v, level), nil
}

// fitVersion returns the smallest version whose data capacity at level holds
// n characters in mode m.
func fitVersion(m mode, n int, level Level) (int, bool) {
	for v := 1; v <= 40; v++ {
		if n < 1<<m.countBits(v) && segmentBits(m, n, v) <= dataCodewords(v, level)*8 {
			return v, true
		}
	}
	return 0, false
}

// addECC splits data into the blocks of version v at level, computes each
// block's error correction codewords and interleaves the lot.
func addECC(data []byte, v int, level Level) []byte {
	numBlocks := int(eccBlocks[level][v])
	eccLen := int(eccPerBlock[level][v])
	total := totalCodewords(v)
	// The first numShort blocks hold shortLen data codewords, the rest one
	// more, which is how table 9 splits a total that does not divide evenly.
	numShort := numBlocks - total%numBlocks
	shortLen := total/numBlocks - eccLen

	gen := rsGenerator(eccLen)
	blocks := make([][]byte, numBlocks)
	eccs := make([][]byte, numBlocks)
	off := 0
	for i := range blocks {
		n := shortLen
		if i >= numShort {
			n++
		}
		blocks[i] = data[off : off+n]
		eccs[i] = rsRemainder(blocks[i], gen)
		off += n
	}

	out := make([]byte, 0, total)
	for i := 0; i <= shortLen; i++ {
		for _, b := range blocks {
			if i < len(b) {
				out = append(out, b[i])
			}
		}
	}
	for i := 0; i < eccLen; i++ {
		for _, e := range eccs {
			out = append(out, e[i])
		}
	}
	return out
}
