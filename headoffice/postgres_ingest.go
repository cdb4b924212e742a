package headoffice

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

// pgTries is how often an Ingest that lost a race (a deadlock or
// serialization failure, which the series lock should prevent) is run again
// before its error is returned.
const pgTries = 3

// Ingest applies a batch idempotently and in order per (store, till, epoch),
// in one transaction, exactly as DB.Ingest does: records at or below the
// applied high-water mark are duplicates and ignored; records above it wait
// as pending until every earlier seq has arrived; contiguous ones are
// applied (and a shift_close's Z report extracted). After the commit it
// returns the ack to publish — the series' high-water mark, even when this
// batch did not move it — and the gap pending records wait on, or nil.
//
// A batch that fails wire.Batch.Validate returns an error wrapping
// ErrMalformed and changes nothing. Any other error means nothing was
// committed and nothing may be acknowledged.
func (p *PG) Ingest(ctx context.Context, b *wire.Batch) (wire.Ack, *Gap, error) {
	if err := b.Validate(); err != nil {
		return wire.Ack{}, nil, fmt.Errorf("%w batch: %v", ErrMalformed, err)
	}
	if strings.Contains(b.Epoch, "\x00") {
		return wire.Ack{}, nil, fmt.Errorf("%w batch: epoch %q", ErrMalformed, b.Epoch)
	}
	for try := 1; ; try++ {
		now := p.now().UTC()
		acked, gap, err := p.ingest(ctx, b, now)
		if err != nil && try < pgTries && pgRetryable(err) && ctx.Err() == nil {
			p.log.Warn("ingest lost a race; again", "id", b.ID, "try", try, "err", err)
			continue
		}
		if err != nil {
			return wire.Ack{}, nil, fmt.Errorf("headoffice: ingest %s: %w", b.ID, err)
		}
		ack := wire.Ack{V: wire.Version, Store: b.Store, Till: b.Till, Epoch: b.Epoch, Seq: acked, Time: now}
		return ack, gap, nil
	}
}

// pgHeld is a record by its seq, as it came.
type pgHeld struct {
	seq  int64
	body []byte
}

func (p *PG) ingest(ctx context.Context, b *wire.Batch, now time.Time) (int64, *Gap, error) {
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	// Lock the series' row for the whole transaction: another worker
	// (another connection, another process) ingesting the same series
	// waits here until this one commits, and then reads its high-water
	// mark.
	if _, err := tx.ExecContext(ctx, `INSERT INTO series (store, till, epoch, acked_seq, first_seen, updated)
		VALUES ($1, $2, $3, 0, $4, $4) ON CONFLICT DO NOTHING`, b.Store, b.Till, b.Epoch, now); err != nil {
		return 0, nil, fmt.Errorf("create series: %w", err)
	}
	var acked int64
	if err := tx.QueryRowContext(ctx, `SELECT acked_seq FROM series WHERE store = $1 AND till = $2 AND epoch = $3 FOR UPDATE`,
		b.Store, b.Till, b.Epoch).Scan(&acked); err != nil {
		return 0, nil, fmt.Errorf("lock series: %w", err)
	}
	before := acked

	var apply, hold []pgHeld
	for i, raw := range b.Records {
		seq := b.First + int64(i)
		switch {
		case seq <= acked:
			// A duplicate: already applied.
		case seq == acked+1:
			apply = append(apply, pgHeld{seq, raw})
			acked = seq
		default:
			hold = append(hold, pgHeld{seq, raw})
		}
	}
	if len(hold) > 0 {
		if err := pgHold(ctx, tx, b, hold, now); err != nil {
			return 0, nil, err
		}
	}
	// Held records that now follow the high-water mark are applied after
	// the batch's own, in seq order.
	next, err := pgNextPending(ctx, tx, b, acked)
	if err != nil {
		return 0, nil, err
	}
	if len(next) > 0 {
		apply = append(apply, next...)
		acked = next[len(next)-1].seq
	}
	if len(apply) > 0 {
		if err := p.pgApply(ctx, tx, b, apply, now); err != nil {
			return 0, nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE store = $1 AND till = $2 AND epoch = $3 AND seq <= $4`,
			b.Store, b.Till, b.Epoch, acked); err != nil {
			return 0, nil, fmt.Errorf("clear pending: %w", err)
		}
	}
	if acked != before {
		if _, err := tx.ExecContext(ctx, `UPDATE series SET acked_seq = $1, updated = $2
			WHERE store = $3 AND till = $4 AND epoch = $5`,
			acked, now, b.Store, b.Till, b.Epoch); err != nil {
			return 0, nil, fmt.Errorf("update high-water mark: %w", err)
		}
	}
	gap, _, err := pgSeriesGap(ctx, tx, b.Store, b.Till, b.Epoch, acked)
	if err != nil {
		return 0, nil, err
	}
	// The till is known to the fleet from its first batch, even before it
	// reports a status; its current epoch is what its status says, or this
	// one until it says anything. (Lock order: series, then tills, in every
	// ingest; a status touches only tills.)
	if _, err := tx.ExecContext(ctx, `INSERT INTO tills (store, till, last_seen, epoch) VALUES ($1, $2, $3, $4)
		ON CONFLICT (store, till) DO UPDATE SET last_seen = excluded.last_seen,
			epoch = COALESCE(tills.epoch, excluded.epoch)`,
		b.Store, b.Till, now, b.Epoch); err != nil {
		return 0, nil, fmt.Errorf("update till: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, nil, fmt.Errorf("commit: %w", err)
	}
	return acked, gap, nil
}

// pgHold keeps records that arrived ahead of a missing seq; copies already
// held stay as they are.
func pgHold(ctx context.Context, tx *sql.Tx, b *wire.Batch, hold []pgHeld, now time.Time) error {
	seqs := make([]int64, len(hold))
	bodies := make([][]byte, len(hold))
	for i, h := range hold {
		seqs[i], bodies[i] = h.seq, h.body
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO pending (store, till, epoch, seq, body, received)
		SELECT $1, $2, $3, h.seq, h.body, $4 FROM unnest($5::bigint[], $6::bytea[]) AS h(seq, body)
		ON CONFLICT DO NOTHING`,
		b.Store, b.Till, b.Epoch, now, seqs, bodies); err != nil {
		return fmt.Errorf("hold seqs %d-%d: %w", hold[0].seq, hold[len(hold)-1].seq, err)
	}
	return nil
}

// pgNextPending returns the held records that follow acked without a gap,
// in seq order.
func pgNextPending(ctx context.Context, tx *sql.Tx, b *wire.Batch, acked int64) ([]pgHeld, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, body FROM pending
		WHERE store = $1 AND till = $2 AND epoch = $3 AND seq > $4 ORDER BY seq`,
		b.Store, b.Till, b.Epoch, acked)
	if err != nil {
		return nil, fmt.Errorf("read pending: %w", err)
	}
	defer rows.Close()
	var next []pgHeld
	for rows.Next() {
		var h pgHeld
		if err := rows.Scan(&h.seq, &h.body); err != nil {
			return nil, fmt.Errorf("read pending: %w", err)
		}
		if h.seq != acked+int64(len(next))+1 {
			break
		}
		next = append(next, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pending: %w", err)
	}
	return next, nil
}

// pgSeriesGap returns the first gap of a series with pending records, and
// how many records are pending.
func pgSeriesGap(ctx context.Context, tx *sql.Tx, store, till, epoch string, acked int64) (*Gap, int, error) {
	var first sql.NullInt64
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT MIN(seq), COUNT(*) FROM pending WHERE store = $1 AND till = $2 AND epoch = $3`,
		store, till, epoch).Scan(&first, &n); err != nil {
		return nil, 0, fmt.Errorf("read gap: %w", err)
	}
	if !first.Valid {
		return nil, 0, nil
	}
	return &Gap{Store: store, Till: till, Epoch: epoch, From: acked + 1, To: first.Int64 - 1}, n, nil
}

// pgApply writes records known to be the next of their series, in seq
// order, in one statement, and the Z reports of shift_close records. A
// record whose body does not decode beyond what Validate checked is still
// kept, as it came, with its document columns empty: refusing it would stop
// the till's series for good.
func (p *PG) pgApply(ctx context.Context, tx *sql.Tx, b *wire.Batch, recs []pgHeld, now time.Time) error {
	n := len(recs)
	var (
		seqs      = make([]int64, n)
		kinds     = make([]string, n)
		times     = make([]time.Time, n)
		numbers   = make([]*string, n)
		docKinds  = make([]*string, n)
		totals    = make([]*int64, n)
		refs      = make([]*string, n)
		users     = make([]*string, n)
		bodies    = make([][]byte, n)
		zReports  []appliance.OutboxMessage
		zSeqs     []int64
		qrisMsgs  []appliance.OutboxMessage
		qrisSeqs  []int64
		textOrNil = func(s string) *string {
			if s == "" {
				return nil
			}
			s = pgText(s)
			return &s
		}
	)
	for i, r := range recs {
		var m appliance.OutboxMessage
		if err := json.Unmarshal(r.body, &m); err != nil {
			p.log.Warn("record body does not decode; kept as it came",
				"store", b.Store, "till", b.Till, "epoch", b.Epoch, "seq", r.seq, "err", err)
			var w wire.Record
			if err := json.Unmarshal(r.body, &w); err != nil {
				return fmt.Errorf("apply seq %d: %w record: %v", r.seq, ErrMalformed, err)
			}
			m = appliance.OutboxMessage{Kind: w.Kind, Time: w.Time}
		}
		if s := m.Sale; s != nil && (m.Kind == appliance.RecSale || m.Kind == appliance.RecVoid || m.Kind == appliance.RecRefund) {
			numbers[i], refs[i] = textOrNil(s.Number), textOrNil(s.Ref)
			total := int64(s.Total)
			totals[i] = &total
			docKind := string(s.Kind)
			if s.Kind == "" {
				docKind = string(m.Kind)
			}
			docKinds[i] = textOrNil(docKind)
		}
		users[i] = textOrNil(m.UserName)
		if m.Time.IsZero() {
			m.Time = now
		}
		seqs[i], kinds[i], times[i], bodies[i] = r.seq, pgText(string(m.Kind)), m.Time.UTC(), r.body
		if m.Kind == appliance.RecShiftClose && m.Report != nil {
			zReports, zSeqs = append(zReports, m), append(zSeqs, r.seq)
		}
		switch m.Kind {
		case appliance.RecSale, appliance.RecQRISLate, appliance.RecQRISLateAck:
			qrisMsgs, qrisSeqs = append(qrisMsgs, m), append(qrisSeqs, r.seq)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO records
		(store, till, epoch, seq, kind, time, number, doc_kind, total, ref, user_name, body, applied)
		SELECT $1, $2, $3, r.seq, r.kind, r.time, r.number, r.doc_kind, r.total, r.ref, r.user_name, r.body, $4
		FROM unnest($5::bigint[], $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::bigint[],
			$11::text[], $12::text[], $13::bytea[])
			WITH ORDINALITY AS r(seq, kind, time, number, doc_kind, total, ref, user_name, body, ord)
		ORDER BY r.ord`,
		b.Store, b.Till, b.Epoch, now, seqs, kinds, times, numbers, docKinds, totals, refs, users, bodies); err != nil {
		return fmt.Errorf("insert records %d-%d: %w", seqs[0], seqs[n-1], err)
	}
	for i := range qrisMsgs {
		if err := pgQRISApply(ctx, tx, b.Store, b.Till, b.Epoch, qrisSeqs[i], &qrisMsgs[i]); err != nil {
			return fmt.Errorf("apply seq %d: %w", qrisSeqs[i], err)
		}
	}
	for i, m := range zReports {
		rep, err := json.Marshal(m.Report)
		if err != nil {
			return fmt.Errorf("encode Z report of seq %d: %w", zSeqs[i], err)
		}
		t := m.Report.Time
		if t.IsZero() {
			t = m.Time
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO z_reports (store, till, epoch, seq, shift_id, time, report)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			b.Store, b.Till, b.Epoch, zSeqs[i], m.Report.ShiftID, t.UTC(), string(rep)); err != nil {
			return fmt.Errorf("insert Z report of seq %d: %w", zSeqs[i], err)
		}
	}
	return nil
}
