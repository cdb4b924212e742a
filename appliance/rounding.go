package appliance

// RoundingMode says which way cash is rounded to a coin the shop can give.
type RoundingMode string

const (
	RoundDown    RoundingMode = "down"
	RoundNearest RoundingMode = "nearest"
	RoundUp      RoundingMode = "up"
)

// CashRounding rounds the cash part of a payment to the smallest coin the shop
// gives. The difference is printed as its own receipt line, "Pembulatan".
// The zero value rounds nothing.
type CashRounding struct {
	Unit Rupiah       `json:"unit"` // 100 rounds to Rp 100; 0 or 1 turns rounding off
	Mode RoundingMode `json:"mode"`
}

// Adjust returns the rounding to add to amount (negative when rounding down).
func (c CashRounding) Adjust(amount Rupiah) Rupiah {
	if c.Unit <= 1 || amount <= 0 {
		return 0
	}
	rem := amount % c.Unit
	if rem == 0 {
		return 0
	}
	switch c.Mode {
	case RoundUp:
		return c.Unit - rem
	case RoundNearest:
		if rem*2 >= c.Unit {
			return c.Unit - rem
		}
		return -rem
	default:
		return -rem
	}
}
