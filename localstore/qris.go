package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kasirpos/kasir/appliance"
)

var _ appliance.QRISStore = (*DB)(nil)

// PutQRISAttempt inserts or replaces a dynamic QRIS attempt. The till calls
// it before it asks the provider for the charge.
func (db *DB) PutQRISAttempt(ctx context.Context, a *appliance.QRISAttempt) error {
	if err := putQRISAttempt(ctx, db.rw, a); err != nil {
		return fmt.Errorf("put QRIS attempt %s: %w", a.Reference, err)
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func putQRISAttempt(ctx context.Context, q execer, a *appliance.QRISAttempt) error {
	if a == nil || a.Reference == "" || a.CartID == "" {
		return appliance.Errorf(appliance.CodeInvalid, "QRIS attempt without reference or cart")
	}
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO qris_attempts
		(reference, cart_id, amount, charge_id, state, sale, late_seq, done, created, updated, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (reference) DO UPDATE SET amount = excluded.amount, charge_id = excluded.charge_id,
			state = excluded.state, sale = excluded.sale, late_seq = excluded.late_seq, done = excluded.done,
			updated = excluded.updated, doc = excluded.doc`,
		a.Reference, a.CartID, int64(a.Amount), nullString(a.ChargeID), string(a.State), nullString(a.Sale),
		nullInt(a.LateSeq), boolInt(a.Done), nanos(a.Created), nanos(a.Updated), string(doc))
	return err
}

// QRISAttempt returns the attempt with reference, or an error wrapping
// appliance.ErrNotFound.
func (db *DB) QRISAttempt(ctx context.Context, reference string) (*appliance.QRISAttempt, error) {
	as, err := db.qrisAttempts(ctx, "SELECT doc FROM qris_attempts WHERE reference = ?", reference)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, notFound("QRIS attempt %s", reference)
	}
	return &as[0], nil
}

// OpenQRISAttempts returns the attempts not done, oldest first.
func (db *DB) OpenQRISAttempts(ctx context.Context) ([]appliance.QRISAttempt, error) {
	return db.qrisAttempts(ctx, "SELECT doc FROM qris_attempts WHERE done = 0 ORDER BY created, reference")
}

// CartQRISAttempts returns a cart's attempts, oldest first.
func (db *DB) CartQRISAttempts(ctx context.Context, cartID string) ([]appliance.QRISAttempt, error) {
	return db.qrisAttempts(ctx, "SELECT doc FROM qris_attempts WHERE cart_id = ? ORDER BY created, reference", cartID)
}

// LateQRIS returns the attempts recorded as late money that no supervisor
// has acknowledged yet, newest first.
func (db *DB) LateQRIS(ctx context.Context, limit int) ([]appliance.QRISAttempt, error) {
	return db.qrisAttempts(ctx, `SELECT doc FROM qris_attempts WHERE late_seq IS NOT NULL AND json_extract(doc, '$.ack') IS NULL
		ORDER BY late_seq DESC LIMIT ?`, limitOrAll(limit))
}

func (db *DB) qrisAttempts(ctx context.Context, query string, args ...any) ([]appliance.QRISAttempt, error) {
	rows, err := db.ro.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read QRIS attempts: %w", err)
	}
	defer rows.Close()
	var out []appliance.QRISAttempt
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("read QRIS attempts: %w", err)
		}
		var a appliance.QRISAttempt
		if err := json.Unmarshal([]byte(doc), &a); err != nil {
			return nil, fmt.Errorf("decode QRIS attempt: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read QRIS attempts: %w", err)
	}
	return out, nil
}
