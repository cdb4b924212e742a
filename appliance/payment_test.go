package appliance

import (
	"errors"
	"reflect"
	"testing"
)

func cashPay(a Rupiah) Payment { return Payment{Method: MethodCash, Amount: a} }
func cardPay(a Rupiah) Payment {
	return Payment{Method: MethodCard, Amount: a, Bank: "BCA", ApprovalCode: "123456", CardLast4: "4321"}
}

func TestSettle(t *testing.T) {
	cfg := DefaultConfig() // cash rounds down to Rp 100
	cases := []struct {
		name  string
		total Rupiah
		pays  []Payment
		want  Settlement
	}{
		{"cash exact", 12500, []Payment{cashPay(12500)},
			Settlement{Total: 12500, Due: 12500, Paid: 12500, Net: map[string]Rupiah{"cash": 12500}}},
		{"cash with change", 12500, []Payment{cashPay(20000)},
			Settlement{Total: 12500, Due: 12500, Paid: 20000, Change: 7500, Net: map[string]Rupiah{"cash": 12500}}},
		{"cash rounded down", 12550, []Payment{cashPay(12500)},
			Settlement{Total: 12550, Rounding: -50, Due: 12500, Paid: 12500, Net: map[string]Rupiah{"cash": 12500}}},
		{"cash rounded down with change", 12550, []Payment{cashPay(50000)},
			Settlement{Total: 12550, Rounding: -50, Due: 12500, Paid: 50000, Change: 37500, Net: map[string]Rupiah{"cash": 12500}}},
		{"two cash tenders", 12550, []Payment{cashPay(10000), cashPay(5000)},
			Settlement{Total: 12550, Rounding: -50, Due: 12500, Paid: 15000, Change: 2500, Net: map[string]Rupiah{"cash": 12500}}},
		{"card exact, never rounded", 12550, []Payment{cardPay(12550)},
			Settlement{Total: 12550, Due: 12550, Paid: 12550, Net: map[string]Rupiah{"card": 12550}}},
		{"card and cash, rounding on the cash part", 12550, []Payment{cardPay(10000), cashPay(5000)},
			Settlement{Total: 12550, Rounding: -50, Due: 12500, Paid: 15000, Change: 2500, Net: map[string]Rupiah{"card": 10000, "cash": 2500}}},
		{"cash first, then card", 12550, []Payment{cashPay(2500), cardPay(10000)},
			Settlement{Total: 12550, Rounding: -50, Due: 12500, Paid: 12500, Net: map[string]Rupiah{"card": 10000, "cash": 2500}}},
		{"card and cash, change from the cash", 12550, []Payment{cardPay(10000), cashPay(5000)},
			Settlement{Total: 12550, Rounding: -50, Due: 12500, Paid: 15000, Change: 2500, Net: map[string]Rupiah{"card": 10000, "cash": 2500}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Settle(c.total, c.pays, &cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Settle =\n %+v\nwant\n %+v", got, c.want)
			}
			var net Rupiah
			for _, v := range got.Net {
				net += v
			}
			if net != got.Due {
				t.Errorf("methods took %d, due %d", net, got.Due)
			}
		})
	}
}

func TestSettleRoundingModes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rounding = CashRounding{Unit: 100, Mode: RoundNearest}
	got, err := Settle(12550, []Payment{cashPay(20000)}, &cfg)
	if err != nil || got.Rounding != 50 || got.Due != 12600 || got.Change != 7400 {
		t.Errorf("nearest: %+v, %v", got, err)
	}
	// Rounding up may ask for more than the total: still only cash can pay it.
	if _, err := Settle(12550, []Payment{cashPay(12550)}, &cfg); ErrorCode(err) != CodeUnderpaid {
		t.Errorf("nearest, paid the unrounded total: %v, want underpaid", err)
	}
	cfg.Rounding = CashRounding{}
	got, err = Settle(12550, []Payment{cashPay(12550)}, &cfg)
	if err != nil || got.Rounding != 0 || got.Due != 12550 {
		t.Errorf("no rounding: %+v, %v", got, err)
	}
}

func TestSettleErrors(t *testing.T) {
	cfg := DefaultConfig()
	noBank := cardPay(12500)
	noBank.Bank = " "
	noApproval := cardPay(12500)
	noApproval.ApprovalCode = ""
	longApproval := cardPay(12500)
	longApproval.ApprovalCode = "1234567890123"
	badLast4 := cardPay(12500)
	badLast4.CardLast4 = "12a4"
	shortLast4 := cardPay(12500)
	shortLast4.CardLast4 = "123"
	cases := []struct {
		name  string
		total Rupiah
		pays  []Payment
		code  Code
		key   string
	}{
		{"no payment", 12500, nil, CodeInvalid, "no_payment"},
		{"underpaid cash", 12550, []Payment{cashPay(12000)}, CodeUnderpaid, "underpaid"},
		{"underpaid card", 12550, []Payment{cardPay(12000)}, CodeUnderpaid, "underpaid"},
		{"underpaid split", 12550, []Payment{cardPay(10000), cashPay(2000)}, CodeUnderpaid, "underpaid"},
		{"card over total", 12550, []Payment{cardPay(13000)}, CodeInvalid, "noncash_over"},
		{"two cards over total", 12550, []Payment{cardPay(10000), cardPay(3000)}, CodeInvalid, "noncash_over"},
		{"card over total with cash", 12550, []Payment{cardPay(13000), cashPay(1000)}, CodeInvalid, "noncash_over"},
		{"unknown method", 12500, []Payment{{Method: "ovo", Amount: 12500}}, CodeInvalid, "unknown_method"},
		{"zero amount", 12500, []Payment{cashPay(0), cashPay(12500)}, CodeInvalid, "bad_amount"},
		{"negative amount", 12500, []Payment{cashPay(-100), cashPay(12600)}, CodeInvalid, "bad_amount"},
		{"huge amount", 12500, []Payment{cashPay(maxRupiah + 1)}, CodeInvalid, "bad_amount"},
		{"card without bank", 12500, []Payment{noBank}, CodeInvalid, "edc_bank"},
		{"card without approval code", 12500, []Payment{noApproval}, CodeInvalid, "edc_approval"},
		{"card with a long approval code", 12500, []Payment{longApproval}, CodeInvalid, "edc_approval"},
		{"card last four not digits", 12500, []Payment{badLast4}, CodeInvalid, "edc_last4"},
		{"card last four too short", 12500, []Payment{shortLast4}, CodeInvalid, "edc_last4"},
		{"cash not needed at all", 12550, []Payment{cardPay(12550), cashPay(1000)}, CodeInvalid, "change_too_large"},
		{"a second note not needed", 12500, []Payment{cashPay(20000), cashPay(10000)}, CodeInvalid, "change_too_large"},
		{"change above the cap", 12500, []Payment{cashPay(5_000_000)}, CodeInvalid, "change_too_large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Settle(c.total, c.pays, &cfg)
			var e *Error
			if !errors.As(err, &e) || e.Code != c.code || e.Key != c.key {
				t.Errorf("Settle error %v, want %s/%s", err, c.code, c.key)
			}
		})
	}
	// The cashier is told how much is missing, after rounding.
	_, err := Settle(12550, []Payment{cashPay(12000)}, &cfg)
	var e *Error
	if errors.As(err, &e) && (len(e.Args) != 1 || e.Args[0] != Rupiah(500)) {
		t.Errorf("underpaid args %v, want [500]", e.Args)
	}
}
