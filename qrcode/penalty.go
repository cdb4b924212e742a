package qrcode

// Penalty weights of ISO/IEC 18004 section 7.8.3.
const (
	penaltyN1 = 3
	penaltyN2 = 3
	penaltyN3 = 40
	penaltyN4 = 10
)

// penalty scores a masked symbol; the mask with the lowest score is used.
func penalty(dark []bool, size int) int {
	score := 0
	line := make([]bool, size)
	for _, horizontal := range [2]bool{true, false} {
		for a := 0; a < size; a++ {
			for b := 0; b < size; b++ {
				if horizontal {
					line[b] = dark[a*size+b]
				} else {
					line[b] = dark[b*size+a]
				}
			}
			score += linePenalty(line)
		}
	}

	// N2: each 2×2 block of one colour (overlapping blocks all count).
	for y := 0; y+1 < size; y++ {
		for x := 0; x+1 < size; x++ {
			c := dark[y*size+x]
			if dark[y*size+x+1] == c && dark[(y+1)*size+x] == c && dark[(y+1)*size+x+1] == c {
				score += penaltyN2
			}
		}
	}

	// N4: 10 points for every full 5% the dark share strays from 50%.
	darkCount := 0
	for _, d := range dark {
		if d {
			darkCount++
		}
	}
	total := size * size
	k := abs(darkCount*20-total*10) / total // |percentage - 50| / 5
	score += k * penaltyN4
	return score
}

// The finder-like pattern 1:1:3:1:1 (dark:light:dark:light:dark) with four
// light modules after or before it, as the last 11 modules of a rolling
// window, earliest module in the highest bit; N3 counts either.
const (
	finderLikeLightAfter  = 0b10111010000
	finderLikeLightBefore = 0b00001011101
)

// linePenalty scores one row or column for rules N1 and N3.
func linePenalty(line []bool) int {
	score := 0
	// N1: runs of five or more modules of one colour.
	run := 1
	for i := 1; i <= len(line); i++ {
		if i < len(line) && line[i] == line[i-1] {
			run++
			continue
		}
		if run >= 5 {
			score += penaltyN1 + run - 5
		}
		run = 1
	}
	// N3.
	window := 0
	for i, dark := range line {
		window = window << 1 & 0x7ff
		if dark {
			window |= 1
		}
		if i >= 10 && (window == finderLikeLightAfter || window == finderLikeLightBefore) {
			score += penaltyN3
		}
	}
	return score
}
