package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// queuePrint writes a print job inside tx: a record's receipt goes in the
// record's own transaction, so a power cut between the commit and the paper
// leaves the receipt waiting, not lost.
func queuePrint(ctx context.Context, tx *sql.Tx, j *appliance.PrintJob) error {
	if j.Receipt == nil {
		return appliance.Errorf(appliance.CodeInvalid, "queue print: no receipt")
	}
	body, err := json.Marshal(j.Receipt)
	if err != nil {
		return fmt.Errorf("encode print job %s: %w", j.Ref, err)
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO print_queue (created, kind, ref, body) VALUES (?, ?, ?, ?)",
		nanos(j.Created), j.Kind, j.Ref, body)
	if err != nil {
		return fmt.Errorf("insert print job %s: %w", j.Ref, err)
	}
	if j.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert print job %s: %w", j.Ref, err)
	}
	return nil
}

// QueuePrint adds a job that is not part of a record: a reprint, an X report.
func (db *DB) QueuePrint(ctx context.Context, j *appliance.PrintJob) error {
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if j.Created.IsZero() {
		j.Created = db.now()
	}
	if err := queuePrint(ctx, tx, j); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("queue print %s: %w", j.Ref, err)
	}
	return nil
}

// PendingPrints returns the oldest jobs not yet printed, oldest first.
func (db *DB) PendingPrints(ctx context.Context, limit int) ([]appliance.PrintJob, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT id, created, kind, ref, body, attempts, last_error
		FROM print_queue WHERE done IS NULL ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read print queue: %w", err)
	}
	defer rows.Close()
	var out []appliance.PrintJob
	for rows.Next() {
		var j appliance.PrintJob
		var created sql.NullInt64
		var body []byte
		var lastErr sql.NullString
		if err := rows.Scan(&j.ID, &created, &j.Kind, &j.Ref, &body, &j.Attempts, &lastErr); err != nil {
			return nil, fmt.Errorf("read print queue: %w", err)
		}
		j.Created, j.LastError = fromNanos(created), lastErr.String
		j.Receipt = new(appliance.Receipt)
		if err := json.Unmarshal(body, j.Receipt); err != nil {
			return nil, fmt.Errorf("read print job %d: %w", j.ID, err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// PrintDone takes a job out of the queue; the row stays as a record of
// what was printed when.
func (db *DB) PrintDone(ctx context.Context, id int64, at time.Time) error {
	return db.execOne(ctx, "mark print done", "UPDATE print_queue SET done = ? WHERE id = ? AND done IS NULL", nanos(at), id)
}

// PrintFailed counts a failed attempt.
func (db *DB) PrintFailed(ctx context.Context, id int64, msg string) error {
	return db.execOne(ctx, "mark print failed", "UPDATE print_queue SET attempts = attempts + 1, last_error = ? WHERE id = ?", msg, id)
}

func (db *DB) execOne(ctx context.Context, what, query string, args ...any) error {
	if _, err := db.rw.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// PrintQueueState counts the waiting jobs.
func (db *DB) PrintQueueState(ctx context.Context) (appliance.PrintQueueState, error) {
	var st appliance.PrintQueueState
	var oldest sql.NullInt64
	var lastErr sql.NullString
	err := db.ro.QueryRowContext(ctx, `SELECT count(*), min(created),
		(SELECT last_error FROM print_queue WHERE done IS NULL ORDER BY id LIMIT 1)
		FROM print_queue WHERE done IS NULL`).Scan(&st.Pending, &oldest, &lastErr)
	if err != nil {
		return st, fmt.Errorf("print queue state: %w", err)
	}
	st.Oldest, st.LastError = fromNanos(oldest), lastErr.String
	return st, nil
}
