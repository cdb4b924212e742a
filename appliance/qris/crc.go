package qris

// CRC16 returns the CRC-16/CCITT-FALSE of data (polynomial 0x1021, initial
// value 0xFFFF, no reflection, no final XOR), the checksum QRIS puts in tag 63.
// It is computed over the whole payload up to and including "6304".
func CRC16(data string) uint16 {
	crc := uint16(0xFFFF)
	for i := 0; i < len(data); i++ {
		crc ^= uint16(data[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

const hexDigits = "0123456789ABCDEF"

// crcText is the tag 63 value for data: four uppercase hex digits.
func crcText(data string) string {
	c := CRC16(data)
	return string([]byte{hexDigits[c>>12], hexDigits[c>>8&0xF], hexDigits[c>>4&0xF], hexDigits[c&0xF]})
}
