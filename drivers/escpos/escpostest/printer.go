// Package escpostest is an emulated ESC/POS receipt printer for tests: it
// answers status requests like a real printer, decodes what it receives
// into jobs with escpos.Decode, and can be made to run out of paper, open
// its cover, be unplugged, never answer, or take bytes at a serial line's
// rate. StartPTY puts it behind a pseudo-terminal (a serial port or a
// /dev/usb/lp-like device file); ListenTCP behind a loopback port 9100;
// Serve behind any stream.
//
// It never imports the till's domain; it is for tests and must not be
// linked into the appliance.
package escpostest

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/kasirpos/kasir/drivers/escpos"
)

// Job is one job as the printer received it: the bytes from an ESC @ (or
// from the end of the previous job) to the next ESC @, the next status
// request (DLE EOT or GS a), a fault, or the end of the link.
type Job struct {
	Raw   []byte
	Paper *escpos.Paper // what Decode made of Raw, as far as it got
	Err   error         // Decode's error; a job cut short by a fault has one
	// Fault says why the job ended early ("paper out", "cover open",
	// "link closed"); empty for a job that ended at a boundary.
	Fault string
}

// Printer is the emulated printer. Its methods are safe for concurrent use.
type Printer struct {
	profile escpos.Profile

	mu             sync.Mutex
	paperOut       bool
	nearEnd        bool
	coverOpen      bool
	paperOutAfter  int // job bytes until the paper runs out; -1: never
	coverOpenAfter int
	silent         bool
	baud           int
	asbMask        byte
	out            io.Writer // the link answers go to; nil while unplugged
	pend           []byte    // a possible real-time or setup command, not yet whole
	job            []byte
	raw            []byte
	jobs           []Job
	dropped        int
	requests       int
	changed        chan struct{} // closed and replaced on every new job or byte batch

	wmu sync.Mutex // serialises writes to out

	plug *ptyPlug // set by StartPTY
}

// New returns a printer with profile p (its Columns and code page decide
// how jobs decode), with paper, cover closed, not yet connected to anything.
func New(p escpos.Profile) *Printer {
	return &Printer{profile: p, paperOutAfter: -1, coverOpenAfter: -1, changed: make(chan struct{})}
}

// Serve runs the printer on c until reading c fails, and returns that error.
// One link at a time: a printer has one input.
func (e *Printer) Serve(c io.ReadWriter) error {
	e.mu.Lock()
	e.out = c
	e.pend = e.pend[:0]
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.endJob("link closed")
		e.out = nil
		e.mu.Unlock()
	}()
	buf := make([]byte, 4096)
	var next time.Time // when the line will have carried what was read
	for {
		e.mu.Lock()
		baud := e.baud
		e.mu.Unlock()
		chunk := buf
		if baud > 0 {
			chunk = buf[:max(1, min(len(buf), baud/10/100))] // 10 ms of line time
		}
		n, err := c.Read(chunk)
		if n > 0 && baud > 0 {
			// 10 bits a byte on the wire: start, 8 data, stop.
			now := time.Now()
			if next.Before(now) {
				next = now
			}
			next = next.Add(time.Duration(n) * 10 * time.Second / time.Duration(baud))
			time.Sleep(time.Until(next)) // the emulated line, not a test wait
		}
		if n > 0 {
			e.mu.Lock()
			for _, b := range chunk[:n] {
				e.feed(b)
			}
			e.broadcast()
			e.mu.Unlock()
		}
		if err != nil {
			return err
		}
	}
}

// feed takes one received byte. Called with mu held.
func (e *Printer) feed(b byte) {
	e.raw = append(e.raw, b)
	e.step(b)
}

// step acts on b. Real-time requests (DLE EOT n) and the automatic status
// setting (GS a n) are acted on when they stand at command level, not
// inside another command's data, and are part of no job. (A real printer
// answers DLE EOT n even inside image data; the emulator keeps such bytes as
// the data they are and stays quiet, so tests see one answer per request.)
func (e *Printer) step(b byte) {
	e.pend = append(e.pend, b)
	p := e.pend
	switch {
	case p[0] != 0x10 && p[0] != 0x1D && p[0] != 0x1B:
	case len(p) == 1:
		return
	case len(p) == 2 && (p[0] == 0x10 && p[1] == 0x04 || p[0] == 0x1D && p[1] == 'a'):
		return
	case p[0] == 0x10 && p[1] == 0x04 && p[2] >= 1 && p[2] <= 4 && e.commandLevel():
		e.pend = e.pend[:0]
		e.requests++
		// A status request after job data is how a driver asks whether
		// the job went well: the job has ended.
		e.endJob("")
		if !e.silent {
			e.answer(e.status().StatusAnswers(escpos.StatusKind(p[2])))
		}
		return
	case p[0] == 0x1D && p[1] == 'a' && len(p) == 3 && !e.offline() && e.commandLevel():
		e.pend = e.pend[:0]
		// Processed in order, after the job before it: a driver sends
		// it to learn that the job has been printed.
		e.endJob("")
		e.asbMask = p[2]
		if e.asbMask != 0 && e.profile.ASB && !e.silent {
			e.answer(e.status().ASBMessage()) // a fresh message when enabled
		}
		return
	case p[0] == 0x1B && p[1] == '@' && e.commandLevel():
		e.pend = e.pend[:0]
		e.endJob("")
		e.data(0x1B)
		e.data('@')
		return
	}
	// Not one of ours: the first byte is data, the rest may start one.
	rest := append([]byte(nil), p[1:]...)
	e.pend = e.pend[:0]
	e.data(p[0])
	for _, b := range rest {
		e.step(b)
	}
}

// commandLevel reports whether the job so far ends between commands.
func (e *Printer) commandLevel() bool {
	if len(e.job) == 0 {
		return true
	}
	_, err := escpos.Decode(e.job, e.profile)
	return !errors.Is(err, escpos.ErrIncomplete)
}

// data takes one byte of job data: kept while the printer prints, dropped
// while it is offline, as a real printer's buffer overflows. Called with mu
// held.
func (e *Printer) data(b byte) {
	if e.offline() {
		e.dropped++
		return
	}
	e.job = append(e.job, b)
	if e.paperOutAfter > 0 {
		e.paperOutAfter--
		if e.paperOutAfter == 0 {
			e.paperOutAfter = -1
			e.paperOut, e.nearEnd = true, true
			e.endJob("paper out")
			e.sendASB()
		}
	}
	if e.coverOpenAfter > 0 {
		e.coverOpenAfter--
		if e.coverOpenAfter == 0 {
			e.coverOpenAfter = -1
			e.coverOpen = true
			e.endJob("cover open")
			e.sendASB()
		}
	}
}

func (e *Printer) offline() bool { return e.paperOut || e.coverOpen }

func (e *Printer) status() escpos.Status {
	return escpos.Status{
		Offline:      e.offline(),
		CoverOpen:    e.coverOpen,
		PaperOut:     e.paperOut,
		PaperNearEnd: e.nearEnd || e.paperOut,
	}
}

// endJob records the job received so far, if any. Called with mu held.
func (e *Printer) endJob(fault string) {
	if len(e.job) == 0 {
		return
	}
	raw := append([]byte(nil), e.job...)
	paper, err := escpos.Decode(raw, e.profile)
	e.jobs = append(e.jobs, Job{Raw: raw, Paper: paper, Err: err, Fault: fault})
	e.job = e.job[:0]
	e.broadcast()
}

func (e *Printer) broadcast() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// answer sends b to the driver. Called with mu held; a link that is gone
// loses the answer, as a real one would.
func (e *Printer) answer(b []byte) {
	if e.out == nil {
		return
	}
	e.wmu.Lock()
	defer e.wmu.Unlock()
	e.out.Write(b)
}

// sendASB sends an automatic status message if they are enabled. Called
// with mu held after a change.
func (e *Printer) sendASB() {
	if e.asbMask != 0 && e.profile.ASB && !e.silent {
		e.answer(e.status().ASBMessage())
	}
}

func (e *Printer) set(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	before := e.status()
	f()
	if e.status() != before {
		e.sendASB()
	}
}

// SetPaperOut takes the paper out (or puts a new roll in). Without paper
// the printer is offline: it drops job data and answers only status
// requests. A new roll also clears the near-end sensor.
func (e *Printer) SetPaperOut(out bool) {
	e.set(func() {
		if out {
			e.endJob("paper out")
		}
		e.paperOut, e.nearEnd = out, out
		e.paperOutAfter = -1
	})
}

// PaperOutAfter makes the paper run out once n more bytes of job data have
// arrived, in the middle of a receipt when n is smaller than the job.
func (e *Printer) PaperOutAfter(n int) { e.set(func() { e.paperOutAfter = max(n, 1) }) }

// SetPaperNearEnd sets the near-end sensor: the printer still prints.
func (e *Printer) SetPaperNearEnd(near bool) { e.set(func() { e.nearEnd = near }) }

// SetCoverOpen opens or closes the cover; open, the printer is offline.
func (e *Printer) SetCoverOpen(open bool) {
	e.set(func() {
		if open {
			e.endJob("cover open")
		}
		e.coverOpen = open
		e.coverOpenAfter = -1
	})
}

// CoverOpenAfter opens the cover once n more bytes of job data arrived.
func (e *Printer) CoverOpenAfter(n int) { e.set(func() { e.coverOpenAfter = max(n, 1) }) }

// SetSilent makes the printer answer no status request, like clones and
// write-only USB links.
func (e *Printer) SetSilent(silent bool) { e.set(func() { e.silent = silent }) }

// SetBaud makes the printer take bytes at a serial line's rate, baud/10
// bytes a second; 0 takes them as fast as they come.
func (e *Printer) SetBaud(baud int) { e.set(func() { e.baud = max(baud, 0) }) }

// Jobs returns the jobs received so far.
func (e *Printer) Jobs() []Job {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Job(nil), e.jobs...)
}

// Raw returns every byte received, status requests included.
func (e *Printer) Raw() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]byte(nil), e.raw...)
}

// Dropped is how many bytes of job data arrived while the printer was
// offline and were lost.
func (e *Printer) Dropped() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

// StatusRequests is how many DLE EOT requests the printer has received.
func (e *Printer) StatusRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

// WaitJobs waits until n jobs have been received and returns them, or
// returns ctx's error.
func (e *Printer) WaitJobs(ctx context.Context, n int) ([]Job, error) {
	return waitFor(ctx, e, func() ([]Job, bool) {
		return append([]Job(nil), e.jobs...), len(e.jobs) >= n
	})
}

// WaitRaw waits until at least n bytes have been received.
func (e *Printer) WaitRaw(ctx context.Context, n int) ([]byte, error) {
	return waitFor(ctx, e, func() ([]byte, bool) {
		return append([]byte(nil), e.raw...), len(e.raw) >= n
	})
}

func waitFor[T any](ctx context.Context, e *Printer, cond func() (T, bool)) (T, error) {
	for {
		e.mu.Lock()
		v, ok := cond()
		changed := e.changed
		e.mu.Unlock()
		if ok {
			return v, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return v, ctx.Err()
		}
	}
}
