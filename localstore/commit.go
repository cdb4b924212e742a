package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kasirpos/kasir/appliance"
	"github.com/mattn/go-sqlite3"
)

// Commit writes a business fact in one transaction: it takes the next
// sequence number, calls rec.Finalize, writes the document, a journal entry
// chained to the previous one and an outbox row holding rec.Body(), and
// commits. When it returns nil the fact is on disk.
//
// rec.Time is stored in UTC, and Commit sets it so. For a shift_open it
// assigns rec.Shift.ID; for a cash_move, rec.Move.ID. When Commit fails
// nothing is written and the fields it assigned are put back as they were.
// A failure of the disk or database has code appliance.CodeStoreFailed. The
// database's own guards refuse a second sale of one cart (Sale.CartID), a
// second void of a sale, a refund of a voided sale and a void of a refunded
// one with code appliance.CodeConflict; they too write nothing and use no
// sequence number.
func (db *DB) Commit(ctx context.Context, rec *appliance.Record) error {
	if err := checkRecord(rec); err != nil {
		return err
	}
	saved := snapshot(rec)
	if err := db.commit(ctx, rec); err != nil {
		saved.restore(rec)
		if e := (*appliance.Error)(nil); errors.As(err, &e) {
			return err
		}
		return appliance.Wrap(appliance.CodeStoreFailed, err, "commit %s", rec.Kind)
	}
	return nil
}

func (db *DB) commit(ctx context.Context, rec *appliance.Record) error {
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	rec.Time = utc(rec.Time)
	var seq int64
	if err := tx.QueryRowContext(ctx,
		"UPDATE meta SET value = value + 1 WHERE key = 'last_seq' RETURNING value").Scan(&seq); err != nil {
		return fmt.Errorf("next seq: %w", err)
	}
	if rec.Kind == appliance.RecShiftOpen {
		if err := openShift(ctx, tx, rec, seq); err != nil {
			return err
		}
	}
	rec.Finalize(db.epoch, seq)

	switch rec.Kind {
	case appliance.RecSale, appliance.RecVoid, appliance.RecRefund:
		err = insertSale(ctx, tx, rec.Sale)
	case appliance.RecShiftClose:
		err = closeShift(ctx, tx, rec, seq)
	case appliance.RecCashMove:
		err = insertCashMove(ctx, tx, rec.Move, seq)
	}
	if err != nil {
		return err
	}

	body, err := rec.Body()
	if err != nil {
		return fmt.Errorf("encode %s %d: %w", rec.Kind, seq, err)
	}
	if err := appendJournal(ctx, tx, rec, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO outbox (seq, topic, created, body) VALUES (?, ?, ?, ?)",
		seq, rec.Topic(), nanos(rec.Time), body); err != nil {
		return fmt.Errorf("insert outbox %d: %w", seq, err)
	}
	if rec.Receipt != nil {
		j := &appliance.PrintJob{Created: rec.Time, Kind: appliance.PrintReceipt, Ref: rec.Ref(), Receipt: rec.Receipt()}
		if err := queuePrint(ctx, tx, j); err != nil {
			return err
		}
		rec.PrintJob = j.ID
	}
	if rec.QRIS != nil {
		// The attempt says which record settled its charge in the same
		// transaction as that record, so the reconciler can never settle
		// it a second time.
		if err := putQRISAttempt(ctx, tx, rec.QRIS); err != nil {
			return fmt.Errorf("settle QRIS attempt %s: %w", rec.QRIS.Reference, err)
		}
	}
	if rec.CartID != "" {
		// The sold cart goes in the same transaction, so that it can
		// never come back after a restart and be sold twice.
		if _, err := tx.ExecContext(ctx, "DELETE FROM carts WHERE id = ?", rec.CartID); err != nil {
			return fmt.Errorf("delete cart %s: %w", rec.CartID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s %d: %w", rec.Kind, seq, err)
	}
	return nil
}

// checkRecord refuses a record whose shape cannot be stored: these are
// programming errors in the caller, not decisions about the business.
func checkRecord(rec *appliance.Record) error {
	if rec == nil {
		return appliance.Errorf(appliance.CodeInvalid, "commit: no record")
	}
	if rec.Time.IsZero() {
		return appliance.Errorf(appliance.CodeInvalid, "commit %s: no time", rec.Kind)
	}
	switch rec.Kind {
	case appliance.RecSale, appliance.RecVoid, appliance.RecRefund:
		if rec.Sale == nil {
			return appliance.Errorf(appliance.CodeInvalid, "commit %s: no sale", rec.Kind)
		}
		if string(rec.Sale.Kind) != string(rec.Kind) {
			return appliance.Errorf(appliance.CodeInvalid, "commit %s: document kind %q", rec.Kind, rec.Sale.Kind)
		}
	case appliance.RecShiftOpen, appliance.RecShiftClose:
		if rec.Shift == nil {
			return appliance.Errorf(appliance.CodeInvalid, "commit %s: no shift", rec.Kind)
		}
	case appliance.RecCashMove:
		if rec.Move == nil {
			return appliance.Errorf(appliance.CodeInvalid, "commit %s: no cash move", rec.Kind)
		}
	case appliance.RecDrawer:
		if rec.Drawer == nil {
			return appliance.Errorf(appliance.CodeInvalid, "commit %s: no drawer opening", rec.Kind)
		}
	case appliance.RecQRISLate:
		if rec.QRIS == nil {
			return appliance.Errorf(appliance.CodeInvalid, "commit %s: no QRIS attempt", rec.Kind)
		}
	case appliance.RecQRISLateAck:
		if rec.QRIS == nil || rec.QRIS.Ack == nil || rec.QRIS.LateSeq == 0 {
			return appliance.Errorf(appliance.CodeInvalid, "commit %s: no acknowledged late QRIS attempt", rec.Kind)
		}
	case appliance.RecNoSale:
	default:
		return appliance.Errorf(appliance.CodeInvalid, "commit: unknown record kind %q", rec.Kind)
	}
	return nil
}

// recordSnapshot holds what Commit may change in a record, to put it back
// when the transaction fails.
type recordSnapshot struct {
	rec   appliance.Record
	sale  appliance.Sale
	shift appliance.Shift
	move  appliance.CashMove
	qris  appliance.QRISAttempt
}

func snapshot(rec *appliance.Record) *recordSnapshot {
	s := &recordSnapshot{rec: *rec}
	if rec.Sale != nil {
		s.sale = *rec.Sale
	}
	if rec.Shift != nil {
		s.shift = *rec.Shift
	}
	if rec.Move != nil {
		s.move = *rec.Move
	}
	if rec.QRIS != nil {
		s.qris = *rec.QRIS
	}
	return s
}

func (s *recordSnapshot) restore(rec *appliance.Record) {
	*rec = s.rec
	if rec.Sale != nil {
		*rec.Sale = s.sale
	}
	if rec.Shift != nil {
		*rec.Shift = s.shift
	}
	if rec.Move != nil {
		*rec.Move = s.move
	}
	if rec.QRIS != nil {
		*rec.QRIS = s.qris
	}
}

func openShift(ctx context.Context, tx *sql.Tx, rec *appliance.Record, seq int64) error {
	sh := rec.Shift
	if sh.OpenedAt.IsZero() {
		sh.OpenedAt = rec.Time
	}
	sh.OpenedAt = sh.OpenedAt.UTC()
	res, err := tx.ExecContext(ctx,
		"INSERT INTO shifts (opened_at, opened_by, float, open_seq) VALUES (?, ?, ?, ?)",
		nanos(sh.OpenedAt), sh.OpenedBy, int64(sh.Float), seq)
	if err != nil {
		if strings.Contains(err.Error(), "shifts_one_open") {
			return appliance.Wrap(appliance.CodeConflict, err, "open shift: another shift is open")
		}
		return fmt.Errorf("insert shift: %w", err)
	}
	if sh.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert shift: %w", err)
	}
	return nil
}

func closeShift(ctx context.Context, tx *sql.Tx, rec *appliance.Record, seq int64) error {
	sh := rec.Shift
	if sh.ClosedAt.IsZero() {
		sh.ClosedAt = rec.Time
	}
	sh.ClosedAt = sh.ClosedAt.UTC()
	counted, err := json.Marshal(sh.Counted)
	if err != nil {
		return fmt.Errorf("close shift %d: encode counted: %w", sh.ID, err)
	}
	var report any
	if rec.Report != nil {
		b, err := json.Marshal(rec.Report)
		if err != nil {
			return fmt.Errorf("close shift %d: encode report: %w", sh.ID, err)
		}
		report = string(b)
	}
	res, err := tx.ExecContext(ctx, `UPDATE shifts SET closed_at = ?, closed_by = ?, counted = ?, report = ?, close_seq = ?
		WHERE id = ? AND closed_at IS NULL`,
		nanos(sh.ClosedAt), sh.ClosedBy, string(counted), report, seq, sh.ID)
	if err != nil {
		return fmt.Errorf("close shift %d: %w", sh.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("close shift %d: %w", sh.ID, err)
	} else if n != 1 {
		return appliance.Errorf(appliance.CodeConflict, "close shift %d: no such open shift", sh.ID)
	}
	return nil
}

func insertCashMove(ctx context.Context, tx *sql.Tx, mv *appliance.CashMove, seq int64) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO cash_moves (shift_id, seq, time, user, cash_in, amount, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		mv.ShiftID, seq, nanos(mv.Time), mv.User, boolInt(mv.In), int64(mv.Amount), mv.Reason)
	if err != nil {
		return fmt.Errorf("insert cash move in shift %d: %w", mv.ShiftID, err)
	}
	if mv.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert cash move: %w", err)
	}
	return nil
}

func insertSale(ctx context.Context, tx *sql.Tx, s *appliance.Sale) error {
	doc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode sale %s: %w", s.Number, err)
	}
	// Only a sale claims its cart: a void is made from a copy of the sale's
	// document, CartID and all, and must not collide with it.
	var cartID any
	if s.Kind == appliance.DocSale {
		cartID = nullString(s.CartID)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sales (number, seq, kind, shift_id, ref, time, user_id, total, doc, cart_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Number, s.Seq, string(s.Kind), nullInt(s.ShiftID), nullString(s.Ref), nanos(s.Time), s.UserID,
		int64(s.Total), string(doc), cartID); err != nil {
		if c := guardConflict(err, s); c != nil {
			return c
		}
		return fmt.Errorf("insert sale %s: %w", s.Number, err)
	}
	if len(s.Lines) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT INTO sale_lines (number, idx, line_no, sku, barcode, name, unit,
			tax_class, qty, list_price, unit_price, gross, discount, order_share, net, ref_line)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("insert lines of sale %s: %w", s.Number, err)
		}
		defer st.Close()
		for i, l := range s.Lines {
			if _, err := st.ExecContext(ctx, s.Number, i, l.LineNo, l.SKU, nullString(l.Barcode), l.Name, l.Unit,
				l.TaxClass, int64(l.Qty), int64(l.ListPrice), int64(l.UnitPrice), int64(l.Gross),
				int64(l.Discount), int64(l.OrderShare), int64(l.Net), nullInt(int64(l.RefLine))); err != nil {
				return fmt.Errorf("insert line %d of sale %s: %w", l.LineNo, s.Number, err)
			}
		}
	}
	for i, p := range s.Payments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (number, idx, method, amount, bank, approval_code,
			card_last4, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			s.Number, i, p.Method, int64(p.Amount), nullString(p.Bank), nullString(p.ApprovalCode),
			nullString(p.CardLast4), nullString(p.Reference)); err != nil {
			return fmt.Errorf("insert payment %d of sale %s: %w", i, s.Number, err)
		}
	}
	return nil
}

// guardConflict turns the refusal of one of the sales guards (migration
// 4) into a conflict: these are business facts the caller must hear about
// (the cart is already sold, the sale already voided or refunded), not a
// failure of the disk. Any other error gives nil.
func guardConflict(err error, s *appliance.Sale) *appliance.Error {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrConstraint {
		return nil
	}
	msg := se.Error()
	conflict := func(key string, args []any, format string, fargs ...any) *appliance.Error {
		e := appliance.Wrap(appliance.CodeConflict, err, format, fargs...)
		e.Key, e.Args = key, args
		return e
	}
	switch {
	case se.ExtendedCode == sqlite3.ErrConstraintUnique && strings.Contains(msg, "sales.cart_id"):
		return conflict("", nil, "%s: cart %s is already sold", s.Kind, s.CartID)
	case se.ExtendedCode == sqlite3.ErrConstraintUnique && strings.Contains(msg, "sales.ref"):
		return conflict("already_voided", []any{s.Ref}, "void: sale %s is already voided", s.Ref)
	case se.ExtendedCode == sqlite3.ErrConstraintTrigger && strings.Contains(msg, msgRefundOfVoided):
		return conflict("already_voided", []any{s.Ref}, "refund: sale %s is voided", s.Ref)
	case se.ExtendedCode == sqlite3.ErrConstraintTrigger && strings.Contains(msg, msgVoidOfRefunded):
		return conflict("void_has_refund", []any{s.Ref}, "void: sale %s has a refund", s.Ref)
	}
	return nil
}

func appendJournal(ctx context.Context, tx *sql.Tx, rec *appliance.Record, body []byte) error {
	e := appliance.JournalEntry{
		Time: rec.Time,
		User: strings.TrimSpace(rec.UserID + " " + rec.UserName),
		Kind: string(rec.Kind),
		Ref:  rec.Ref(),
		Seq:  rec.Seq,
		Body: body,
	}
	err := tx.QueryRowContext(ctx, "SELECT id, hash FROM journal ORDER BY id DESC LIMIT 1").Scan(&e.ID, &e.PrevHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		e.PrevHash = appliance.GenesisHash
	case err != nil:
		return fmt.Errorf("read journal head: %w", err)
	}
	e.ID++
	e.Hash = e.ChainHash()
	if _, err := tx.ExecContext(ctx, `INSERT INTO journal (id, time, user, kind, ref, seq, body, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, nanos(e.Time), e.User, e.Kind, e.Ref, e.Seq, e.Body, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("insert journal entry %d: %w", e.ID, err)
	}
	return nil
}
