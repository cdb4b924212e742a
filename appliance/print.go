package appliance

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Print job kinds.
const (
	PrintReceipt = "receipt" // the receipt of a committed record, queued in its transaction
	PrintReprint = "reprint" // a copy, marked SALINAN
	PrintReport  = "report"  // an X report
)

// PrintJob is one receipt or report in the till's persistent print queue. A
// job leaves the queue only when the printer took it whole; until then it
// survives a paper-out, an unplugged printer and a restart.
type PrintJob struct {
	ID        int64     `json:"id"`
	Created   time.Time `json:"created"`
	Kind      string    `json:"kind"`
	Ref       string    `json:"ref"` // receipt number or report title
	Receipt   *Receipt  `json:"receipt"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
}

// PrintQueueState is what the status strip shows of the queue.
type PrintQueueState struct {
	Pending   int       `json:"pending"`
	Oldest    time.Time `json:"oldest,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// PrintQueue is the durable print queue. A record's receipt is queued by
// Store.Commit in the record's own transaction (Record.Receipt), so a power
// cut between the commit and the paper loses no receipt.
type PrintQueue interface {
	// QueuePrint adds a job and sets j.ID.
	QueuePrint(ctx context.Context, j *PrintJob) error
	// PendingPrints returns the oldest jobs not yet printed, in order.
	PendingPrints(ctx context.Context, limit int) ([]PrintJob, error)
	// PrintDone takes a job out of the queue.
	PrintDone(ctx context.Context, id int64, at time.Time) error
	// PrintFailed counts a failed attempt and keeps its error.
	PrintFailed(ctx context.Context, id int64, msg string) error
	PrintQueueState(ctx context.Context) (PrintQueueState, error)
}

// ErrUnprintable marks a job that no retry can print (a line the printer's
// profile cannot hold, say). The spool drops it from the queue, logs it, and
// goes on with the next job, so one bad job never holds up the paper.
var ErrUnprintable = errors.New("job cannot be printed")

// DeviceFault is a printer or drawer failure with the state it leaves the
// device in; drivers' adapters wrap their errors in it so the cashier hears
// "paper out", not a driver's words.
type DeviceFault struct {
	State DeviceState
	Err   error
}

func (e *DeviceFault) Error() string { return fmt.Sprintf("%s: %v", e.State, e.Err) }
func (e *DeviceFault) Unwrap() error { return e.Err }

// spoolLock is a mutex a waiter can give up on: the cashier's pay must not
// wait behind a long backlog being printed.
type spoolLock chan struct{}

func (l spoolLock) lock(ctx context.Context) error {
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (l spoolLock) unlock() { <-l }

// PrintPending prints the queued jobs in order, until the queue is empty or
// a job fails; a failed job stays at the head of the queue, so receipts come
// out in the order they were made. It returns the failure, or nil when the
// queue is empty.
func (t *Till) PrintPending(ctx context.Context) error {
	if err := t.spool.lock(ctx); err != nil {
		return err
	}
	defer t.spool.unlock()
	for {
		jobs, err := t.store.PendingPrints(ctx, 16)
		if err != nil {
			return Wrap(CodeStoreFailed, err, "read print queue")
		}
		if len(jobs) == 0 {
			return nil
		}
		for i := range jobs {
			if err := t.printJob(ctx, &jobs[i]); err != nil {
				return err
			}
		}
	}
}

func (t *Till) printJob(ctx context.Context, j *PrintJob) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := t.printer.Print(pctx, j.Receipt)
	switch {
	case err == nil:
		if err := t.store.PrintDone(ctx, j.ID, t.now()); err != nil {
			// The paper is out; the worst case is a second copy after a
			// restart.
			return Wrap(CodeStoreFailed, err, "mark print %d done", j.ID)
		}
		t.log.Info("printed", "job", j.ID, "kind", j.Kind, "ref", j.Ref)
		return nil
	case errors.Is(err, ErrUnprintable):
		t.log.Error("print job dropped", "job", j.ID, "ref", j.Ref, "err", err)
		if err := t.store.PrintFailed(ctx, j.ID, err.Error()); err != nil {
			return Wrap(CodeStoreFailed, err, "mark print %d failed", j.ID)
		}
		return t.store.PrintDone(ctx, j.ID, t.now())
	default:
		if j.Attempts == 0 || j.LastError != err.Error() {
			t.log.Error("print failed; job waits in the queue", "job", j.ID, "ref", j.Ref, "attempt", j.Attempts+1, "err", err)
		}
		if ferr := t.store.PrintFailed(ctx, j.ID, err.Error()); ferr != nil {
			t.log.Error("record print failure", "job", j.ID, "err", ferr)
		}
		return err
	}
}

// printQueued prints up to and including job id and reports whether it came
// out. The wait is bounded: when older jobs are still printing, or the
// printer fails, the job stays queued and prints later.
func (t *Till) printQueued(ctx context.Context, id int64) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	err := t.PrintPending(pctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &DeviceFault{State: DeviceOffline, Err: fmt.Errorf("print queue busy: %w", err)}
	}
	return err
}

// RunPrinter prints what waits in the queue — jobs left by a restart, jobs
// that met a paper-out — as soon as the printer can take them. It tries when
// wake fires (the driver saw the printer come back) and every retry while
// jobs wait, until ctx ends.
func (t *Till) RunPrinter(ctx context.Context, wake <-chan struct{}, retry time.Duration) {
	if retry <= 0 {
		retry = 5 * time.Second
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-timer.C:
		}
		t.PrintPending(ctx)
		timer.Reset(retry)
	}
}

// queue puts a job that is not part of a record (a reprint, an X report) in
// the queue and prints it.
func (t *Till) queue(ctx context.Context, kind string, r *Receipt) error {
	j := &PrintJob{Created: t.now(), Kind: kind, Ref: r.Title, Receipt: r}
	if err := t.store.QueuePrint(ctx, j); err != nil {
		return Wrap(CodeStoreFailed, err, "queue %s %s", kind, r.Title)
	}
	return t.printQueued(ctx, j.ID)
}

// PrintProblem is the cashier's sentence for a print that did not happen:
// the receipt waits in the queue and comes out by itself.
func PrintProblem(err error, lang string) (code, msg string) {
	code = "print_queued"
	var de *DeviceFault
	if errors.As(err, &de) {
		switch de.State {
		case DevicePaperOut:
			code = "print_paper_out"
		case DeviceCover:
			code = "print_cover_open"
		case DeviceAbsent, DeviceOffline:
			code = "print_offline"
		}
	}
	return code, Message(Errorm(CodeInternal, code, nil, "print"), lang)
}
