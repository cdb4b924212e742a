package appliance

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
)

// CartView is a cart with its totals, as the UI shows it.
type CartView struct {
	*Cart
	Totals
	// Lines shadows the cart's lines and the totals' lines with both in one.
	Lines []CartLine `json:"lines"`
	// CashDue is what a cash-only payment must cover after rounding.
	CashDue  Rupiah `json:"cash_due"`
	Rounding Rupiah `json:"rounding"`
	// ParkedCount is how many carts are parked.
	ParkedCount int `json:"parked"`
}

// CartLine is a cart line with its amounts, as the UI shows it.
type CartLine struct {
	ID          int       `json:"id"`
	SKU         string    `json:"sku"`
	Barcode     string    `json:"barcode,omitempty"`
	Name        string    `json:"name"`
	Unit        string    `json:"unit"`
	TaxClass    string    `json:"tax_class"`
	Weighed     bool      `json:"weighed"`
	FixedPrice  bool      `json:"fixed_price"`
	Qty         Qty       `json:"qty"`
	ListPrice   Rupiah    `json:"list_price"`
	UnitPrice   Rupiah    `json:"unit_price"`
	OverrideBy  string    `json:"override_by,omitempty"`
	Gross       Rupiah    `json:"gross"`
	Discount    Rupiah    `json:"discount"`
	OrderShare  Rupiah    `json:"order_share"`
	Net         Rupiah    `json:"net"`
	DiscountSet *Discount `json:"discount_set,omitempty"`
	DiscountPct float64   `json:"discount_pct"` // for display only
}

func cartLine(l Line, t LineTotals) CartLine {
	c := CartLine{
		ID: l.ID, SKU: l.SKU, Barcode: l.Barcode, Name: l.Name, Unit: l.Unit, TaxClass: l.TaxClass,
		Weighed: l.Weighed, FixedPrice: l.FixedPrice, Qty: l.Qty, ListPrice: l.ListPrice, UnitPrice: l.UnitPrice,
		OverrideBy: l.OverrideBy, Gross: t.Gross, Discount: t.Discount, OrderShare: t.OrderShare, Net: t.Net,
		DiscountSet: l.Discount,
	}
	if l.Discount != nil {
		c.DiscountPct = float64(l.Discount.PercentBP) / 100
	}
	return c
}

// ParkedCart summarises a parked cart.
type ParkedCart struct {
	ID       string `json:"id"`
	Note     string `json:"note"`
	ParkedAt string `json:"parked_at"`
	User     string `json:"user"`
	Lines    int    `json:"lines"`
	Total    Rupiah `json:"total"`
}

func (t *Till) newCart(user string) *Cart {
	now := t.now()
	info, _ := t.catalog.Info()
	return &Cart{ID: newID("c-"), User: user, Started: now, Updated: now, CatalogVersion: info.Version, NextLine: 1}
}

func (t *Till) view(ctx context.Context) CartView {
	tot := t.cart.Totals(&t.cfg)
	v := CartView{Cart: t.cart, Totals: tot, Lines: make([]CartLine, len(t.cart.Lines))}
	for i := range t.cart.Lines {
		v.Lines[i] = cartLine(t.cart.Lines[i], tot.Lines[i])
	}
	v.Rounding = t.cfg.Rounding.Adjust(tot.Total)
	v.CashDue = tot.Total + v.Rounding
	if carts, err := t.store.Carts(ctx); err == nil {
		for _, c := range carts {
			if c.Parked {
				v.ParkedCount++
			}
		}
	}
	return v
}

// Cart returns the cart in progress.
func (t *Till) Cart(ctx context.Context) CartView {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.view(ctx)
}

// change applies fn to a copy of the cart and saves it; if fn or the save
// fails, the cart stays as it was, so what the cashier sees is what is on disk.
func (t *Till) change(ctx context.Context, u User, fn func(c *Cart) error) (CartView, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := cloneCart(t.cart)
	if c.User == "" {
		c.User = u.Name
	}
	if err := fn(c); err != nil {
		return CartView{}, err
	}
	c.Updated = t.now()
	if err := t.store.SaveCart(ctx, c); err != nil {
		return CartView{}, Wrap(CodeStoreFailed, err, "save cart %s", c.ID)
	}
	t.cart = c
	v := t.view(ctx)
	t.showCart(v)
	return v, nil
}

func cloneCart(c *Cart) *Cart {
	b, _ := json.Marshal(c)
	var n Cart
	json.Unmarshal(b, &n)
	return &n
}

// AddLine adds a product by barcode or SKU. qty 0 means one unit; for a
// weighed-item barcode the weight or price comes from the code.
func (t *Till) AddLine(ctx context.Context, u User, code string, qty Qty) (CartView, error) {
	if err := t.sellable(); err != nil {
		return CartView{}, err
	}
	t.mu.Lock()
	rules := t.cfg.Weighed
	t.mu.Unlock()
	scan, err := ParseScan(code, rules)
	if err != nil {
		return CartView{}, err
	}
	var p *Product
	for _, key := range scan.LookupKeys() {
		p, err = t.catalog.Lookup(key)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrNotFound) {
			return CartView{}, Wrap(CodeStoreFailed, err, "lookup %s", key)
		}
	}
	if p == nil {
		return CartView{}, Errorm(CodeNotFound, "unknown_code", []any{strings.TrimSpace(code)}, "no product for %q", code)
	}
	if !p.Active {
		return CartView{}, Errorm(CodeConflict, "inactive_product", []any{p.Name}, "product %s inactive", p.SKU)
	}
	if qty == 0 {
		qty = QtyOne
	}
	if err := checkQty(p.Weighed, qty); err != nil {
		return CartView{}, err
	}
	t.mu.Lock()
	_, knownTax := t.cfg.taxClasses()[p.TaxClass]
	t.mu.Unlock()
	if p.TaxClass != "" && !knownTax {
		// Selling it would leave its tax out of the receipt and the Z report.
		return CartView{}, Errorm(CodeConflict, "unknown_tax_class", []any{p.Name, p.TaxClass}, "product %s has tax class %q", p.SKU, p.TaxClass)
	}
	if scan.Kind == KindWeighed && scan.Value == WeighedWeight && !p.Weighed {
		return CartView{}, Errorm(CodeInvalid, "weight_not_weighed", []any{p.Name}, "weight label for counted product %s", p.SKU)
	}
	price := p.PriceAt(t.now())
	info, _ := t.catalog.Info()
	line := Line{
		SKU: p.SKU, Barcode: scan.Raw, Name: p.Name, Category: p.Category, Unit: p.Unit,
		TaxClass: p.TaxClass, Weighed: p.Weighed, Qty: qty, ListPrice: price, UnitPrice: price,
	}
	if scan.Kind == KindOther {
		line.Barcode = ""
	}
	if line.TaxClass == "" {
		line.TaxClass = "PPN"
	}
	if scan.Kind == KindWeighed {
		switch scan.Value {
		case WeighedPrice:
			// The scale printed the price: one piece at that price.
			line.UnitPrice, line.Qty, line.FixedPrice, line.Weighed = scan.Price, QtyOne, true, false
		case WeighedWeight:
			line.Qty = Qty(scan.WeightG)
			if line.Qty <= 0 {
				return CartView{}, Errorm(CodeInvalid, "bad_qty", nil, "weight 0 in %s", code)
			}
		}
	}
	return t.change(ctx, u, func(c *Cart) error {
		if !line.Weighed && !line.FixedPrice {
			for i := range c.Lines {
				l := &c.Lines[i]
				if l.SKU == line.SKU && !l.Weighed && !l.FixedPrice && l.OverrideBy == "" && l.Discount == nil && l.UnitPrice == line.UnitPrice {
					if err := checkQty(false, l.Qty+line.Qty); err != nil {
						return err
					}
					l.Qty += line.Qty
					return nil
				}
			}
		}
		if len(c.Lines) == 0 {
			// A cart is priced from the catalog of its first line: the
			// sale records that version.
			c.CatalogVersion = info.Version
		}
		line.ID = c.NextLine
		c.NextLine++
		c.Lines = append(c.Lines, line)
		return nil
	})
}

// maxLineQty bounds a line: 9,999 units is more than any shop rings up at once
// and keeps every product of price and quantity far from overflow.
const maxLineQty = 9999 * QtyOne

func checkQty(weighed bool, q Qty) error {
	if q <= 0 || q > maxLineQty {
		return Errorm(CodeInvalid, "bad_qty", nil, "quantity %d", q)
	}
	if !weighed && q%QtyOne != 0 {
		return Errorm(CodeInvalid, "whole_qty", nil, "fractional quantity %d of a counted product", q)
	}
	return nil
}

func findLine(c *Cart, id int) (*Line, error) {
	l := c.Line(id)
	if l == nil {
		return nil, Errorm(CodeNotFound, "line_not_found", nil, "line %d", id)
	}
	return l, nil
}

// SetQty changes a line's quantity; zero removes the line.
func (t *Till) SetQty(ctx context.Context, u User, id int, q Qty) (CartView, error) {
	return t.change(ctx, u, func(c *Cart) error {
		l, err := findLine(c, id)
		if err != nil {
			return err
		}
		if q == 0 {
			removeLine(c, id)
			return nil
		}
		if l.FixedPrice && q != QtyOne {
			return Errorm(CodeConflict, "fixed_qty", nil, "quantity of a priced label line")
		}
		if err := checkQty(l.Weighed, q); err != nil {
			return err
		}
		l.Qty = q
		return nil
	})
}

// RemoveLine takes a line off the cart.
func (t *Till) RemoveLine(ctx context.Context, u User, id int) (CartView, error) {
	return t.change(ctx, u, func(c *Cart) error {
		if _, err := findLine(c, id); err != nil {
			return err
		}
		removeLine(c, id)
		return nil
	})
}

func removeLine(c *Cart, id int) {
	for i := range c.Lines {
		if c.Lines[i].ID == id {
			c.Lines = append(c.Lines[:i], c.Lines[i+1:]...)
			return
		}
	}
}

// needsApproval reports whether a discount on base is above what a cashier
// may give: a percentage above the percent limit, or an amount above the
// amount limit or worth more than the percent limit of what it reduces (so
// Rp 10.000 off a Rp 3.700 item is not a free item).
func (t *Till) needsApproval(d *Discount, base Rupiah) bool {
	if d.ApprovedBy != "" {
		return false
	}
	if d.PercentBP > 0 {
		return d.PercentBP > t.cfg.DiscountLimitBP
	}
	off := d.of(base)
	return off > t.cfg.DiscountLimit || int64(off)*10000 > int64(base)*t.cfg.DiscountLimitBP
}

// checkDiscounts refuses a cart whose discounts, given within the limit,
// have grown past it since (fewer items under a fixed-amount discount).
func (t *Till) checkDiscounts(c *Cart, tot Totals) error {
	for i := range c.Lines {
		if d := c.Lines[i].Discount; d != nil && t.needsApproval(d, tot.Lines[i].Gross) {
			return Errorm(CodeConflict, "discount_recheck", nil, "line %d discount now above the limit", c.Lines[i].ID)
		}
	}
	if d := c.Discount; d != nil && t.needsApproval(d, tot.Subtotal-tot.LineDiscounts) {
		return Errorm(CodeConflict, "discount_recheck", nil, "order discount now above the limit")
	}
	return nil
}

// DiscountLine sets (or with a zero discount, removes) a line's discount.
// Above the configured limit it needs a supervisor.
func (t *Till) DiscountLine(ctx context.Context, u User, id int, d Discount, approvalPIN string) (CartView, error) {
	if err := d.Validate(); err != nil {
		return CartView{}, err
	}
	return t.change(ctx, u, func(c *Cart) error {
		l, err := findLine(c, id)
		if err != nil {
			return err
		}
		if d.PercentBP == 0 && d.Amount == 0 {
			l.Discount = nil
			return nil
		}
		if t.needsApproval(&d, l.Gross()) {
			by, err := t.approve(ctx, u, approvalPIN)
			if err != nil {
				return err
			}
			d.ApprovedBy = by.Name
		}
		l.Discount = &d
		return nil
	})
}

// DiscountOrder sets (or removes) the discount on the whole cart.
func (t *Till) DiscountOrder(ctx context.Context, u User, d Discount, approvalPIN string) (CartView, error) {
	if err := d.Validate(); err != nil {
		return CartView{}, err
	}
	return t.change(ctx, u, func(c *Cart) error {
		if d.PercentBP == 0 && d.Amount == 0 {
			c.Discount = nil
			return nil
		}
		if len(c.Lines) == 0 {
			return Errorm(CodeConflict, "cart_empty", nil, "discount on an empty cart")
		}
		tot := c.Totals(&t.cfg)
		if t.needsApproval(&d, tot.Subtotal-tot.LineDiscounts) {
			by, err := t.approve(ctx, u, approvalPIN)
			if err != nil {
				return err
			}
			d.ApprovedBy = by.Name
		}
		c.Discount = &d
		return nil
	})
}

// OverridePrice changes a line's unit price. It always needs a supervisor.
func (t *Till) OverridePrice(ctx context.Context, u User, id int, price Rupiah, approvalPIN string) (CartView, error) {
	if price < 0 || price > maxRupiah {
		return CartView{}, Errorm(CodeInvalid, "bad_price", nil, "price %d", price)
	}
	return t.change(ctx, u, func(c *Cart) error {
		l, err := findLine(c, id)
		if err != nil {
			return err
		}
		by, err := t.approve(ctx, u, approvalPIN)
		if err != nil {
			return err
		}
		l.UnitPrice, l.OverrideBy = price, by.Name
		return nil
	})
}

// ClearCart empties the cart in progress.
func (t *Till) ClearCart(ctx context.Context, u User) (CartView, error) {
	return t.change(ctx, u, func(c *Cart) error {
		if len(c.Lines) > 0 {
			t.log.Info("cart cleared", "cart", c.ID, "lines", len(c.Lines), "user", u.ID)
		}
		c.Lines, c.Discount = nil, nil
		return nil
	})
}

// Park puts the cart aside and starts a new one.
func (t *Till) Park(ctx context.Context, u User, note string) (CartView, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cart.Lines) == 0 {
		return CartView{}, Errorm(CodeConflict, "cart_empty", nil, "park an empty cart")
	}
	parked := cloneCart(t.cart)
	parked.Parked, parked.ParkedAt, parked.Note = true, t.now(), strings.TrimSpace(note)
	if err := t.store.SaveCart(ctx, parked); err != nil {
		return CartView{}, Wrap(CodeStoreFailed, err, "park cart")
	}
	t.cart = t.newCart(u.Name)
	v := t.view(ctx)
	t.showCart(v)
	return v, nil
}

// Parked lists parked carts, oldest first.
func (t *Till) Parked(ctx context.Context) ([]ParkedCart, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	carts, err := t.store.Carts(ctx)
	if err != nil {
		return nil, err
	}
	out := []ParkedCart{}
	for i := range carts {
		c := &carts[i]
		if !c.Parked {
			continue
		}
		out = append(out, ParkedCart{ID: c.ID, Note: c.Note, ParkedAt: c.ParkedAt.Format("2006-01-02T15:04:05Z07:00"),
			User: c.User, Lines: len(c.Lines), Total: c.Totals(&t.cfg).Total})
	}
	return out, nil
}

// Recall makes a parked cart the cart in progress. The current cart must be empty.
func (t *Till) Recall(ctx context.Context, u User, id string) (CartView, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cart.Lines) > 0 {
		return CartView{}, Errorm(CodeConflict, "cart_not_empty", nil, "recall over a non-empty cart")
	}
	carts, err := t.store.Carts(ctx)
	if err != nil {
		return CartView{}, err
	}
	for i := range carts {
		c := carts[i]
		if c.ID != id || !c.Parked {
			continue
		}
		c.Parked, c.Updated = false, t.now()
		if err := t.store.SaveCart(ctx, &c); err != nil {
			return CartView{}, Wrap(CodeStoreFailed, err, "recall cart")
		}
		if err := t.store.DeleteCart(ctx, t.cart.ID); err != nil {
			t.log.Warn("delete empty cart", "err", err)
		}
		t.cart = &c
		v := t.view(ctx)
		t.showCart(v)
		return v, nil
	}
	return CartView{}, Errorm(CodeNotFound, "cart_not_found", nil, "parked cart %s", id)
}
