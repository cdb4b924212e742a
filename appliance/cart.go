package appliance

import (
	"time"
)

// Discount is a reduction on a line or a whole order: a percentage in basis
// points (1000 = 10%) or a fixed amount, never both.
type Discount struct {
	PercentBP  int64  `json:"percent_bp,omitempty"`
	Amount     Rupiah `json:"amount,omitempty"`
	Reason     string `json:"reason,omitempty"`
	ApprovedBy string `json:"approved_by,omitempty"` // supervisor who approved one above the limit
}

// Validate reports a discount that makes no sense.
func (d *Discount) Validate() error {
	switch {
	case d.PercentBP < 0 || d.PercentBP > 10000:
		return Errorm(CodeInvalid, "bad_discount", nil, "discount percent %d bp", d.PercentBP)
	case d.Amount < 0 || d.Amount > maxRupiah:
		return Errorm(CodeInvalid, "bad_discount", nil, "discount amount %d", d.Amount)
	case d.PercentBP > 0 && d.Amount > 0:
		return Errorm(CodeInvalid, "bad_discount", nil, "discount with both percent and amount")
	}
	return nil
}

// of returns the discount on base, never more than base.
func (d *Discount) of(base Rupiah) Rupiah {
	if d == nil || base <= 0 {
		return 0
	}
	var off Rupiah
	if d.PercentBP > 0 {
		off = Rupiah(divRound(int64(base)*d.PercentBP, 10000))
	} else {
		off = d.Amount
	}
	return min(off, base)
}

// Line is one product on a cart.
type Line struct {
	ID        int    `json:"id"`
	SKU       string `json:"sku"`
	Barcode   string `json:"barcode,omitempty"`
	Name      string `json:"name"`
	Category  string `json:"category,omitempty"`
	Unit      string `json:"unit"`
	TaxClass  string `json:"tax_class"`
	Weighed   bool   `json:"weighed,omitempty"`
	Qty       Qty    `json:"qty"`        // thousandths of Unit
	ListPrice Rupiah `json:"list_price"` // catalog price per unit when added
	UnitPrice Rupiah `json:"unit_price"` // price charged per unit (differs after an override)
	// FixedPrice marks a line priced by an in-store barcode: its quantity
	// stays one piece.
	FixedPrice bool      `json:"fixed_price,omitempty"`
	OverrideBy string    `json:"override_by,omitempty"`
	Discount   *Discount `json:"discount,omitempty"`
}

// Gross is unit price × quantity, before discounts.
func (l *Line) Gross() Rupiah { return mulQty(l.UnitPrice, l.Qty) }

// Cart is a sale in progress. It is saved to the till's disk on every change,
// so a restart or a power cut does not lose what the cashier rang up.
type Cart struct {
	ID             string    `json:"id"`
	User           string    `json:"user"` // cashier who started it
	Started        time.Time `json:"started"`
	Updated        time.Time `json:"updated"`
	CatalogVersion string    `json:"catalog_version"`
	Lines          []Line    `json:"lines"`
	Discount       *Discount `json:"discount,omitempty"`
	NextLine       int       `json:"next_line"`
	Parked         bool      `json:"parked"`
	ParkedAt       time.Time `json:"parked_at,omitzero"`
	Note           string    `json:"note,omitempty"`
}

// Line returns the cart line with id, or nil.
func (c *Cart) Line(id int) *Line {
	for i := range c.Lines {
		if c.Lines[i].ID == id {
			return &c.Lines[i]
		}
	}
	return nil
}

// Totals are a cart's or sale's amounts.
type Totals struct {
	Subtotal      Rupiah       `json:"subtotal"`       // Σ gross
	LineDiscounts Rupiah       `json:"line_discounts"` // Σ line discounts
	OrderDiscount Rupiah       `json:"order_discount"`
	Total         Rupiah       `json:"total"` // what is due before cash rounding
	Taxes         []TaxLine    `json:"taxes,omitempty"`
	Lines         []LineTotals `json:"lines"`
	Items         Qty          `json:"items"` // Σ quantity of counted (not weighed) lines
}

// LineTotals are one line's amounts, in cart order.
type LineTotals struct {
	Gross      Rupiah `json:"gross"`
	Discount   Rupiah `json:"discount"`    // the line's own discount
	OrderShare Rupiah `json:"order_share"` // its share of the order discount
	Net        Rupiah `json:"net"`         // gross − discount − share: what the line costs
}

// Totals computes the cart's amounts. The order discount is shared across
// lines in proportion to their net, by largest remainder, so that each
// line's net (and so each tax class's base) adds up to the total exactly.
func (c *Cart) Totals(cfg *Config) Totals {
	var t Totals
	t.Lines = make([]LineTotals, len(c.Lines))
	var afterLine Rupiah
	for i := range c.Lines {
		l := &c.Lines[i]
		g := l.Gross()
		d := l.Discount.of(g)
		t.Lines[i] = LineTotals{Gross: g, Discount: d, Net: g - d}
		t.Subtotal += g
		t.LineDiscounts += d
		afterLine += g - d
		if !l.Weighed {
			t.Items += l.Qty
		}
	}
	t.OrderDiscount = c.Discount.of(afterLine)
	if t.OrderDiscount > 0 {
		shares := allocate(t.OrderDiscount, t.Lines)
		for i := range t.Lines {
			t.Lines[i].OrderShare = shares[i]
			t.Lines[i].Net -= shares[i]
		}
	}
	t.Total = afterLine - t.OrderDiscount
	gross := map[string]Rupiah{}
	for i := range c.Lines {
		gross[c.Lines[i].TaxClass] += t.Lines[i].Net
	}
	t.Taxes = taxBreakdown(gross, cfg.taxClasses())
	return t
}

// allocate splits amount over the lines' nets in proportion, by largest remainder.
func allocate(amount Rupiah, lines []LineTotals) []Rupiah {
	out := make([]Rupiah, len(lines))
	var base int64
	for _, l := range lines {
		base += int64(l.Net)
	}
	if base <= 0 {
		return out
	}
	type rem struct {
		i int
		r int64
	}
	rems := make([]rem, 0, len(lines))
	var given Rupiah
	for i, l := range lines {
		num := int64(amount) * int64(l.Net)
		out[i] = Rupiah(num / base)
		given += out[i]
		rems = append(rems, rem{i, num % base})
	}
	// Hand out what is left, one rupiah at a time, to the largest remainders
	// (earliest line first on ties, so the result is deterministic).
	for left := amount - given; left > 0; left-- {
		best := -1
		for k, r := range rems {
			if r.r >= 0 && (best < 0 || r.r > rems[best].r) {
				best = k
			}
		}
		out[rems[best].i]++
		rems[best].r = -1
	}
	return out
}
