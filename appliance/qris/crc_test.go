package qris

import (
	"strconv"
	"testing"
)

func TestCRC16(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint16
	}{
		{"check value", "123456789", 0x29B1},
		{"empty is the initial value", "", 0xFFFF},
		{"one byte", "A", 0xB915},
		// The merchant-presented example in the EMVCo specification
		// (with its UTF-8 language template) ends in 6304A13A.
		{"EMVCo example", "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304", 0xA13A},
		{"sample static code", sample[:len(sample)-4], 0x524F},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CRC16(tt.in); got != tt.want {
				t.Errorf("CRC16 = %04X, want %04X", got, tt.want)
			}
		})
	}
}

func TestCRCTextIsUppercaseAndPadded(t *testing.T) {
	// Find an input whose CRC has a leading zero nibble and a letter.
	for i := range 100000 {
		s := "6304" + strconv.Itoa(i)
		c := CRC16(s)
		if c>>12 != 0 || c&0xF < 0xA {
			continue
		}
		got := crcText(s)
		if len(got) != 4 || got[0] != '0' || got[3] < 'A' || got[3] > 'F' {
			t.Fatalf("crcText(%q) = %q for %04X", s, got, c)
		}
		return
	}
	t.Fatal("no input with a small CRC found")
}
