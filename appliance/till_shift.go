package appliance

import (
	"context"
	"strings"
)

// Shift returns the open shift, or nil.
func (t *Till) Shift() *Shift {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.shift.Open() {
		return nil
	}
	s := *t.shift
	return &s
}

// OpenShift starts a shift with a float of cash in the drawer.
func (t *Till) OpenShift(ctx context.Context, u User, float Rupiah) (*Shift, error) {
	if float < 0 || float > maxRupiah {
		return nil, Errorm(CodeInvalid, "bad_amount", nil, "float %d", float)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shift.Open() {
		return nil, Errorm(CodeConflict, "shift_open", nil, "shift %d is open", t.shift.ID)
	}
	when, _ := t.stamp()
	sh := &Shift{OpenedAt: when, OpenedBy: u.Name, Float: float}
	rec := &Record{Kind: RecShiftOpen, Time: when, UserID: u.ID, UserName: u.Name, Shift: sh}
	if err := t.commit(ctx, rec); err != nil {
		return nil, err
	}
	t.shift = sh
	s := *sh
	t.mu.Unlock()
	t.openDrawer(ctx, "shift open")
	t.mu.Lock() // for the deferred unlock
	return &s, nil
}

// MoveCash records kas masuk (in) or kas keluar (out) and opens the drawer.
func (t *Till) MoveCash(ctx context.Context, u User, in bool, amount Rupiah, reason string) (*CashMove, error) {
	if amount <= 0 || amount > maxRupiah {
		return nil, Errorm(CodeInvalid, "bad_amount", nil, "cash move %d", amount)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, Errorm(CodeInvalid, "bad_reason", nil, "cash move without reason")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.shift.Open() {
		return nil, Errorf(CodeNoShift, "no open shift")
	}
	if !in {
		r, err := t.report(ctx, "X", u, nil)
		if err != nil {
			return nil, err
		}
		for _, m := range r.Methods {
			if spec, _ := t.cfg.Method(m.Method); spec.Cash && amount > m.Expected {
				return nil, Errorm(CodeConflict, "drawer_short", nil, "cash out %d, drawer holds %d", amount, m.Expected)
			}
		}
	}
	when, _ := t.stamp()
	mv := &CashMove{ShiftID: t.shift.ID, User: u.Name, In: in, Amount: amount, Reason: strings.TrimSpace(reason)}
	rec := &Record{Kind: RecCashMove, Time: when, UserID: u.ID, UserName: u.Name, Reason: mv.Reason, Move: mv}
	if err := t.commit(ctx, rec); err != nil {
		return nil, err
	}
	t.mu.Unlock()
	t.openDrawer(ctx, "cash move")
	t.mu.Lock() // for the deferred unlock
	return mv, nil
}

// report builds an X or Z report of the open shift. Callers hold t.mu.
func (t *Till) report(ctx context.Context, kind string, u User, counted map[string]Rupiah) (*ShiftReport, error) {
	if !t.shift.Open() {
		return nil, Errorf(CodeNoShift, "no open shift")
	}
	docs, err := t.store.ShiftDocs(ctx, t.shift.ID)
	if err != nil {
		return nil, Wrap(CodeStoreFailed, err, "load shift documents")
	}
	moves, err := t.store.CashMoves(ctx, t.shift.ID)
	if err != nil {
		return nil, Wrap(CodeStoreFailed, err, "load cash moves")
	}
	r := BuildShiftReport(kind, t.shift, docs, moves, counted, &t.cfg, t.now(), u.Name)
	return &r, nil
}

// XReport reports on the open shift without closing it.
func (t *Till) XReport(ctx context.Context, u User) (*ShiftReport, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.report(ctx, "X", u, nil)
}

// PrintX prints the X report.
func (t *Till) PrintX(ctx context.Context, u User) (*ShiftReport, error) {
	t.mu.Lock()
	r, err := t.report(ctx, "X", u, nil)
	cfg := t.cfg
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return r, t.queue(ctx, PrintReport, ShiftReceipt(r, &cfg))
}

// CloseShift closes the open shift with the Z report: expected against
// counted per method. Closing needs a supervisor.
func (t *Till) CloseShift(ctx context.Context, u User, counted map[string]Rupiah, approvalPIN string) (*ShiftReport, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.shift.Open() {
		return nil, Errorf(CodeNoShift, "no open shift")
	}
	if counted == nil {
		return nil, Errorm(CodeInvalid, "bad_counted", nil, "no counted amounts")
	}
	for m, v := range counted {
		if _, ok := t.cfg.Method(m); !ok {
			return nil, Errorm(CodeInvalid, "unknown_method", []any{m}, "counted for %q", m)
		}
		if v < 0 || v > maxRupiah {
			return nil, Errorm(CodeInvalid, "bad_amount", nil, "counted %d for %s", v, m)
		}
	}
	by, err := t.approve(ctx, u, approvalPIN)
	if err != nil {
		return nil, err
	}
	r, err := t.report(ctx, "Z", u, counted)
	if err != nil {
		return nil, err
	}
	when, _ := t.stamp()
	r.Time = when
	sh := *t.shift
	sh.ClosedAt, sh.ClosedBy, sh.Counted = when, by.Name, counted
	rec := &Record{Kind: RecShiftClose, Time: when, UserID: u.ID, UserName: u.Name, Shift: &sh, Report: r}
	cfg := t.cfg
	rec.Receipt = func() *Receipt { return ShiftReceipt(r, &cfg) }
	if err := t.commit(ctx, rec); err != nil {
		return nil, err
	}
	t.shift = nil
	t.mu.Unlock()
	if err := t.printQueued(ctx, rec.PrintJob); err != nil {
		t.log.Warn("Z report waits in the print queue", "shift", sh.ID, "err", err)
	}
	t.mu.Lock() // for the deferred unlock
	return r, nil
}

// NoSale opens the drawer without a sale, with a supervisor's approval, and
// journals it.
func (t *Till) NoSale(ctx context.Context, u User, reason, approvalPIN string) error {
	if strings.TrimSpace(reason) == "" {
		return Errorm(CodeInvalid, "bad_reason", nil, "no sale without reason")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	by, err := t.approve(ctx, u, approvalPIN)
	if err != nil {
		return err
	}
	when, _ := t.stamp()
	rec := &Record{Kind: RecNoSale, Time: when, UserID: u.ID, UserName: u.Name,
		Reason: strings.TrimSpace(reason) + " (disetujui " + by.Name + ")"}
	if err := t.commit(ctx, rec); err != nil {
		return err
	}
	t.mu.Unlock()
	t.openDrawer(ctx, "no sale")
	t.mu.Lock() // for the deferred unlock
	return nil
}
