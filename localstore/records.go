package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// Sale returns the document with this receipt number exactly as it was
// committed, or ErrNotFound.
func (db *DB) Sale(ctx context.Context, number string) (*appliance.Sale, error) {
	var doc string
	err := db.ro.QueryRowContext(ctx, "SELECT doc FROM sales WHERE number = ?", number).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("sale %s", number)
	}
	if err != nil {
		return nil, fmt.Errorf("read sale %s: %w", number, err)
	}
	s, err := decodeSale(doc)
	if err != nil {
		return nil, fmt.Errorf("read sale %s: %w", number, err)
	}
	return &s, nil
}

// SaleByCart returns the sale that completed the cart, exactly as it was
// committed, or ErrNotFound when no sale completed it.
func (db *DB) SaleByCart(ctx context.Context, cartID string) (*appliance.Sale, error) {
	if cartID == "" {
		return nil, notFound("sale of cart %q", cartID)
	}
	var doc string
	err := db.ro.QueryRowContext(ctx, "SELECT doc FROM sales WHERE cart_id = ? AND kind = 'sale'", cartID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("sale of cart %s", cartID)
	}
	if err != nil {
		return nil, fmt.Errorf("read sale of cart %s: %w", cartID, err)
	}
	s, err := decodeSale(doc)
	if err != nil {
		return nil, fmt.Errorf("read sale of cart %s: %w", cartID, err)
	}
	return &s, nil
}

// SalesReferencing returns the voids and refunds of a sale, oldest first.
func (db *DB) SalesReferencing(ctx context.Context, number string) ([]appliance.Sale, error) {
	return db.sales(ctx, "sales referencing "+number,
		"SELECT doc FROM sales WHERE ref = ? ORDER BY seq", number)
}

// RecentSales returns the newest documents, newest first.
func (db *DB) RecentSales(ctx context.Context, limit int) ([]appliance.Sale, error) {
	return db.sales(ctx, "recent sales",
		"SELECT doc FROM sales ORDER BY seq DESC LIMIT ?", limitOrAll(limit))
}

// ShiftDocs returns a shift's documents in the order they were committed.
func (db *DB) ShiftDocs(ctx context.Context, shiftID int64) ([]appliance.Sale, error) {
	return db.sales(ctx, fmt.Sprintf("documents of shift %d", shiftID),
		"SELECT doc FROM sales WHERE shift_id = ? ORDER BY seq", shiftID)
}

func (db *DB) sales(ctx context.Context, what, query string, args ...any) ([]appliance.Sale, error) {
	rows, err := db.ro.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	var out []appliance.Sale
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		s, err := decodeSale(doc)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}

func decodeSale(doc string) (appliance.Sale, error) {
	var s appliance.Sale
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return s, fmt.Errorf("decode: %w", err)
	}
	s.Time = utc(s.Time)
	return s, nil
}

// limitOrAll turns a non-positive limit into SQLite's "no limit".
func limitOrAll(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// CashMoves returns a shift's cash moves in the order they were made.
func (db *DB) CashMoves(ctx context.Context, shiftID int64) ([]appliance.CashMove, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT id, shift_id, time, user, cash_in, amount, reason
		FROM cash_moves WHERE shift_id = ? ORDER BY id`, shiftID)
	if err != nil {
		return nil, fmt.Errorf("read cash moves of shift %d: %w", shiftID, err)
	}
	defer rows.Close()
	var out []appliance.CashMove
	for rows.Next() {
		var m appliance.CashMove
		var t sql.NullInt64
		if err := rows.Scan(&m.ID, &m.ShiftID, &t, &m.User, &m.In, &m.Amount, &m.Reason); err != nil {
			return nil, fmt.Errorf("read cash moves of shift %d: %w", shiftID, err)
		}
		m.Time = fromNanos(t)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read cash moves of shift %d: %w", shiftID, err)
	}
	return out, nil
}

const shiftColumns = "id, opened_at, opened_by, float, closed_at, closed_by, counted, report"

// CurrentShift returns the open shift, or ErrNotFound.
func (db *DB) CurrentShift(ctx context.Context) (*appliance.Shift, error) {
	sh, _, err := scanShift(db.ro.QueryRowContext(ctx,
		"SELECT "+shiftColumns+" FROM shifts WHERE closed_at IS NULL ORDER BY id DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no open shift")
	}
	if err != nil {
		return nil, fmt.Errorf("read current shift: %w", err)
	}
	return sh, nil
}

// Shift returns a shift and, once it is closed, its Z report; ErrNotFound
// when there is no such shift.
func (db *DB) Shift(ctx context.Context, id int64) (*appliance.Shift, *appliance.ShiftReport, error) {
	sh, rep, err := scanShift(db.ro.QueryRowContext(ctx, "SELECT "+shiftColumns+" FROM shifts WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("shift %d", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read shift %d: %w", id, err)
	}
	return sh, rep, nil
}

func scanShift(row *sql.Row) (*appliance.Shift, *appliance.ShiftReport, error) {
	var sh appliance.Shift
	var opened, closed sql.NullInt64
	var closedBy, counted, report sql.NullString
	if err := row.Scan(&sh.ID, &opened, &sh.OpenedBy, &sh.Float, &closed, &closedBy, &counted, &report); err != nil {
		return nil, nil, err
	}
	sh.OpenedAt, sh.ClosedAt, sh.ClosedBy = fromNanos(opened), fromNanos(closed), closedBy.String
	if counted.Valid {
		if err := json.Unmarshal([]byte(counted.String), &sh.Counted); err != nil {
			return nil, nil, fmt.Errorf("decode counted: %w", err)
		}
	}
	if !report.Valid {
		return &sh, nil, nil
	}
	var rep appliance.ShiftReport
	if err := json.Unmarshal([]byte(report.String), &rep); err != nil {
		return nil, nil, fmt.Errorf("decode report: %w", err)
	}
	rep.Time, rep.OpenedAt = utc(rep.Time), utc(rep.OpenedAt)
	return &sh, &rep, nil
}

// LastRecordTime is the time of the newest committed record, zero if none.
func (db *DB) LastRecordTime(ctx context.Context) (time.Time, error) {
	var t sql.NullInt64
	err := db.ro.QueryRowContext(ctx, "SELECT time FROM journal ORDER BY id DESC LIMIT 1").Scan(&t)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("read last record time: %w", err)
	}
	return fromNanos(t), nil
}

// Journal returns entries with ID > after, in order, at most limit (all
// when limit <= 0).
func (db *DB) Journal(ctx context.Context, after int64, limit int) ([]appliance.JournalEntry, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT id, time, user, kind, ref, seq, body, prev_hash, hash
		FROM journal WHERE id > ? ORDER BY id LIMIT ?`, after, limitOrAll(limit))
	if err != nil {
		return nil, fmt.Errorf("read journal after %d: %w", after, err)
	}
	defer rows.Close()
	var out []appliance.JournalEntry
	for rows.Next() {
		var e appliance.JournalEntry
		var t sql.NullInt64
		if err := rows.Scan(&e.ID, &t, &e.User, &e.Kind, &e.Ref, &e.Seq, &e.Body, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("read journal after %d: %w", after, err)
		}
		e.Time = fromNanos(t)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read journal after %d: %w", after, err)
	}
	return out, nil
}

// OutboxRow is a committed record waiting for head office's ack.
type OutboxRow = appliance.OutboxRow

// Outbox returns unacknowledged rows with Seq > after, in order, at most
// limit (all when limit <= 0).
func (db *DB) Outbox(ctx context.Context, after int64, limit int) ([]OutboxRow, error) {
	rows, err := db.ro.QueryContext(ctx, "SELECT seq, topic, created, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
		after, limitOrAll(limit))
	if err != nil {
		return nil, fmt.Errorf("read outbox after %d: %w", after, err)
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		var t sql.NullInt64
		if err := rows.Scan(&r.Seq, &r.Topic, &t, &r.Body); err != nil {
			return nil, fmt.Errorf("read outbox after %d: %w", after, err)
		}
		r.Created = fromNanos(t)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read outbox after %d: %w", after, err)
	}
	return out, nil
}

// SyncState says how far the outbox is behind head office.
func (db *DB) SyncState(ctx context.Context) (appliance.SyncState, error) {
	var st appliance.SyncState
	// One read transaction, so the counter and the outbox agree.
	tx, err := db.ro.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("read sync state: %w", err)
	}
	defer tx.Rollback()
	var lastAck, oldest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT value FROM meta WHERE key = 'last_seq'),
			(SELECT value FROM meta WHERE key = 'acked_seq'),
			(SELECT value FROM meta WHERE key = 'last_ack'),
			(SELECT count(*) FROM outbox),
			(SELECT created FROM outbox ORDER BY seq LIMIT 1)`).
		Scan(&st.LastSeq, &st.AckedSeq, &lastAck, &st.Unsynced, &oldest); err != nil {
		return st, fmt.Errorf("read sync state: %w", err)
	}
	st.LastAck, st.OldestUnsynced = fromNanos(lastAck), fromNanos(oldest)
	return st, nil
}

// Ack records head office's high-water mark: every record up to seq is
// safely at head office, so its outbox row goes. Acks only move forward: an
// older or repeated ack changes nothing. An ack beyond the last record
// committed here is refused: it belongs to another database (epoch).
func (db *DB) Ack(ctx context.Context, seq int64, t time.Time) error {
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ack %d: %w", seq, err)
	}
	defer tx.Rollback()
	var last, acked int64
	if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT value FROM meta WHERE key = 'last_seq'),
			(SELECT value FROM meta WHERE key = 'acked_seq')`).Scan(&last, &acked); err != nil {
		return fmt.Errorf("ack %d: %w", seq, err)
	}
	if seq > last {
		return appliance.Errorf(appliance.CodeConflict, "ack %d beyond the last record %d", seq, last)
	}
	if seq <= acked {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE seq <= ?", seq); err != nil {
		return fmt.Errorf("ack %d: delete outbox: %w", seq, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('acked_seq', ?), ('last_ack', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, seq, nanos(t)); err != nil {
		return fmt.Errorf("ack %d: record: %w", seq, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ack %d: commit: %w", seq, err)
	}
	return nil
}
