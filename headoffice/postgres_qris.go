package headoffice

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/kasirpos/kasir/appliance"
)

// pgQRISSchema is version 2: SQLite's qris_items in PostgreSQL's terms.
const pgQRISSchema = `
-- QRIS payments to check against the bank statement, derived at ingest:
-- kind static is a sale only the cashier confirmed (seq is the sale's);
-- kind late is money on a dynamic charge no sale took (seq is the
-- qris_late record's), ack the till's qris_late_ack decision as JSON.
-- checked_by/checked_at is head office's mark (checked, or resolved).
CREATE TABLE qris_items (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	store      TEXT NOT NULL,
	till       TEXT NOT NULL,
	epoch      TEXT NOT NULL,
	seq        BIGINT NOT NULL,
	time       TIMESTAMPTZ NOT NULL,
	amount     BIGINT NOT NULL,
	number     TEXT,
	reference  TEXT,
	charge_id  TEXT,
	user_name  TEXT,
	ack        TEXT,
	checked_by TEXT,
	checked_at TIMESTAMPTZ
);
CREATE INDEX qris_items_time ON qris_items (time, store);
`

// pgQRISApply writes the items a record derives, in the ingest's
// transaction.
func pgQRISApply(ctx context.Context, tx *sql.Tx, store, till, epoch string, seq int64, m *appliance.OutboxMessage) error {
	for _, r := range qrisRows(store, till, epoch, seq, m) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO qris_items
			(id, kind, store, till, epoch, seq, time, amount, number, reference, charge_id, user_name, ack)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (id) DO UPDATE SET ack = COALESCE(qris_items.ack, excluded.ack)`,
			pgText(r.id), r.kind, r.store, r.till, r.epoch, r.seq, r.time.UTC(), r.amount,
			pgNullText(r.number), pgNullText(r.reference), pgNullText(r.chargeID), pgNullText(r.user),
			pgNullText(r.ack)); err != nil {
			return fmt.Errorf("QRIS item %s: %w", r.id, err)
		}
	}
	return nil
}

// pgQRISColumns are qrisColumns with the times as Unix nanoseconds, so one
// scan serves both stores (PostgreSQL keeps microseconds).
const pgQRISColumns = `id, kind, store, till, epoch, seq,
	(EXTRACT(EPOCH FROM time) * 1000000)::bigint * 1000, amount, number, reference, charge_id, user_name, ack, checked_by,
	(EXTRACT(EPOCH FROM checked_at) * 1000000)::bigint * 1000`

// QRISReconcile lists the QRIS payments to reconcile, as DB.QRISReconcile
// does.
func (p *PG) QRISReconcile(ctx context.Context, q QRISQuery) (*QRISReport, error) {
	s, err := q.check()
	if err != nil {
		return nil, err
	}
	zones, err := p.storeZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("headoffice: QRIS: zones: %w", err)
	}
	zoneOf, _, err := zoneLookup(zones)
	if err != nil {
		return nil, err
	}
	query := `SELECT ` + pgQRISColumns + ` FROM qris_items WHERE true`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q.Store != "" {
		query += " AND store = " + arg(q.Store)
	}
	if s.hasFrom {
		query += " AND time >= " + arg(s.from)
	}
	if s.hasTo {
		query += " AND time < " + arg(s.to)
	}
	query += " ORDER BY store, till, time, id LIMIT " + arg(qrisScanCap)
	rows, err := p.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("headoffice: QRIS: %w", err)
	}
	defer rows.Close()
	var items []QRISItem
	for rows.Next() {
		it, err := scanQRIS(rows.Scan, fromNanos)
		if err != nil {
			return nil, fmt.Errorf("headoffice: QRIS: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("headoffice: QRIS: %w", err)
	}
	return s.report(items, zoneOf, len(items)), nil
}

// MarkQRIS marks a QRIS item checked (or resolved), idempotently, as
// DB.MarkQRIS does.
func (p *PG) MarkQRIS(ctx context.Context, id, by string) (*QRISItem, error) {
	by, err := checkMark(id, by)
	if err != nil {
		return nil, err
	}
	id, by = pgText(id), pgText(by)
	if _, err := p.db.ExecContext(ctx, `UPDATE qris_items SET checked_by = $1, checked_at = $2
		WHERE id = $3 AND checked_at IS NULL`, by, p.now().UTC(), id); err != nil {
		return nil, fmt.Errorf("headoffice: mark QRIS %s: %w", id, err)
	}
	it, err := scanQRIS(p.db.QueryRowContext(ctx, `SELECT `+pgQRISColumns+` FROM qris_items WHERE id = $1`, id).Scan, fromNanos)
	if err == sql.ErrNoRows {
		return nil, appliance.Errorf(appliance.CodeNotFound, "no QRIS item %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("headoffice: mark QRIS %s: %w", id, err)
	}
	zones, err := p.storeZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("headoffice: QRIS: zones: %w", err)
	}
	return finishItem(it, zones)
}

// pgQRISBackfill derives the QRIS items of records PostgreSQL already holds.
func pgQRISBackfill(ctx context.Context, tx *sql.Tx) error {
	recs, err := qrisCandidates(ctx, tx, `SELECT store, till, epoch, seq, body FROM records
		WHERE kind IN ('qris_late', 'qris_late_ack') OR (kind = 'sale' AND position($1::bytea IN body) > 0)
		ORDER BY store, till, epoch, seq`, []byte(`"reconcile":true`))
	if err != nil {
		return err
	}
	return qrisFill(ctx, tx, recs, pgQRISApply)
}
