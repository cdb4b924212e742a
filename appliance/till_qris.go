package appliance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
)

// Static QRIS: the shop's own code with the sale's amount. It works with no
// connection at all (the customer's phone pays); the cashier confirms the
// payment by checking the merchant's app, and the sale is flagged for
// reconciliation at head office.

// StaticQRIS returns the code for paying amount of the cart in progress with
// a static QRIS method, and puts it up on the customer's screen. amount 0
// means the cart's total. cartID, when set, must be the cart in progress.
func (t *Till) StaticQRIS(ctx context.Context, u User, cartID, method string, amount Rupiah) (*QRISCode, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if method == "" {
		method = t.firstQRIS(QRISStatic)
	}
	spec, err := t.qrisMethod(method, QRISStatic)
	if err != nil {
		return nil, err
	}
	c := t.cart
	if cartID != "" && cartID != c.ID {
		return nil, Errorm(CodeConflict, "cart_changed", nil, "static QRIS for cart %s, in progress is %s", cartID, c.ID)
	}
	if len(c.Lines) == 0 {
		return nil, Errorm(CodeConflict, "cart_empty", nil, "static QRIS for an empty cart")
	}
	total := c.Totals(&t.cfg).Total
	if amount == 0 {
		amount = total
	}
	if amount <= 0 || amount > total {
		return nil, Errorm(CodeInvalid, "qris_bad_amount", nil, "static QRIS amount %d of %d", amount, total)
	}
	p, err := t.cfg.StaticQRIS()
	if err != nil {
		return nil, err
	}
	terminal := qrisTerminal(&t.cfg)
	payload, err := p.WithAmount(int64(amount), terminal, c.ID)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Key: "qris_provider", Args: []any{qrisText{err}}, Detail: "static QRIS with amount", Err: err}
	}
	t.showQR(payload, amount)
	return &QRISCode{Method: spec.Code, Payload: payload, Amount: amount, Terminal: terminal, Reference: c.ID,
		CartID: c.ID, Merchant: p.MerchantName()}, nil
}

// HideQRIS takes a QRIS code off the customer's screen (the cashier left
// the QRIS screen without paying).
func (t *Till) HideQRIS() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hideQR()
}

// firstQRIS is the code of the first method of kind that is on, or "".
// Callers hold t.mu.
func (t *Till) firstQRIS(kind string) string {
	for _, m := range t.cfg.Methods {
		if m.QRIS == kind && !m.Off {
			return m.Code
		}
	}
	return ""
}

// qrisMethod returns the spec of a QRIS method of kind that is on. Callers
// hold t.mu.
func (t *Till) qrisMethod(code, kind string) (MethodSpec, error) {
	spec, ok := t.cfg.Method(code)
	switch {
	case !ok:
		return spec, Errorm(CodeInvalid, "unknown_method", []any{code}, "method %q", code)
	case spec.QRIS != kind:
		return spec, Errorm(CodeInvalid, "qris_not_qris", []any{spec.Name}, "method %s is not %s QRIS", code, kind)
	case spec.Off:
		return spec, Errorm(CodeConflict, "method_off", []any{spec.Name}, "method %s is off", code)
	}
	return spec, nil
}

// Dynamic QRIS: a charge from a payment provider, which confirms the
// payment itself. The order of steps follows package qris's "Driving a
// dynamic payment": the attempt is on disk before the provider hears of it,
// no lock is held while the provider is asked, and a payment nobody took
// becomes a qris_late record for head office.

// QRISRequest starts a dynamic QRIS payment of the cart in progress.
type QRISRequest struct {
	CartID string `json:"cart_id"`
	Method string `json:"method"`
	// Amount is what the code charges; 0 means the total less Payments.
	Amount Rupiah `json:"amount"`
	// Payments are the sale's other tenders (a cash part, a card part),
	// committed together with the charge once it is paid.
	Payments    []Payment `json:"payments"`
	ApprovalPIN string    `json:"approval_pin"`
}

// QRISStatus is a dynamic QRIS payment as the cashier's screen follows it.
type QRISStatus struct {
	Attempt *QRISAttempt `json:"attempt"`
	// Sale is set once the charge paid the sale.
	Sale *SaleResult `json:"sale,omitempty"`
	// Problem is the cashier's sentence when the provider cannot be
	// reached or the money could not go to the sale; the attempt is kept.
	Problem string `json:"problem,omitempty"`
	// Code is the code to show while the charge is pending.
	Code *QRISCode `json:"code,omitempty"`
}

// StartQRIS asks the provider for a charge for the cart in progress and
// shows its code on the customer's screen. Asking again for the same cart
// and amount returns the charge already made. Only offered while online.
//
// Errors: CodeConflict (offline, no shift, cart changed), CodeApproval (the
// amount is above the method's cap), CodeUnreachable (the provider did not
// answer: the cashier uses another method, the attempt stays open and the
// reconciler cancels the charge if one was made), CodeInvalid (declined).
func (t *Till) StartQRIS(ctx context.Context, u User, req QRISRequest) (*QRISStatus, error) {
	if err := t.sellable(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	link := t.qris
	a, reused, err := t.prepareQRIS(ctx, u, req)
	var cfg Config
	if err == nil {
		cfg = t.cfg
		if reused && a.State == qris.Pending {
			t.showQR(a.Payload, a.Amount)
		}
	}
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if reused && a.ChargeID != "" {
		return t.qrisStatus(ctx, a), nil
	}
	cctx, cancel := context.WithTimeout(ctx, link.Timeout)
	c, err := link.Provider.Create(cctx, qris.ChargeRequest{Reference: a.Reference, Amount: int64(a.Amount),
		Expiry: cfg.QRISExpiry.Duration, Terminal: qrisTerminal(&cfg)})
	cancel()
	if err != nil {
		return nil, t.createFailed(ctx, a, err)
	}
	res, _, err := t.observe(ctx, a.Reference, c)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// prepareQRIS checks a dynamic QRIS request and stores its attempt, or
// finds the attempt already made for it. Callers hold t.mu.
func (t *Till) prepareQRIS(ctx context.Context, u User, req QRISRequest) (*QRISAttempt, bool, error) {
	if t.qris == nil {
		return nil, false, Errorm(CodeConflict, "qris_no_provider", nil, "no QRIS provider")
	}
	if req.Method == "" {
		req.Method = t.firstQRIS(QRISDynamic)
	}
	spec, err := t.qrisMethod(req.Method, QRISDynamic)
	if err != nil {
		return nil, false, err
	}
	if !t.qris.Online() {
		return nil, false, Errorm(CodeConflict, "method_offline", []any{spec.Name}, "dynamic QRIS while offline")
	}
	c := t.cart
	switch {
	case req.CartID != "" && req.CartID != c.ID:
		return nil, false, Errorm(CodeConflict, "cart_changed", nil, "QRIS for cart %s, in progress is %s", req.CartID, c.ID)
	case !t.shift.Open():
		return nil, false, Errorf(CodeNoShift, "no open shift")
	case len(c.Lines) == 0:
		return nil, false, Errorm(CodeConflict, "cart_empty", nil, "QRIS for an empty cart")
	}
	tot := c.Totals(&t.cfg)
	if err := t.checkDiscounts(c, tot); err != nil {
		return nil, false, err
	}
	others := make([]Payment, 0, len(req.Payments))
	var rest Rupiah = tot.Total
	for _, p := range req.Payments {
		ps, ok := t.cfg.Method(p.Method)
		if ok && ps.QRIS == QRISDynamic {
			return nil, false, Errorm(CodeInvalid, "bad_request", nil, "a second dynamic QRIS tender")
		}
		others = append(others, clientPayment(p))
		if !ps.Cash {
			rest -= p.Amount
		}
	}
	amount := req.Amount
	if amount == 0 {
		amount = rest
	}
	if amount <= 0 || amount > rest {
		return nil, false, Errorm(CodeInvalid, "qris_bad_amount", nil, "QRIS amount %d, %d left of %d", amount, rest, tot.Total)
	}
	pays := append(append([]Payment(nil), others...), Payment{Method: spec.Code, Amount: amount})
	// The whole sale must settle now: once the customer pays, the till
	// must be able to take the money without asking anyone.
	if _, err := Settle(tot.Total, pays, &t.cfg); err != nil {
		if e := (*Error)(nil); errors.As(err, &e) && e.Code == CodeUnderpaid {
			return nil, false, Errorm(CodeInvalid, "qris_bad_amount", nil, "QRIS with tenders that do not cover the sale: %v", err)
		}
		return nil, false, err
	}
	approvedBy, err := t.approveCaps(ctx, u, pays, req.ApprovalPIN)
	if err != nil {
		return nil, false, err
	}
	store := t.qris.Store
	prev, err := store.CartQRISAttempts(ctx, c.ID)
	if err != nil {
		return nil, false, Wrap(CodeStoreFailed, err, "QRIS attempts of cart %s", c.ID)
	}
	now := t.now()
	for i := len(prev) - 1; i >= 0; i-- {
		p := &prev[i]
		if p.Abandoned || p.Settled() || p.Done {
			continue
		}
		if p.Amount == amount && p.Method == spec.Code && samePayments(p.Tenders, others) &&
			(p.State == qris.Pending && now.Before(p.ExpiresAt) || p.ChargeID == "") {
			return p, true, nil
		}
		// Another amount, or a charge no longer payable: give it up. The
		// reconciler cancels it; if it is paid anyway, that is late money.
		p.Abandoned, p.Updated = true, now
		if err := store.PutQRISAttempt(ctx, p); err != nil {
			return nil, false, Wrap(CodeStoreFailed, err, "abandon QRIS attempt %s", p.Reference)
		}
	}
	a := &QRISAttempt{
		Reference: fmt.Sprintf("%s-%d", c.ID, len(prev)+1), CartID: c.ID, Method: spec.Code, Amount: amount,
		Tenders: others, UserID: u.ID, UserName: u.Name, ApprovedBy: approvedBy, Created: now, Updated: now,
	}
	if err := store.PutQRISAttempt(ctx, a); err != nil {
		return nil, false, Wrap(CodeStoreFailed, err, "store QRIS attempt %s", a.Reference)
	}
	t.log.Info("qris attempt", "reference", a.Reference, "amount", a.Amount)
	return a, false, nil
}

func samePayments(a, b []Payment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// clientPayment keeps of a tender what a client may say about it: who
// confirmed or approved it is the till's to say.
func clientPayment(p Payment) Payment {
	p.Confirmation, p.ChargeID, p.ApprovedBy = "", "", ""
	return p
}

// createFailed handles a Create without a charge to show. Declined: no
// charge was made and the attempt is closed. Anything else (unreachable, a
// timeout): the charge may exist, so the attempt stays open, given up, for
// the reconciler to cancel; the cashier uses another method.
func (t *Till) createFailed(ctx context.Context, a *QRISAttempt, err error) error {
	t.log.Warn("qris create failed", "reference", a.Reference, "err", err)
	t.mu.Lock()
	defer t.mu.Unlock()
	cur, gerr := t.qris.Store.QRISAttempt(ctx, a.Reference)
	if gerr != nil {
		cur = a
	}
	cur.Abandoned, cur.Updated = true, t.now()
	declined := errors.Is(err, qris.ErrDeclined) || errors.Is(err, qris.ErrConflict)
	if declined {
		cur.Done = true
	}
	if perr := t.qris.Store.PutQRISAttempt(context.WithoutCancel(ctx), cur); perr != nil {
		t.log.Error("store QRIS attempt", "reference", a.Reference, "err", perr)
	}
	t.hideQR()
	return qrisError(err)
}

// qrisError is a provider error for the cashier, in qris's words.
func qrisError(err error) error {
	code := CodeUnreachable
	switch {
	case errors.Is(err, qris.ErrDeclined), errors.Is(err, qris.ErrConflict):
		code = CodeInvalid
	case errors.Is(err, qris.ErrNotFound):
		code = CodeNotFound
	case errors.Is(err, qris.ErrUnreachable):
	default:
		// The till's own time limit or a cut request: no answer, which
		// the cashier hears as the provider being unreachable.
		err = fmt.Errorf("%w: %w", qris.ErrUnreachable, err)
	}
	return &Error{Code: code, Key: "qris_provider", Args: []any{qrisText{err}}, Detail: "QRIS provider", Err: err}
}

// CheckQRIS asks the provider about an attempt and acts on the answer: a
// paid charge completes the sale (or, when the cart moved on, becomes late
// money on record). When the provider does not answer the attempt is
// returned with Problem set; the cashier may wait or cancel.
func (t *Till) CheckQRIS(ctx context.Context, ref string) (*QRISStatus, error) {
	link, a, err := t.attempt(ctx, ref)
	if err != nil {
		return nil, err
	}
	if a.Settled() || a.ChargeID == "" {
		return t.qrisStatus(ctx, a), nil
	}
	cctx, cancel := context.WithTimeout(ctx, link.Timeout)
	c, err := link.Provider.Status(cctx, a.ChargeID)
	cancel()
	if errors.Is(err, qris.ErrNotFound) {
		return nil, qrisError(err)
	}
	if err != nil {
		// A lost line is part of the status, not a failure of the poll.
		st := t.qrisStatus(ctx, a)
		st.Problem = Message(qrisError(err), lang(ctx))
		return st, nil
	}
	res, _, err := t.observe(ctx, ref, c)
	return res, err
}

// CancelQRIS withdraws a dynamic QRIS charge: the cashier pressed cancel,
// switched method or the code ran out. The attempt is given up on disk
// first, so a restart cannot forget to cancel it. If the provider answers
// that the charge was paid before the cancel arrived, the payment is taken:
// the sale completes. If the provider cannot be reached the cashier may
// still switch method: the reconciler cancels the charge later, and money
// that arrives anyway is recorded as late, never lost and never taken twice.
func (t *Till) CancelQRIS(ctx context.Context, ref string) (*QRISStatus, error) {
	t.mu.Lock()
	link := t.qris
	if link == nil {
		t.mu.Unlock()
		return nil, Errorm(CodeConflict, "qris_no_provider", nil, "no QRIS provider")
	}
	a, err := link.Store.QRISAttempt(ctx, ref)
	if err == nil && !a.Settled() {
		a.Abandoned, a.Updated = true, t.now()
		err = link.Store.PutQRISAttempt(ctx, a)
		if err != nil {
			err = Wrap(CodeStoreFailed, err, "abandon QRIS attempt %s", ref)
		}
	}
	if err == nil && a.CartID == t.cart.ID {
		t.hideQR()
	}
	t.mu.Unlock()
	if errors.Is(err, ErrNotFound) {
		return nil, Errorm(CodeNotFound, "qris_not_found", nil, "QRIS attempt %s", ref)
	}
	if err != nil {
		return nil, err
	}
	if a.Settled() || a.ChargeID == "" {
		return t.qrisStatus(ctx, a), nil
	}
	cctx, cancel := context.WithTimeout(ctx, link.Timeout)
	c, err := link.Provider.Cancel(cctx, a.ChargeID)
	cancel()
	if err != nil {
		t.log.Warn("qris cancel failed; the reconciler tries again", "reference", ref, "err", err)
		st := t.qrisStatus(ctx, a)
		st.Problem = Message(qrisError(err), lang(ctx))
		return st, nil
	}
	res, _, err := t.observe(ctx, ref, c)
	return res, err
}

// attempt loads an attempt, with the link to its provider.
func (t *Till) attempt(ctx context.Context, ref string) (*qrisLink, *QRISAttempt, error) {
	t.mu.Lock()
	link := t.qris
	t.mu.Unlock()
	if link == nil {
		return nil, nil, Errorm(CodeConflict, "qris_no_provider", nil, "no QRIS provider")
	}
	a, err := link.Store.QRISAttempt(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, Errorm(CodeNotFound, "qris_not_found", nil, "QRIS attempt %s", ref)
	}
	if err != nil {
		return nil, nil, Wrap(CodeStoreFailed, err, "load QRIS attempt %s", ref)
	}
	return link, a, nil
}

// qrisStatus describes an attempt for the cashier's screen.
func (t *Till) qrisStatus(ctx context.Context, a *QRISAttempt) *QRISStatus {
	st := &QRISStatus{Attempt: a}
	if a.Sale != "" {
		if d, err := t.Sale(ctx, a.Sale); err == nil {
			st.Sale = &SaleResult{Sale: d.Sale, Due: d.Due, AlreadyPaid: true, Printed: true}
		}
	}
	if a.Payload != "" && a.State == qris.Pending {
		st.Code = &QRISCode{Method: a.Method, Payload: a.Payload, Amount: a.Amount, Reference: a.Reference, CartID: a.CartID}
	}
	if a.LateSeq != 0 {
		// Recorded as late money, perhaps by a notification before the
		// screen asked: the cashier hears it all the same.
		key := "qris_mismatch"
		if a.Late {
			key = "qris_late"
		}
		st.Problem = Message(Errorm(CodeConflict, key, nil, "late"), lang(ctx))
	}
	return st
}

// observe applies what the provider said about an attempt's charge. A paid
// charge that nobody has taken yet completes the attempt's sale when the
// cart is still the one in progress and the charge is not late; otherwise
// it is recorded as late money. The sale is printed after the lock is let go.
func (t *Till) observe(ctx context.Context, ref string, c qris.Charge) (*QRISStatus, bool, error) {
	t.mu.Lock()
	res, after, settled, err := t.observeLocked(ctx, ref, c)
	t.mu.Unlock()
	if err != nil {
		return nil, false, err
	}
	if res.Sale != nil && after != nil {
		t.afterCommit(ctx, res.Sale, after)
	}
	return res, settled, nil
}

func (t *Till) observeLocked(ctx context.Context, ref string, c qris.Charge) (*QRISStatus, *pending, bool, error) {
	store := t.qris.Store
	a, err := store.QRISAttempt(ctx, ref)
	if err != nil {
		return nil, nil, false, Wrap(CodeStoreFailed, err, "load QRIS attempt %s", ref)
	}
	if c.Reference != "" && c.Reference != a.Reference {
		return nil, nil, false, Errorf(CodeInternal, "charge %s is for %s, not %s", c.ID, c.Reference, a.Reference)
	}
	a.ChargeID, a.State, a.Late = c.ID, c.State, c.Late
	if c.Payload != "" {
		a.Payload = c.Payload
	}
	a.ExpiresAt, a.PaidAt, a.ClosedAt = c.ExpiresAt, c.PaidAt, c.ClosedAt
	a.Updated = t.now()
	if a.Settled() {
		// Already taken: only the provider's view is refreshed.
		if err := store.PutQRISAttempt(ctx, a); err != nil {
			return nil, nil, false, Wrap(CodeStoreFailed, err, "store QRIS attempt %s", ref)
		}
		return t.qrisStatus(ctx, a), nil, true, nil
	}
	switch c.State {
	case qris.Paid:
		if int64(a.Amount) != c.Amount {
			return t.recordLate(ctx, a, "qris_mismatch", fmt.Sprintf("charge paid %d, attempt was for %d", c.Amount, a.Amount))
		}
		if c.Late {
			return t.recordLate(ctx, a, "qris_late", "paid after the charge was closed")
		}
		if t.cart.ID != a.CartID {
			return t.recordLate(ctx, a, "qris_late", "paid for a cart no longer in progress")
		}
		res, after, err := t.payAttempt(ctx, a)
		if err != nil {
			if code := ErrorCode(err); code == CodeStoreFailed || code == CodeCorrupt {
				return nil, nil, false, err // the disk: try again later
			}
			t.log.Warn("qris paid but the sale cannot complete", "reference", ref, "err", err)
			return t.recordLate(ctx, a, "qris_mismatch", "sale could not complete: "+err.Error())
		}
		return &QRISStatus{Attempt: a, Sale: res}, after, true, nil
	case qris.Expired, qris.Cancelled:
		if a.CartID == t.cart.ID && t.customer.view.QR == a.Payload {
			t.hideQR()
		}
		if !a.ClosedAt.IsZero() && t.now().Sub(a.ClosedAt) > t.qris.LateWindow {
			a.Done = true
		}
		a.NextCheck = t.now().Add(t.qris.recheckWait(a, t.now()))
	case qris.Pending:
		if !a.Abandoned && a.CartID == t.cart.ID && t.customer.view.QR != a.Payload {
			t.showQR(a.Payload, a.Amount)
		}
	}
	if err := store.PutQRISAttempt(ctx, a); err != nil {
		return nil, nil, false, Wrap(CodeStoreFailed, err, "store QRIS attempt %s", ref)
	}
	return t.qrisStatus(ctx, a), nil, false, nil
}

// payAttempt completes the cart with the attempt's tenders and its paid
// charge. Callers hold t.mu.
func (t *Till) payAttempt(ctx context.Context, a *QRISAttempt) (*SaleResult, *pending, error) {
	pays := append([]Payment(nil), a.Tenders...)
	pays = append(pays, Payment{Method: a.Method, Amount: a.Amount, Reference: a.Reference, ChargeID: a.ChargeID,
		Confirmation: ConfirmedByProvider, ApprovedBy: a.ApprovedBy})
	u := User{ID: a.UserID, Name: a.UserName}
	return t.pay(ctx, u, a.CartID, pays, "", a)
}

// recordLate commits a qris_late record for money no sale took, with the
// attempt in the same transaction; key is the cashier's sentence for it.
// Callers hold t.mu.
func (t *Till) recordLate(ctx context.Context, a *QRISAttempt, key, reason string) (*QRISStatus, *pending, bool, error) {
	when, _ := t.stamp()
	rec := &Record{Kind: RecQRISLate, Time: when, UserID: a.UserID, UserName: a.UserName, Reason: reason, QRIS: a}
	if err := t.commit(ctx, rec); err != nil {
		return nil, nil, false, err
	}
	t.log.Warn("qris payment recorded for reconciliation", "reference", a.Reference, "charge", a.ChargeID,
		"amount", a.Amount, "reason", reason, "seq", rec.Seq)
	st := t.qrisStatus(ctx, a)
	st.Problem = Message(Errorm(CodeConflict, key, nil, "late"), lang(ctx))
	return st, nil, true, nil
}

// ReconcileQRIS follows every open attempt while online: it asks again
// about charges whose Create got no answer (Create is idempotent on the
// reference) and about pending and recently closed charges, cancels
// pending charges the till gave up on or that ran out, and settles paid
// ones (a sale, or a qris_late record). It returns how many attempts it
// settled.
func (t *Till) ReconcileQRIS(ctx context.Context) (int, error) {
	t.mu.Lock()
	link := t.qris
	cfg := t.cfg
	t.mu.Unlock()
	if link == nil || !link.Online() {
		return 0, nil
	}
	open, err := link.Store.OpenQRISAttempts(ctx)
	if err != nil {
		return 0, Wrap(CodeStoreFailed, err, "open QRIS attempts")
	}
	settled := 0
	var errs []error
	for i := range open {
		a := &open[i]
		ok, err := t.reconcileOne(ctx, link, &cfg, a, false)
		if ok {
			settled++
		}
		if err != nil {
			errs = append(errs, err)
			if errors.Is(err, qris.ErrUnreachable) {
				break // the line is down: the next round tries again
			}
		}
	}
	return settled, errors.Join(errs...)
}

// recheckWait is how long the reconciler leaves a closed charge alone
// after asking about it at now: as long as the charge has been closed,
// within RecheckMin and RecheckMax, so the wait doubles from one question
// to the next (30 s, 1 min, 2 min … 30 min by default), and survives a
// restart without any counter.
func (l *qrisLink) recheckWait(a *QRISAttempt, now time.Time) time.Duration {
	w := l.RecheckMin
	if !a.ClosedAt.IsZero() {
		w = max(w, now.Sub(a.ClosedAt))
	}
	return min(w, l.RecheckMax)
}

// reconcileOne asks about one open attempt and acts on the answer. A closed
// charge is left alone until its NextCheck unless force is set (a
// notification about it arrived).
func (t *Till) reconcileOne(ctx context.Context, link *qrisLink, cfg *Config, a *QRISAttempt, force bool) (bool, error) {
	now := t.now()
	if !force && a.ChargeID != "" && (a.State == qris.Expired || a.State == qris.Cancelled) && now.Before(a.NextCheck) {
		return false, nil // backing off: a late payment is rare, the provider's quota is not endless
	}
	call := func(f func(context.Context) (qris.Charge, error)) (qris.Charge, error) {
		cctx, cancel := context.WithTimeout(ctx, link.Timeout)
		defer cancel()
		return f(cctx)
	}
	var c qris.Charge
	var err error
	if a.ChargeID == "" {
		if !a.Abandoned && now.Sub(a.Created) < 2*link.Timeout {
			return false, nil // StartQRIS is still asking
		}
		c, err = call(func(ctx context.Context) (qris.Charge, error) {
			return link.Provider.Create(ctx, qris.ChargeRequest{Reference: a.Reference, Amount: int64(a.Amount),
				Expiry: cfg.QRISExpiry.Duration, Terminal: qrisTerminal(cfg)})
		})
		if errors.Is(err, qris.ErrDeclined) || errors.Is(err, qris.ErrConflict) {
			// No charge exists for this reference and amount: nothing to follow.
			t.mu.Lock()
			a.Done, a.Updated = true, now
			perr := link.Store.PutQRISAttempt(ctx, a)
			t.mu.Unlock()
			return false, perr
		}
		// A charge made now was never shown to anyone: cancel it below.
		a.Abandoned = true
	} else {
		c, err = call(func(ctx context.Context) (qris.Charge, error) { return link.Provider.Status(ctx, a.ChargeID) })
	}
	if err != nil {
		return false, fmt.Errorf("reconcile QRIS %s: %w", a.Reference, err)
	}
	if c.State == qris.Pending && (a.Abandoned || !now.Before(c.ExpiresAt)) {
		if a.Abandoned {
			t.mu.Lock()
			if cur, gerr := link.Store.QRISAttempt(ctx, a.Reference); gerr == nil && !cur.Abandoned {
				cur.Abandoned = true
				link.Store.PutQRISAttempt(ctx, cur)
			}
			t.mu.Unlock()
		}
		c, err = call(func(ctx context.Context) (qris.Charge, error) { return link.Provider.Cancel(ctx, c.ID) })
		if err != nil {
			return false, fmt.Errorf("reconcile QRIS %s: cancel: %w", a.Reference, err)
		}
	}
	_, settled, err := t.observe(ctx, a.Reference, c)
	return settled, err
}

// NotifyQRIS acts on a provider's push notification about a charge: the
// open attempt it names (by charge ID or reference) is asked about at once,
// past any back-off, so a paid charge completes its sale without waiting
// for the next poll and a late payment is recorded at once. Nothing in n
// but its ID and Reference is used: the till believes only Status. It
// returns how many attempts the check settled; a notification about no
// open attempt does nothing.
func (t *Till) NotifyQRIS(ctx context.Context, n qris.Charge) (int, error) {
	t.mu.Lock()
	link := t.qris
	cfg := t.cfg
	t.mu.Unlock()
	if link == nil || (n.ID == "" && n.Reference == "") {
		return 0, nil
	}
	open, err := link.Store.OpenQRISAttempts(ctx)
	if err != nil {
		return 0, Wrap(CodeStoreFailed, err, "open QRIS attempts")
	}
	settled := 0
	var errs []error
	for i := range open {
		a := &open[i]
		if !(n.ID != "" && a.ChargeID == n.ID || n.Reference != "" && a.Reference == n.Reference) {
			continue
		}
		ok, err := t.reconcileOne(ctx, link, &cfg, a, true)
		if ok {
			settled++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return settled, errors.Join(errs...)
}

// RunQRIS reconciles open attempts every interval while online, and checks
// the charge a notification names at once (NotifyQRIS: the push only says
// which charge to ask about; the till believes Status). It returns when ctx
// ends.
func (t *Till) RunQRIS(ctx context.Context, every time.Duration, notes <-chan qris.Charge) {
	if every <= 0 {
		every = 30 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case note, ok := <-notes:
			if !ok {
				notes = nil
				continue
			}
			if n, err := t.NotifyQRIS(ctx, note); err != nil {
				t.log.Warn("qris notification", "charge", note.ID, "settled", n, "err", err)
			} else if n > 0 {
				t.log.Info("qris settled on notification", "charge", note.ID)
			}
			continue
		}
		if n, err := t.ReconcileQRIS(ctx); err != nil {
			t.log.Warn("qris reconcile", "settled", n, "err", err)
		} else if n > 0 {
			t.log.Info("qris reconciled", "settled", n)
		}
	}
}

// LateQRIS lists the payments recorded for reconciliation, newest first,
// for the supervisor.
func (t *Till) LateQRIS(ctx context.Context, u User, limit int) ([]QRISAttempt, error) {
	if !u.Supervisor() {
		return nil, Errorf(CodeForbidden, "late QRIS list needs a supervisor")
	}
	t.mu.Lock()
	link := t.qris
	t.mu.Unlock()
	if link == nil {
		return []QRISAttempt{}, nil
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	as, err := link.Store.LateQRIS(ctx, limit)
	if err != nil {
		return nil, Wrap(CodeStoreFailed, err, "late QRIS")
	}
	if as == nil {
		as = []QRISAttempt{}
	}
	return as, nil
}

type langKey struct{}

// WithLang returns a context that carries the cashier's language ("id" or
// "en") for sentences the till puts in its answers (QRISStatus.Problem).
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

func lang(ctx context.Context) string {
	if l, ok := ctx.Value(langKey{}).(string); ok {
		return l
	}
	return "id"
}

// QRISAvailable says whether dynamic QRIS is set up and offered now.
func (t *Till) QRISAvailable() bool {
	t.mu.Lock()
	link := t.qris
	t.mu.Unlock()
	return link != nil && link.Online()
}

// staticQRISPayload rebuilds the code a static QRIS tender was paid with,
// for the receipt.
func staticQRISPayload(cfg *Config, p Payment) string {
	sp, err := cfg.StaticQRIS()
	if err != nil || strings.TrimSpace(p.Reference) == "" {
		return ""
	}
	s, err := sp.WithAmount(int64(p.Amount), qrisTerminal(cfg), p.Reference)
	if err != nil {
		return ""
	}
	return s
}
