package headoffice

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

// Ingest applies a batch idempotently and in order per (store, till, epoch),
// in one transaction: records at or below the applied high-water mark are
// duplicates and ignored; records above it wait as pending until every
// earlier seq has arrived; contiguous ones are applied (and a shift_close's
// Z report extracted). After the commit it returns the ack to publish — the
// series' high-water mark, even when this batch did not move it, so a till
// that lost the retained ack gets it again — and the gap pending records
// wait on, or nil.
//
// A batch that fails wire.Batch.Validate returns an error wrapping
// ErrMalformed and changes nothing. Any other error means nothing was
// committed and nothing may be acknowledged.
func (db *DB) Ingest(ctx context.Context, b *wire.Batch) (wire.Ack, *Gap, error) {
	if err := b.Validate(); err != nil {
		return wire.Ack{}, nil, fmt.Errorf("%w batch: %v", ErrMalformed, err)
	}
	now := db.now().UTC()
	// _txlock=immediate: BEGIN takes the write lock, so another worker
	// (another connection, another process) cannot move the high-water mark
	// between the read below and the writes after it.
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: begin: %w", b.ID, err)
	}
	defer tx.Rollback()

	acked, err := seriesAcked(ctx, tx, b.Store, b.Till, b.Epoch, now)
	if err != nil {
		return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: %w", b.ID, err)
	}
	before := acked
	for i, raw := range b.Records {
		seq := b.First + int64(i)
		switch {
		case seq <= acked:
			// A duplicate: already applied.
		case seq == acked+1:
			if err := db.apply(ctx, tx, b, seq, raw, now); err != nil {
				return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: apply seq %d: %w", b.ID, seq, err)
			}
			acked = seq
		default:
			if _, err := tx.ExecContext(ctx, `INSERT INTO pending (store, till, epoch, seq, body, received)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				b.Store, b.Till, b.Epoch, seq, string(raw), now.UnixNano()); err != nil {
				return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: hold seq %d: %w", b.ID, seq, err)
			}
		}
	}
	acked, err = db.drainPending(ctx, tx, b, acked, now)
	if err != nil {
		return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: %w", b.ID, err)
	}
	if acked != before {
		if _, err := tx.ExecContext(ctx, `UPDATE series SET acked_seq = ?, updated = ?
			WHERE store = ? AND till = ? AND epoch = ?`,
			acked, now.UnixNano(), b.Store, b.Till, b.Epoch); err != nil {
			return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: update high-water mark: %w", b.ID, err)
		}
	}
	gap, _, err := seriesGap(ctx, tx, b.Store, b.Till, b.Epoch, acked)
	if err != nil {
		return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: %w", b.ID, err)
	}
	// The till is known to the fleet from its first batch, even before it
	// reports a status; its current epoch is what its status says, or this
	// one until it says anything.
	if _, err := tx.ExecContext(ctx, `INSERT INTO tills (store, till, last_seen, epoch) VALUES (?, ?, ?, ?)
		ON CONFLICT (store, till) DO UPDATE SET last_seen = excluded.last_seen,
			epoch = COALESCE(tills.epoch, excluded.epoch)`,
		b.Store, b.Till, now.UnixNano(), b.Epoch); err != nil {
		return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: update till: %w", b.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: commit: %w", b.ID, err)
	}
	ack := wire.Ack{V: wire.Version, Store: b.Store, Till: b.Till, Epoch: b.Epoch, Seq: acked, Time: now}
	return ack, gap, nil
}

// seriesAcked returns the series' high-water mark, creating the series.
func seriesAcked(ctx context.Context, tx *sql.Tx, store, till, epoch string, now time.Time) (int64, error) {
	var acked int64
	err := tx.QueryRowContext(ctx, `SELECT acked_seq FROM series WHERE store = ? AND till = ? AND epoch = ?`,
		store, till, epoch).Scan(&acked)
	if err == sql.ErrNoRows {
		_, err = tx.ExecContext(ctx, `INSERT INTO series (store, till, epoch, acked_seq, first_seen, updated)
			VALUES (?, ?, ?, 0, ?, ?)`, store, till, epoch, now.UnixNano(), now.UnixNano())
		if err != nil {
			return 0, fmt.Errorf("create series: %w", err)
		}
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read high-water mark: %w", err)
	}
	return acked, nil
}

// drainPending applies held records that now follow the high-water mark,
// in seq order, and forgets held copies of records already applied.
func (db *DB) drainPending(ctx context.Context, tx *sql.Tx, b *wire.Batch, acked int64, now time.Time) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, body FROM pending
		WHERE store = ? AND till = ? AND epoch = ? AND seq > ? ORDER BY seq`,
		b.Store, b.Till, b.Epoch, acked)
	if err != nil {
		return acked, fmt.Errorf("read pending: %w", err)
	}
	type held struct {
		seq  int64
		body string
	}
	var next []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.seq, &h.body); err != nil {
			rows.Close()
			return acked, fmt.Errorf("read pending: %w", err)
		}
		if h.seq != acked+int64(len(next))+1 {
			break
		}
		next = append(next, h)
	}
	if err := rows.Close(); err != nil {
		return acked, fmt.Errorf("read pending: %w", err)
	}
	for _, h := range next {
		if err := db.apply(ctx, tx, b, h.seq, json.RawMessage(h.body), now); err != nil {
			return acked, fmt.Errorf("apply held seq %d: %w", h.seq, err)
		}
		acked = h.seq
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE store = ? AND till = ? AND epoch = ? AND seq <= ?`,
		b.Store, b.Till, b.Epoch, acked); err != nil {
		return acked, fmt.Errorf("clear pending: %w", err)
	}
	return acked, nil
}

// seriesGap returns the first gap of a series with pending records, and how
// many records are pending.
func seriesGap(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, store, till, epoch string, acked int64) (*Gap, int, error) {
	var first sql.NullInt64
	var n int
	if err := q.QueryRowContext(ctx, `SELECT MIN(seq), COUNT(*) FROM pending WHERE store = ? AND till = ? AND epoch = ?`,
		store, till, epoch).Scan(&first, &n); err != nil {
		return nil, 0, fmt.Errorf("read gap: %w", err)
	}
	if !first.Valid {
		return nil, 0, nil
	}
	return &Gap{Store: store, Till: till, Epoch: epoch, From: acked + 1, To: first.Int64 - 1}, n, nil
}

// apply writes one record, known to be the next of its series. A record
// whose body does not decode beyond what Validate checked is still kept, as
// it came, with its document columns empty: refusing it would stop the
// till's series for good.
func (db *DB) apply(ctx context.Context, tx *sql.Tx, b *wire.Batch, seq int64, raw json.RawMessage, now time.Time) error {
	var m appliance.OutboxMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		db.log.Warn("record body does not decode; kept as it came",
			"store", b.Store, "till", b.Till, "epoch", b.Epoch, "seq", seq, "err", err)
		var r wire.Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("%w record: %v", ErrMalformed, err)
		}
		m = appliance.OutboxMessage{Kind: r.Kind, Time: r.Time}
	}
	var number, docKind, ref, user any
	var total any
	if s := m.Sale; s != nil && (m.Kind == appliance.RecSale || m.Kind == appliance.RecVoid || m.Kind == appliance.RecRefund) {
		number, ref, total = nullString(s.Number), nullString(s.Ref), int64(s.Total)
		docKind = string(s.Kind)
		if s.Kind == "" {
			docKind = string(m.Kind)
		}
	}
	user = nullString(m.UserName)
	if m.Time.IsZero() {
		m.Time = now
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO records
		(store, till, epoch, seq, kind, time, number, doc_kind, total, ref, user_name, body, applied)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.Store, b.Till, b.Epoch, seq, string(m.Kind), m.Time.UnixNano(),
		number, docKind, total, ref, user, string(raw), now.UnixNano()); err != nil {
		return fmt.Errorf("insert record: %w", err)
	}
	if err := qrisApply(ctx, tx, b.Store, b.Till, b.Epoch, seq, &m); err != nil {
		return err
	}
	if m.Kind == appliance.RecShiftClose && m.Report != nil {
		rep, err := json.Marshal(m.Report)
		if err != nil {
			return fmt.Errorf("encode Z report: %w", err)
		}
		t := m.Report.Time
		if t.IsZero() {
			t = m.Time
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO z_reports (store, till, epoch, seq, shift_id, time, report)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			b.Store, b.Till, b.Epoch, seq, m.Report.ShiftID, t.UnixNano(), string(rep)); err != nil {
			return fmt.Errorf("insert Z report: %w", err)
		}
	}
	return nil
}
