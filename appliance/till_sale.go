package appliance

import (
	"context"
	"errors"
	"strings"
	"time"
)

// sellable refuses selling when head office's policy says the catalog is too
// old. Callers must not hold t.mu.
func (t *Till) sellable() error {
	t.mu.Lock()
	cfg := t.cfg
	t.mu.Unlock()
	if !cfg.RefuseStaleCatalog || cfg.MaxCatalogAge.Duration <= 0 {
		return nil
	}
	info, err := t.catalog.Info()
	if err != nil {
		return Wrap(CodeStoreFailed, err, "catalog info")
	}
	if age := t.now().Sub(info.LoadedAt); age > cfg.MaxCatalogAge.Duration {
		return Errorf(CodeCatalogStale, "catalog %s is %s old", info.Version, age.Round(time.Minute))
	}
	return nil
}

// SaleResult is a committed document and what happened after the commit.
type SaleResult struct {
	*Sale
	Due Rupiah `json:"due"`
	// AlreadyPaid is set when the cart had been paid before: the answer is
	// that sale, and nothing new was committed.
	AlreadyPaid bool `json:"already_paid,omitempty"`
	Printed     bool `json:"printed"`
	// PrintError is a sentence for the cashier; the log has the detail.
	PrintError     string `json:"print_error,omitempty"`
	PrintErrorCode string `json:"print_error_code,omitempty"`
	printErr       error
}

// PrintErr is the printer's error, if printing failed.
func (r *SaleResult) PrintErr() error { return r.printErr }

// pending is what to do after a commit, outside the till's lock: printing
// and the drawer may be slow (a printer out of paper, a network printer)
// and must never hold up the next scan or the status strip.
type pending struct {
	job    int64 // the receipt's print job, 0 for none
	drawer bool
}

// Pay completes the cart with payments. The sale, its journal entry and its
// outbox row are committed in one transaction before anything is printed or
// the drawer opens; a print failure is reported but the sale stands.
//
// cartID names the cart the cashier is paying. If it was already sold (the
// answer to an earlier try was lost), Pay returns that sale and commits
// nothing; if it is not the cart in progress, Pay refuses. An empty cartID
// pays the cart in progress.
func (t *Till) Pay(ctx context.Context, u User, cartID string, pays []Payment) (*SaleResult, error) {
	return t.PayApproved(ctx, u, cartID, pays, "")
}

// PayApproved is Pay with a supervisor's PIN for tenders above their
// method's cap (MethodSpec.MaxAmount); without one such a tender is
// refused with CodeApproval. A tender of a static QRIS method is recorded
// as confirmed by the cashier, with the cart as its reference, and the
// sale is flagged for reconciliation. Dynamic QRIS is not paid here: the
// till completes the sale itself when the provider says the charge is paid
// (StartQRIS).
func (t *Till) PayApproved(ctx context.Context, u User, cartID string, pays []Payment, approvalPIN string) (*SaleResult, error) {
	if err := t.sellable(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	res, after, err := t.pay(ctx, u, cartID, pays, approvalPIN, nil)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	t.afterCommit(ctx, res, after)
	return res, nil
}

// pay completes the cart. attempt is the dynamic QRIS attempt whose paid
// charge is one of pays, or nil when the cashier pays. Callers hold t.mu.
func (t *Till) pay(ctx context.Context, u User, cartID string, pays []Payment, approvalPIN string, attempt *QRISAttempt) (*SaleResult, *pending, error) {
	c := t.cart
	if cartID != "" && cartID != c.ID {
		s, err := t.store.SaleByCart(ctx, cartID)
		if err == nil {
			return &SaleResult{Sale: s, Due: s.Total + s.Rounding, AlreadyPaid: true}, nil, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, nil, Wrap(CodeStoreFailed, err, "look up sale of cart %s", cartID)
		}
		return nil, nil, Errorm(CodeConflict, "cart_changed", nil, "pay cart %s, in progress is %s", cartID, c.ID)
	}
	if !t.shift.Open() {
		return nil, nil, Errorf(CodeNoShift, "no open shift")
	}
	if len(c.Lines) == 0 {
		return nil, nil, Errorm(CodeConflict, "cart_empty", nil, "pay an empty cart")
	}
	online := t.online()
	hasCash, reconcile := false, false
	pays = append([]Payment(nil), pays...)
	for i := range pays {
		p := &pays[i]
		if attempt == nil {
			*p = clientPayment(*p)
		}
		spec, ok := t.cfg.Method(p.Method)
		if !ok {
			return nil, nil, Errorm(CodeInvalid, "unknown_method", []any{p.Method}, "method %q", p.Method)
		}
		if spec.Off && attempt == nil {
			return nil, nil, Errorm(CodeConflict, "method_off", []any{spec.Name}, "method %s is off", p.Method)
		}
		switch spec.QRIS {
		case QRISStatic:
			p.Confirmation = ConfirmedByCashier
			if strings.TrimSpace(p.Reference) == "" {
				p.Reference = c.ID // the reference label of the code StaticQRIS showed
			}
			reconcile = true
		case QRISDynamic:
			if attempt == nil || p.ChargeID != attempt.ChargeID {
				return nil, nil, Errorm(CodeConflict, "qris_unpaid", nil, "dynamic QRIS tender without a paid charge")
			}
			continue // the money has moved: being offline now changes nothing
		}
		if !spec.Offline && !online {
			return nil, nil, Errorm(CodeConflict, "method_offline", []any{spec.Name}, "method %s needs a connection", p.Method)
		}
		hasCash = hasCash || spec.Cash
	}
	tot := c.Totals(&t.cfg)
	if err := t.checkDiscounts(c, tot); err != nil {
		return nil, nil, err
	}
	if attempt == nil {
		by, err := t.approveCaps(ctx, u, pays, approvalPIN)
		if err != nil {
			return nil, nil, err
		}
		for i := range pays {
			if spec, _ := t.cfg.Method(pays[i].Method); spec.MaxAmount > 0 && pays[i].Amount > spec.MaxAmount {
				pays[i].ApprovedBy = by
			}
		}
	}
	st, err := Settle(tot.Total, pays, &t.cfg)
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) && e.Code == CodeUnderpaid {
			e.Args = []any{(st.Due - st.Paid).String()}
		}
		return nil, nil, err
	}
	sale := saleFromCart(c, tot, st, pays)
	sale.Kind = DocSale
	sale.UserID, sale.UserName = u.ID, u.Name
	sale.ShiftID = t.shift.ID
	sale.CartID = c.ID
	sale.Reconcile = reconcile
	when, behind := t.stamp()
	sale.ClockBehind = behind
	sale.ClockUntrusted = !t.trustClock()
	rec := &Record{Kind: RecSale, Time: when, UserID: u.ID, UserName: u.Name, Sale: sale, CartID: c.ID, QRIS: attempt}
	rec.Receipt = t.receiptOf(sale)
	if err := t.commit(ctx, rec); err != nil {
		return nil, nil, err
	}
	t.cart = t.newCart(u.Name)
	t.showPaid(sale)
	res := &SaleResult{Sale: sale, Due: st.Due}
	return res, &pending{job: rec.PrintJob, drawer: hasCash}, nil
}

// approveCaps returns who approves the tenders above their method's cap:
// "" when none is, else the supervisor (see approve). Callers hold t.mu.
func (t *Till) approveCaps(ctx context.Context, u User, pays []Payment, pin string) (string, error) {
	for _, p := range pays {
		spec, _ := t.cfg.Method(p.Method)
		if spec.MaxAmount <= 0 || p.Amount <= spec.MaxAmount {
			continue
		}
		if pin == "" && !u.Supervisor() {
			return "", Errorm(CodeApproval, "method_cap", []any{spec.Name, spec.MaxAmount.String()},
				"%s tender %d above the cap %d", p.Method, p.Amount, spec.MaxAmount)
		}
		by, err := t.approve(ctx, u, pin)
		if err != nil {
			return "", err
		}
		t.log.Info("tender above cap approved", "method", p.Method, "amount", p.Amount, "by", by.ID)
		return by.Name, nil
	}
	return "", nil
}

// afterCommit prints and opens the drawer. Callers must not hold t.mu.
func (t *Till) afterCommit(ctx context.Context, res *SaleResult, p *pending) {
	if p == nil {
		return
	}
	if p.job != 0 {
		if err := t.printQueued(ctx, p.job); err != nil {
			res.printErr = err
			res.PrintErrorCode, res.PrintError = PrintProblem(err, "id")
		} else {
			res.Printed = true
		}
	}
	if p.drawer {
		t.openDrawer(ctx, res.Number)
	}
}

func saleFromCart(c *Cart, tot Totals, st Settlement, pays []Payment) *Sale {
	s := &Sale{
		CatalogVersion: c.CatalogVersion,
		Subtotal:       tot.Subtotal,
		Discount:       tot.LineDiscounts + tot.OrderDiscount,
		OrderDiscount:  tot.OrderDiscount,
		Total:          tot.Total,
		Rounding:       st.Rounding,
		Paid:           st.Paid,
		Change:         st.Change,
		Taxes:          tot.Taxes,
		Payments:       append([]Payment(nil), pays...),
	}
	for i, l := range c.Lines {
		lt := tot.Lines[i]
		sl := SaleLine{
			LineNo: i + 1, SKU: l.SKU, Barcode: l.Barcode, Name: l.Name, Unit: l.Unit, TaxClass: l.TaxClass,
			Qty: l.Qty, ListPrice: l.ListPrice, UnitPrice: l.UnitPrice,
			Gross: lt.Gross, Discount: lt.Discount, OrderShare: lt.OrderShare, Net: lt.Net,
			OverrideBy: l.OverrideBy,
		}
		if l.Discount != nil {
			sl.DiscountBy = l.Discount.ApprovedBy
		}
		s.Lines = append(s.Lines, sl)
	}
	return s
}

// SaleDetail is a document with what has happened to it since.
type SaleDetail struct {
	*Sale
	Due        Rupiah       `json:"due"`
	VoidedBy   string       `json:"voided_by,omitempty"`
	Refunds    []string     `json:"refunds"`
	Refundable []RefundLine `json:"refundable"`
}

// RefundLine is a quantity of one line of a sale.
type RefundLine struct {
	LineNo int `json:"line_no"`
	Qty    Qty `json:"qty"`
}

// Sale looks a document up by receipt number.
func (t *Till) Sale(ctx context.Context, number string) (*SaleDetail, error) {
	return t.saleDetail(ctx, number)
}

// saleDetail reads a document and what reverses it. Void and Refund call it
// with t.mu held, so that their checks and their commit see the same state.
func (t *Till) saleDetail(ctx context.Context, number string) (*SaleDetail, error) {
	s, err := t.store.Sale(ctx, strings.TrimSpace(number))
	if errors.Is(err, ErrNotFound) {
		return nil, Errorm(CodeNotFound, "sale_not_found", []any{number}, "sale %s", number)
	}
	if err != nil {
		return nil, Wrap(CodeStoreFailed, err, "load sale %s", number)
	}
	d := &SaleDetail{Sale: s, Due: s.Total + s.Rounding, Refunds: []string{}, Refundable: []RefundLine{}}
	if s.Kind != DocSale {
		return d, nil
	}
	refs, err := t.store.SalesReferencing(ctx, s.Number)
	if err != nil {
		return nil, Wrap(CodeStoreFailed, err, "load refunds of %s", number)
	}
	left := refundable(s, refs)
	for _, r := range refs {
		if r.Kind == DocVoid {
			d.VoidedBy = r.Number
		} else {
			d.Refunds = append(d.Refunds, r.Number)
		}
	}
	if d.VoidedBy == "" {
		for _, l := range s.Lines {
			if q := left[l.LineNo]; q > 0 {
				d.Refundable = append(d.Refundable, RefundLine{LineNo: l.LineNo, Qty: q})
			}
		}
	}
	return d, nil
}

// refundable returns, per line, the quantity not yet refunded.
func refundable(s *Sale, refs []Sale) map[int]Qty {
	left := map[int]Qty{}
	for _, l := range s.Lines {
		left[l.LineNo] = l.Qty
	}
	for _, r := range refs {
		if r.Kind != DocRefund {
			continue
		}
		for _, l := range r.Lines {
			left[l.RefLine] -= l.Qty
		}
	}
	return left
}

// RecentSales lists the newest documents.
func (t *Till) RecentSales(ctx context.Context, limit int) ([]Sale, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	return t.store.RecentSales(ctx, limit)
}

// ReceiptText is a document's receipt as plain text.
func (t *Till) ReceiptText(ctx context.Context, number string) (string, error) {
	d, err := t.Sale(ctx, number)
	if err != nil {
		return "", err
	}
	cfg := t.Config()
	return SaleReceipt(d.Sale, &cfg, false).Text(), nil
}

// Reprint prints a copy of a document, marked SALINAN.
func (t *Till) Reprint(ctx context.Context, u User, number string) error {
	d, err := t.Sale(ctx, number)
	if err != nil {
		return err
	}
	cfg := t.Config()
	t.log.Info("reprint", "receipt", number, "user", u.ID)
	return t.queue(ctx, PrintReprint, SaleReceipt(d.Sale, &cfg, true))
}

// Void reverses a whole sale of the current shift with a new document. It
// needs a supervisor.
func (t *Till) Void(ctx context.Context, u User, number, reason, approvalPIN string) (*SaleResult, error) {
	t.mu.Lock()
	res, after, err := t.void(ctx, u, number, reason, approvalPIN)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	t.afterCommit(ctx, res, after)
	return res, nil
}

func (t *Till) void(ctx context.Context, u User, number, reason, approvalPIN string) (*SaleResult, *pending, error) {
	d, err := t.saleDetail(ctx, number)
	if err != nil {
		return nil, nil, err
	}
	s := d.Sale
	switch {
	case s.Kind != DocSale:
		return nil, nil, Errorm(CodeConflict, "not_a_sale", []any{number}, "void of a %s", s.Kind)
	case d.VoidedBy != "":
		return nil, nil, Errorm(CodeConflict, "already_voided", []any{number}, "already voided by %s", d.VoidedBy)
	case len(d.Refunds) > 0:
		return nil, nil, Errorm(CodeConflict, "void_has_refund", []any{number}, "has refunds")
	case !t.shift.Open():
		return nil, nil, Errorf(CodeNoShift, "no open shift")
	case s.ShiftID != t.shift.ID:
		return nil, nil, Errorm(CodeConflict, "void_other_shift", nil, "sale of shift %d", s.ShiftID)
	case strings.TrimSpace(reason) == "":
		return nil, nil, Errorm(CodeInvalid, "bad_reason", nil, "void without reason")
	}
	by, err := t.approve(ctx, u, approvalPIN)
	if err != nil {
		return nil, nil, err
	}
	v := *s
	v.Kind, v.Ref, v.Reason, v.ApprovedBy = DocVoid, s.Number, strings.TrimSpace(reason), by.Name
	v.CartID = ""
	v.UserID, v.UserName, v.ShiftID = u.ID, u.Name, t.shift.ID
	v.Lines = append([]SaleLine(nil), s.Lines...)
	v.Payments = append([]Payment(nil), s.Payments...)
	when, behind := t.stamp()
	v.ClockBehind = behind
	v.ClockUntrusted = !t.trustClock()
	rec := &Record{Kind: RecVoid, Time: when, UserID: u.ID, UserName: u.Name, Reason: v.Reason, Sale: &v}
	rec.Receipt = t.receiptOf(&v)
	if err := t.commit(ctx, rec); err != nil {
		return nil, nil, err
	}
	res := &SaleResult{Sale: &v, Due: v.Total + v.Rounding}
	cash := v.MethodNet(&t.cfg)[MethodCash] != 0
	return res, &pending{job: rec.PrintJob, drawer: cash}, nil
}

// Refund pays back some or all of a sale's lines with a new document. lines
// nil refunds everything left. It needs a supervisor and an open shift (the
// money leaves this shift's drawer).
func (t *Till) Refund(ctx context.Context, u User, number string, lines []RefundLine, method, reason, approvalPIN string) (*SaleResult, error) {
	t.mu.Lock()
	res, after, err := t.refund(ctx, u, number, lines, method, reason, approvalPIN)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	t.afterCommit(ctx, res, after)
	return res, nil
}

func (t *Till) refund(ctx context.Context, u User, number string, lines []RefundLine, method, reason, approvalPIN string) (*SaleResult, *pending, error) {
	d, err := t.saleDetail(ctx, number)
	if err != nil {
		return nil, nil, err
	}
	s := d.Sale
	switch {
	case s.Kind != DocSale:
		return nil, nil, Errorm(CodeConflict, "not_a_sale", []any{number}, "refund of a %s", s.Kind)
	case d.VoidedBy != "":
		return nil, nil, Errorm(CodeConflict, "already_voided", []any{number}, "voided by %s", d.VoidedBy)
	case !t.shift.Open():
		return nil, nil, Errorf(CodeNoShift, "no open shift")
	case strings.TrimSpace(reason) == "":
		return nil, nil, Errorm(CodeInvalid, "bad_reason", nil, "refund without reason")
	}
	if method == "" {
		method = MethodCash
	}
	spec, ok := t.cfg.Method(method)
	paidWith := spec.Cash
	for _, p := range s.Payments {
		paidWith = paidWith || p.Method == method
	}
	if !ok || !paidWith {
		return nil, nil, Errorm(CodeInvalid, "refund_method", nil, "refund method %q for a sale paid %+v", method, s.Payments)
	}
	refs, err := t.store.SalesReferencing(ctx, s.Number)
	if err != nil {
		return nil, nil, Wrap(CodeStoreFailed, err, "load refunds of %s", number)
	}
	left := refundable(s, refs)
	if lines == nil {
		for _, l := range s.Lines {
			if left[l.LineNo] > 0 {
				lines = append(lines, RefundLine{LineNo: l.LineNo, Qty: left[l.LineNo]})
			}
		}
	}
	r := &Sale{Kind: DocRefund, Ref: s.Number, Reason: strings.TrimSpace(reason), CatalogVersion: s.CatalogVersion,
		UserID: u.ID, UserName: u.Name, ShiftID: t.shift.ID}
	// Net already refunded per line, so that refunding what is left returns
	// exactly the rest of the line, whatever the rounding of earlier parts.
	netDone := map[int]Rupiah{}
	for _, ref := range refs {
		for _, l := range ref.Lines {
			if ref.Kind == DocRefund {
				netDone[l.RefLine] += l.Net
			}
		}
	}
	seen := map[int]bool{}
	taxGross := map[string]Rupiah{}
	for _, rl := range lines {
		var orig *SaleLine
		for i := range s.Lines {
			if s.Lines[i].LineNo == rl.LineNo {
				orig = &s.Lines[i]
			}
		}
		if orig == nil || seen[rl.LineNo] {
			return nil, nil, Errorm(CodeInvalid, "line_not_found", nil, "refund line %d", rl.LineNo)
		}
		seen[rl.LineNo] = true
		if rl.Qty <= 0 || rl.Qty > left[rl.LineNo] {
			return nil, nil, Errorm(CodeInvalid, "refund_too_much", nil, "refund %d of line %d, %d left", rl.Qty, rl.LineNo, left[rl.LineNo])
		}
		part := func(v Rupiah) Rupiah { return Rupiah(divRound(int64(v)*int64(rl.Qty), int64(orig.Qty))) }
		nl := *orig
		nl.LineNo, nl.RefLine, nl.Qty = len(r.Lines)+1, orig.LineNo, rl.Qty
		nl.Gross, nl.Discount, nl.OrderShare = part(orig.Gross), part(orig.Discount), part(orig.OrderShare)
		nl.Net = nl.Gross - nl.Discount - nl.OrderShare
		if rl.Qty == left[rl.LineNo] {
			nl.Net = orig.Net - netDone[rl.LineNo]
		}
		r.Lines = append(r.Lines, nl)
		r.Subtotal += nl.Gross
		r.Discount += nl.Discount + nl.OrderShare
		r.OrderDiscount += nl.OrderShare
		r.Total += nl.Net
		taxGross[nl.TaxClass] += nl.Net
	}
	if len(r.Lines) == 0 {
		return nil, nil, Errorm(CodeConflict, "nothing_to_refund", nil, "nothing to refund on %s", number)
	}
	r.Taxes = taxBreakdown(taxGross, t.cfg.taxClasses())
	if spec.Cash {
		// Round what has been paid back in all, not each part: three
		// partial refunds must not each lose the customer a coin.
		var prevNet, prevPaid Rupiah
		for _, ref := range refs {
			if ref.Kind == DocRefund {
				prevNet += ref.Total
				prevPaid += ref.Paid
			}
		}
		all := prevNet + r.Total
		r.Rounding = all + t.cfg.Rounding.Adjust(all) - prevPaid - r.Total
	}
	r.Paid = r.Total + r.Rounding
	r.Payments = []Payment{{Method: method, Amount: r.Paid}}
	by, err := t.approve(ctx, u, approvalPIN)
	if err != nil {
		return nil, nil, err
	}
	r.ApprovedBy = by.Name
	when, behind := t.stamp()
	r.ClockBehind = behind
	r.ClockUntrusted = !t.trustClock()
	rec := &Record{Kind: RecRefund, Time: when, UserID: u.ID, UserName: u.Name, Reason: r.Reason, Sale: r}
	rec.Receipt = t.receiptOf(r)
	if err := t.commit(ctx, rec); err != nil {
		return nil, nil, err
	}
	res := &SaleResult{Sale: r, Due: r.Paid}
	return res, &pending{job: rec.PrintJob, drawer: spec.Cash}, nil
}
