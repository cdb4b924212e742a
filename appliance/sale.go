package appliance

import (
	"fmt"
	"time"
)

// DocKind says what a sales document is. A void or a refund is a document of
// its own that points at the sale it reverses; a completed sale is never edited.
type DocKind string

const (
	DocSale   DocKind = "sale"
	DocVoid   DocKind = "void"
	DocRefund DocKind = "refund"
)

// Sale is a completed sales document: a sale, a void or a refund. Amounts are
// positive in every kind; Kind says which way the money went.
type Sale struct {
	Number         string     `json:"number"` // "S001-T01-000123"
	Kind           DocKind    `json:"kind"`
	Store          string     `json:"store"`
	Till           string     `json:"till"`
	Epoch          string     `json:"epoch"`
	Seq            int64      `json:"seq"`
	Time           time.Time  `json:"time"`
	UserID         string     `json:"user_id"`
	UserName       string     `json:"user_name"`
	ShiftID        int64      `json:"shift_id"`
	CatalogVersion string     `json:"catalog_version"`
	Lines          []SaleLine `json:"lines"`
	Payments       []Payment  `json:"payments"`
	Subtotal       Rupiah     `json:"subtotal"`
	Discount       Rupiah     `json:"discount"` // line and order discounts together
	OrderDiscount  Rupiah     `json:"order_discount"`
	Total          Rupiah     `json:"total"`
	Rounding       Rupiah     `json:"rounding"`
	Paid           Rupiah     `json:"paid"`
	Change         Rupiah     `json:"change"`
	Taxes          []TaxLine  `json:"taxes,omitempty"`
	Ref            string     `json:"ref,omitempty"` // the sale a void or refund reverses
	Reason         string     `json:"reason,omitempty"`
	ApprovedBy     string     `json:"approved_by,omitempty"`
	// CartID is the cart a sale completed. Paying the same cart twice (a
	// retry after a lost answer) returns this sale instead of a second one.
	CartID string `json:"cart_id,omitempty"`
	// ClockBehind is set when the till's clock read earlier than its last
	// record, so the time was held at that record's time.
	ClockBehind bool `json:"clock_behind,omitempty"`
	// ClockUntrusted is set on a document dated before the till's clock
	// was trusted (NTP had not synchronised since the till started): its
	// time may be off, and head office may want to check it.
	ClockUntrusted bool `json:"clock_untrusted,omitempty"`
	// Reconcile is set on a sale with a payment nobody but the cashier
	// confirmed (static QRIS: the cashier checked the merchant's app), so
	// head office matches it against the acquirer's settlement.
	Reconcile bool `json:"reconcile,omitempty"`
}

// SaleLine is one line of a completed document.
type SaleLine struct {
	LineNo     int    `json:"line_no"`
	SKU        string `json:"sku"`
	Barcode    string `json:"barcode,omitempty"`
	Name       string `json:"name"`
	Unit       string `json:"unit"`
	TaxClass   string `json:"tax_class"`
	Qty        Qty    `json:"qty"`
	ListPrice  Rupiah `json:"list_price"`
	UnitPrice  Rupiah `json:"unit_price"`
	Gross      Rupiah `json:"gross"`
	Discount   Rupiah `json:"discount"`    // line discount
	OrderShare Rupiah `json:"order_share"` // share of the order discount
	Net        Rupiah `json:"net"`
	OverrideBy string `json:"override_by,omitempty"`
	DiscountBy string `json:"discount_by,omitempty"`
	RefLine    int    `json:"ref_line,omitempty"` // for refunds: the sale's line
}

// ReceiptNumber is the number people read on a receipt: store, till and the
// till's sequence, unique across the fleet because store and till codes are.
func ReceiptNumber(store, till string, seq int64) string {
	return fmt.Sprintf("%s-%s-%06d", store, till, seq)
}

// sign is the direction of the document's effect on takings: +1 for a
// sale, −1 for a void or refund.
func (s *Sale) sign() Rupiah {
	if s.Kind == DocSale {
		return 1
	}
	return -1
}

// MethodNet is what each method took on this document after change, signed.
func (s *Sale) MethodNet(cfg *Config) map[string]Rupiah {
	out := map[string]Rupiah{}
	change := s.Change
	for i := len(s.Payments) - 1; i >= 0; i-- {
		p := s.Payments[i]
		amt := p.Amount
		if spec, ok := cfg.Method(p.Method); (ok && spec.Cash || p.Method == MethodCash) && change > 0 {
			take := min(change, amt)
			amt -= take
			change -= take
		}
		out[p.Method] += s.sign() * amt
	}
	return out
}
