package appliance

import (
	"strings"
)

// Method codes the till knows today. The list is open: QRIS and others join
// by being added to the config's methods.
const (
	MethodCash       = "cash"
	MethodCard       = "card"        // bank EDC: debit or credit on the bank's own terminal
	MethodQRISStatic = "qris_static" // the shop's own QRIS with the amount; the cashier confirms
	MethodQRIS       = "qris"        // dynamic QRIS through a payment provider; the provider confirms
)

// QRIS kinds of a method (MethodSpec.QRIS).
const (
	QRISStatic  = "static"  // the shop's static code with the sale's amount: works offline
	QRISDynamic = "dynamic" // a charge from the payment provider: needs a connection
)

// Who confirmed a payment (Payment.Confirmation).
const (
	ConfirmedByCashier  = "cashier"  // the cashier saw the money in the merchant's app
	ConfirmedByProvider = "provider" // the payment provider reported the charge paid
)

// MethodSpec describes a payment method the till offers.
type MethodSpec struct {
	Code string `json:"code"`
	Name string `json:"name"` // as shown on the button and the receipt
	// Cash methods give change and count in the drawer.
	Cash bool `json:"cash,omitempty"`
	// Offline methods work with no connection (cash, a bank EDC with its own line).
	Offline bool `json:"offline"`
	// EDC methods record bank, approval code and the card's last four digits.
	EDC bool `json:"edc,omitempty"`
	// QuickCash lists the quick amount buttons for a cash method.
	QuickCash []Rupiah `json:"quick_cash,omitempty"`
	// QRIS is "static" or "dynamic" for a QRIS method, "" otherwise.
	QRIS string `json:"qris,omitempty"`
	// Off keeps a method in the config but stops offering it.
	Off bool `json:"off,omitempty"`
	// MaxAmount caps one tender of this method (0: no cap). A larger tender
	// needs a supervisor's PIN: a mistyped amount on a card or QRIS moves
	// real money that is hard to get back.
	MaxAmount Rupiah `json:"max_amount,omitempty"`
}

// DefaultQRISCap is the default cap of the QRIS methods: Bank Indonesia's
// per-transaction limit for QRIS.
const DefaultQRISCap Rupiah = 10_000_000

// DefaultMethods: cash with the quick buttons, a bank EDC card, the shop's
// static QRIS with the amount (offline too: the customer's phone pays, the
// cashier checks the merchant's app) and dynamic QRIS through the payment
// provider (online only).
func DefaultMethods() []MethodSpec {
	return []MethodSpec{
		{Code: MethodCash, Name: "Tunai", Cash: true, Offline: true, QuickCash: []Rupiah{20000, 50000, 100000}},
		{Code: MethodCard, Name: "Kartu (EDC)", Offline: true, EDC: true},
		{Code: MethodQRISStatic, Name: "QRIS", Offline: true, QRIS: QRISStatic, MaxAmount: DefaultQRISCap},
		{Code: MethodQRIS, Name: "QRIS Dinamis", Offline: false, QRIS: QRISDynamic, MaxAmount: DefaultQRISCap},
	}
}

// Payment is one tender on a sale.
type Payment struct {
	Method string `json:"method"`
	// Amount is what this tender pays towards the sale. For cash it may be
	// more than what is due: the surplus is the change.
	Amount Rupiah `json:"amount"`
	// For EDC payments.
	Bank         string `json:"bank,omitempty"`
	ApprovalCode string `json:"approval_code,omitempty"`
	CardLast4    string `json:"card_last4,omitempty"`
	// Reference is the EDC slip's reference, or for QRIS the reference
	// label in the code (static) or the till's attempt reference (dynamic).
	Reference string `json:"reference,omitempty"`
	// For QRIS: who confirmed the money arrived ("cashier" or "provider")
	// and, for dynamic QRIS, the provider's charge.
	Confirmation string `json:"confirmation,omitempty"`
	ChargeID     string `json:"charge_id,omitempty"`
	// ApprovedBy names the supervisor who approved a tender above its
	// method's cap.
	ApprovedBy string `json:"approved_by,omitempty"`
}

// Settlement is how a set of payments settles a total.
type Settlement struct {
	Total    Rupiah `json:"total"`    // the sale's total, before rounding
	Rounding Rupiah `json:"rounding"` // "Pembulatan" on the cash part
	Due      Rupiah `json:"due"`      // total + rounding
	Paid     Rupiah `json:"paid"`     // sum of tenders
	Change   Rupiah `json:"change"`   // cash returned
	// Net is what each method took after change: the amounts the Z report counts.
	Net map[string]Rupiah `json:"net"`
}

// Settle checks the payments against total and works out rounding and change.
// Rounding applies only to the part paid in cash: non-cash tenders pay exact
// amounts, so a card-only sale is never rounded. Non-cash tenders may not
// exceed what is due, since they cannot give change.
func Settle(total Rupiah, pays []Payment, cfg *Config) (Settlement, error) {
	st := Settlement{Total: total, Net: map[string]Rupiah{}}
	if len(pays) == 0 {
		return st, Errorm(CodeInvalid, "no_payment", nil, "no payment")
	}
	var nonCash, cash Rupiah
	hasCash := false
	for i, p := range pays {
		spec, ok := cfg.Method(p.Method)
		if !ok {
			return st, Errorm(CodeInvalid, "unknown_method", []any{p.Method}, "payment %d: unknown method %q", i, p.Method)
		}
		if p.Amount <= 0 || p.Amount > maxRupiah {
			return st, Errorm(CodeInvalid, "bad_amount", nil, "payment %d: amount %d", i, p.Amount)
		}
		if spec.EDC {
			if err := validateEDC(p); err != nil {
				return st, err
			}
		}
		if spec.Cash {
			hasCash = true
			cash += p.Amount
		} else {
			nonCash += p.Amount
		}
	}
	if nonCash > total {
		return st, Errorm(CodeInvalid, "noncash_over", nil, "non-cash payments %d exceed total %d", nonCash, total)
	}
	if hasCash {
		st.Rounding = cfg.Rounding.Adjust(total - nonCash)
	}
	st.Due = total + st.Rounding
	st.Paid = cash + nonCash
	if st.Paid < st.Due {
		return st, Errorm(CodeUnderpaid, "underpaid", []any{st.Due - st.Paid}, "paid %d of %d", st.Paid, st.Due)
	}
	st.Change = st.Paid - st.Due
	if st.Change > 0 && !hasCash {
		return st, Errorm(CodeInvalid, "noncash_over", nil, "change %d without cash", st.Change)
	}
	// A mistyped amount must not open the drawer for a fortune: change may
	// not reach the configured cap, nor the size of a cash tender that was
	// then not needed at all.
	if cfg.MaxChange > 0 && st.Change > cfg.MaxChange {
		return st, Errorm(CodeInvalid, "change_too_large", nil, "change %d above the cap %d", st.Change, cfg.MaxChange)
	}
	for _, p := range pays {
		if spec, _ := cfg.Method(p.Method); spec.Cash && st.Change > 0 && st.Change >= p.Amount {
			return st, Errorm(CodeInvalid, "change_too_large", nil, "change %d not below the tender %d", st.Change, p.Amount)
		}
	}
	// Change comes out of the cash tenders, last first.
	change := st.Change
	for i := len(pays) - 1; i >= 0; i-- {
		p := pays[i]
		amt := p.Amount
		if spec, _ := cfg.Method(p.Method); spec.Cash && change > 0 {
			take := min(change, amt)
			amt -= take
			change -= take
		}
		st.Net[p.Method] += amt
	}
	return st, nil
}

func validateEDC(p Payment) error {
	if strings.TrimSpace(p.Bank) == "" {
		return Errorm(CodeInvalid, "edc_bank", nil, "card payment without bank")
	}
	ac := strings.TrimSpace(p.ApprovalCode)
	if ac == "" || len(ac) > 12 {
		return Errorm(CodeInvalid, "edc_approval", nil, "card payment approval code %q", p.ApprovalCode)
	}
	if len(p.CardLast4) != 4 || !allDigits(p.CardLast4) {
		return Errorm(CodeInvalid, "edc_last4", nil, "card last four %q", p.CardLast4)
	}
	return nil
}
