package appliance

import (
	"context"
	"errors"
	"strings"
)

// QRISAckRequest is a supervisor's decision on a late QRIS payment.
type QRISAckRequest struct {
	Decision string `json:"decision"` // LateRefunded or LateAttached
	// Sale is the receipt number the money belongs to, for LateAttached.
	Sale        string `json:"sale"`
	Note        string `json:"note"`
	ApprovalPIN string `json:"approval_pin"`
}

// AckLateQRIS records a supervisor's decision on late QRIS money (a
// qris_late entry): refunded to the customer outside the till, or attached
// to a sale on record. The decision is a qris_late_ack record, journaled and
// sent to head office on the sales topic, and the entry leaves the open
// list. A cashier needs a supervisor's PIN.
//
// Errors: CodeNotFound (no such entry, or no such sale), CodeConflict
// (already acknowledged, or not late money), CodeInvalid (no decision, or
// a sale that is not a sales receipt), CodeApproval.
func (t *Till) AckLateQRIS(ctx context.Context, u User, ref string, req QRISAckRequest) (*QRISAttempt, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.qris == nil {
		return nil, Errorm(CodeNotFound, "qris_not_found", nil, "no QRIS provider: no late QRIS %s", ref)
	}
	store := t.qris.Store
	a, err := store.QRISAttempt(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorm(CodeNotFound, "qris_not_found", nil, "QRIS attempt %s", ref)
	}
	if err != nil {
		return nil, Wrap(CodeStoreFailed, err, "load QRIS attempt %s", ref)
	}
	switch {
	case a.LateSeq == 0:
		return nil, Errorm(CodeConflict, "qris_not_found", nil, "QRIS attempt %s is not late money", ref)
	case a.Ack != nil:
		return nil, Errorm(CodeConflict, "qris_ack_done", nil, "QRIS attempt %s acknowledged by record %d", ref, a.Ack.Seq)
	}
	ack := QRISLateAck{Decision: req.Decision, Note: strings.TrimSpace(req.Note)}
	switch req.Decision {
	case LateRefunded:
	case LateAttached:
		number := strings.TrimSpace(req.Sale)
		if number == "" {
			return nil, Errorm(CodeInvalid, "qris_ack_bad", nil, "attach without a receipt number")
		}
		d, err := t.saleDetail(ctx, number)
		if err != nil {
			return nil, err
		}
		if d.Sale.Kind != DocSale {
			return nil, Errorm(CodeInvalid, "not_a_sale", []any{number}, "attach to a %s", d.Sale.Kind)
		}
		ack.Sale = d.Sale.Number
	default:
		return nil, Errorm(CodeInvalid, "qris_ack_bad", nil, "decision %q", req.Decision)
	}
	by, err := t.approve(ctx, u, req.ApprovalPIN)
	if err != nil {
		return nil, err
	}
	ack.SupervisorID, ack.SupervisorName = by.ID, by.Name
	a.Ack = &ack
	when, _ := t.stamp()
	reason := ack.Decision
	if ack.Sale != "" {
		reason += " " + ack.Sale
	}
	rec := &Record{Kind: RecQRISLateAck, Time: when, UserID: u.ID, UserName: u.Name, Reason: reason, QRIS: a}
	if err := t.commit(ctx, rec); err != nil {
		return nil, err
	}
	t.log.Info("late qris acknowledged", "reference", a.Reference, "charge", a.ChargeID, "decision", ack.Decision,
		"sale", ack.Sale, "supervisor", by.ID, "seq", rec.Seq)
	return a, nil
}
