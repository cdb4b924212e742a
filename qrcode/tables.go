package qrcode

// Block structure from ISO/IEC 18004 table 9, indexed [level][version];
// index 0 is unused so that versions index directly.
var eccPerBlock = [4][41]int8{
	L: {0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	M: {0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28},
	Q: {0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	H: {0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
}

var eccBlocks = [4][41]int8{
	L: {0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25},
	M: {0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49},
	Q: {0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68},
	H: {0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81},
}

// rawDataModules is the number of modules of a version-v symbol left for
// codewords and remainder bits once the function patterns and the format and
// version information are taken out.
func rawDataModules(v int) int {
	n := (16*v+128)*v + 64 // all modules minus finders, separators, timing
	if v >= 2 {
		a := v/7 + 2 // alignment patterns per row
		// a² patterns minus the three under the finders, minus the
		// overlap of the inner ones with the timing patterns.
		n -= (25*a-10)*a - 55
	}
	if v >= 7 {
		n -= 36 // two 6×3 version information blocks
	}
	return n
}

func totalCodewords(v int) int { return rawDataModules(v) / 8 }

func dataCodewords(v int, l Level) int {
	return totalCodewords(v) - int(eccPerBlock[l][v])*int(eccBlocks[l][v])
}

// alignmentPositions returns the row/column centres of the alignment
// patterns (ISO/IEC 18004 annex E). Apart from the first (always 6) they are
// evenly spaced by an even step counted back from size-7; version 32 is the
// one version whose step the rounding below does not give.
func alignmentPositions(v int) []int {
	if v == 1 {
		return nil
	}
	n := v/7 + 2
	size := 17 + 4*v
	step := 26
	if v != 32 {
		// Spread (size-13) over n-1 gaps, rounded up to an even step.
		step = ((size - 13) + 2*(n-1) - 1) / (2 * (n - 1)) * 2
	}
	pos := make([]int, n)
	pos[0] = 6
	for i, p := n-1, size-7; i >= 1; i, p = i-1, p-step {
		pos[i] = p
	}
	return pos
}
