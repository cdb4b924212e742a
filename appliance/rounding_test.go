package appliance

import "testing"

func TestCashRoundingAdjust(t *testing.T) {
	cases := []struct {
		r      CashRounding
		amount Rupiah
		want   Rupiah
	}{
		{CashRounding{}, 12550, 0},
		{CashRounding{Unit: 1, Mode: RoundDown}, 12550, 0},
		{CashRounding{Unit: 100, Mode: RoundDown}, 12500, 0},
		{CashRounding{Unit: 100, Mode: RoundDown}, 12550, -50},
		{CashRounding{Unit: 100, Mode: RoundDown}, 12599, -99},
		{CashRounding{Unit: 100, Mode: RoundDown}, 12501, -1},
		{CashRounding{Unit: 100, Mode: RoundDown}, 50, -50},
		{CashRounding{Unit: 100, Mode: RoundUp}, 12501, 99},
		{CashRounding{Unit: 100, Mode: RoundUp}, 12550, 50},
		{CashRounding{Unit: 100, Mode: RoundUp}, 12500, 0},
		{CashRounding{Unit: 100, Mode: RoundNearest}, 12549, -49},
		{CashRounding{Unit: 100, Mode: RoundNearest}, 12550, 50}, // half goes up
		{CashRounding{Unit: 100, Mode: RoundNearest}, 12551, 49},
		{CashRounding{Unit: 500, Mode: RoundNearest}, 12749, -249},
		{CashRounding{Unit: 500, Mode: RoundNearest}, 12750, 250},
		{CashRounding{Unit: 1000, Mode: RoundDown}, 12750, -750},
		{CashRounding{Unit: 100, Mode: "sideways"}, 12550, -50}, // unknown modes round down
		{CashRounding{Unit: 100, Mode: RoundUp}, 0, 0},
		{CashRounding{Unit: 100, Mode: RoundUp}, -12550, 0}, // nothing to round on a refund
	}
	for _, c := range cases {
		got := c.r.Adjust(c.amount)
		if got != c.want {
			t.Errorf("%+v.Adjust(%d) = %d, want %d", c.r, c.amount, got, c.want)
		}
		if c.r.Unit > 1 && c.amount > 0 && (c.amount+got)%c.r.Unit != 0 {
			t.Errorf("%+v.Adjust(%d): %d is not a multiple of %d", c.r, c.amount, c.amount+got, c.r.Unit)
		}
	}
}
