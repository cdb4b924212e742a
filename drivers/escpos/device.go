package escpos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Sentinel errors of Printer. A refused or failed job wraps one of them;
// the full chain says which step failed.
var (
	ErrPaperOut     = errors.New("escpos: paper out")
	ErrCoverOpen    = errors.New("escpos: cover open")
	ErrOffline      = errors.New("escpos: printer offline")
	ErrAbsent       = errors.New("escpos: printer absent")
	ErrNoAnswer     = errors.New("escpos: printer does not answer status requests")
	ErrPrinterError = errors.New("escpos: printer error")
)

// StateCode is the printer's condition as the till shows it.
type StateCode string

const (
	StateUnknown   StateCode = "unknown" // not yet contacted
	StateOK        StateCode = "ok"
	StatePaperLow  StateCode = "paper_low" // prints, but the roll is near its end
	StatePaperOut  StateCode = "paper_out"
	StateCoverOpen StateCode = "cover_open"
	StateOffline   StateCode = "offline" // link open, printer not printing or not answering
	StateAbsent    StateCode = "absent"  // no link: unplugged, switched off, unreachable
	StateError     StateCode = "error"   // cutter jam, head fault
)

// Printable reports whether a job may be sent in this state.
func (c StateCode) Printable() bool { return c == StateOK || c == StatePaperLow }

// State is the last known condition of a printer.
type State struct {
	Code   StateCode
	Detail string    // the cause, for the log and the technician
	Since  time.Time // when Code last changed
	Status Status    // the last status the printer reported
}

// Options tune a Printer. The zero value is useful.
type Options struct {
	// StatusTimeout bounds the wait for status answers; a printer that
	// says nothing in time gives ErrNoAnswer. Default 2 s.
	StatusTimeout time.Duration
	// WriteTimeout is how long a write may make no progress. Default 10 s.
	WriteTimeout time.Duration
	// RetryInterval is how often Watch probes a printer that is not
	// printable. Default 5 s.
	RetryInterval time.Duration
	// After is the clock Watch waits with; default time.After. Tests
	// hand in a channel they control.
	After func(time.Duration) <-chan time.Time
	// Now stamps State.Since; default time.Now.
	Now func() time.Time
	// OnChange is called with the new state whenever State().Code
	// changes, so a print queue can retry as soon as the printer is back.
	// It runs while the Printer is busy: it must not call the Printer and
	// should hand the news to another goroutine.
	OnChange func(State)
	Logger   *slog.Logger
}

// Printer is a receipt printer behind a Dialer. It opens the link when
// first needed and again after any error, checks the printer's status
// around every job, and remembers the last state. Its methods are safe for
// concurrent use; jobs run one at a time.
type Printer struct {
	dial Dialer
	p    Profile
	o    Options
	log  *slog.Logger

	sem     chan struct{} // held by the one operation using conn
	conn    Conn
	asb     asbReader
	lastASB *Status // the newest automatic status message, nil when none

	smu     sync.Mutex
	state   State         // written under sem and smu, read under smu
	changed chan struct{} // closed and replaced when state.Code changes
}

// New returns a Printer that reaches the printer with dial. It does not
// dial yet.
func New(dial Dialer, p Profile, o Options) *Printer {
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = 2 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = 5 * time.Second
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pr := &Printer{
		dial: dial, p: p, o: o,
		log:     log.With("component", "escpos", "printer", p.Name),
		sem:     make(chan struct{}, 1),
		changed: make(chan struct{}),
	}
	pr.state = State{Code: StateUnknown, Since: o.Now()}
	return pr
}

// State returns the last known state without touching the printer.
func (p *Printer) State() State {
	p.smu.Lock()
	defer p.smu.Unlock()
	return p.state
}

// Print sends job, the bytes of one whole receipt (from Render), and
// returns nil only when the printer took all of it and reported no fault
// after it. It refuses to send into a printer that reports paper out
// (ErrPaperOut), an open cover (ErrCoverOpen), another offline condition
// (ErrOffline) or an error (ErrPrinterError); fails with ErrAbsent when
// the link cannot be opened and ErrNoAnswer when a printer whose profile
// says it answers status does not. A fault reported after the job fails
// the job: the receipt may be cut short, and the caller prints all of it
// again once State is printable.
func (p *Printer) Print(ctx context.Context, job []byte) error {
	if err := p.run(ctx, job); err != nil {
		return fmt.Errorf("escpos: print %d bytes: %w", len(job), err)
	}
	return nil
}

// Kick pulses the drawer connector (ESC p) with Encoder.DrawerKick's safe
// timings, for a drawer wired to the printer. It is refused like a job: a
// printer that is offline holds ESC p in its buffer and would open the
// drawer later, when nobody expects it.
func (p *Printer) Kick(ctx context.Context, pin, onMs, offMs int) error {
	var buf bytes.Buffer
	e := NewEncoder(&buf, p.p)
	e.DrawerKick(pin, onMs, offMs)
	if err := e.Flush(); err != nil {
		return err
	}
	if err := p.run(ctx, buf.Bytes()); err != nil {
		return fmt.Errorf("escpos: kick drawer: %w", err)
	}
	return nil
}

// Probe asks the printer for its status and returns the refreshed state.
func (p *Printer) Probe(ctx context.Context) State {
	if err := p.acquire(ctx); err != nil {
		return p.State()
	}
	defer p.release()
	c, err := p.connect(ctx)
	if err == nil {
		stop := context.AfterFunc(ctx, func() { c.Close() })
		_, err = p.status(c)
		if !stop() {
			p.drop()
			if err != nil {
				err = errors.Join(ctx.Err(), err)
			}
		}
	}
	if err != nil {
		p.fail(ctx, err)
	}
	return p.State()
}

// Watch probes the printer every RetryInterval while its state is not
// printable (and once at the start when it is unknown), until ctx ends.
// With OnChange, this is how a print queue learns that paper is back.
func (p *Printer) Watch(ctx context.Context) {
	for {
		p.smu.Lock()
		code, changed := p.state.Code, p.changed
		p.smu.Unlock()
		switch {
		case code == StateUnknown:
			p.Probe(ctx)
			if p.State().Code == StateUnknown { // ctx ended before the probe ran
				return
			}
			continue
		case code.Printable():
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-p.o.After(p.o.RetryInterval):
			p.Probe(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// Close closes the link, waiting for a running job. A later call opens it
// again.
func (p *Printer) Close() error {
	p.sem <- struct{}{}
	defer p.release()
	return p.drop()
}

func (p *Printer) acquire(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Printer) release() { <-p.sem }

// run does one job: status, write, status.
func (p *Printer) run(ctx context.Context, data []byte) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	c, err := p.connect(ctx)
	if err != nil {
		return p.fail(ctx, err)
	}
	// A cancelled caller closes the link to unblock whatever waits on it;
	// the next call opens a fresh one.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	err = p.job(c, data)
	if !stop() {
		// The link was closed under us. A job that got through anyway
		// stands: printing it again would give the customer two receipts.
		p.drop()
		if err != nil {
			err = errors.Join(ctx.Err(), err)
		}
	}
	if err != nil {
		return p.fail(ctx, err)
	}
	return nil
}

func (p *Printer) job(c Conn, data []byte) error {
	reports := p.p.Status || p.p.ASB
	if reports {
		s, err := p.status(c)
		if err != nil {
			return fmt.Errorf("status before job: %w", err)
		}
		if err := s.Fault(); err != nil {
			return fmt.Errorf("refused, nothing sent: %w", err)
		}
	}
	if err := p.write(c, data); err != nil {
		return err
	}
	if !reports {
		p.setState(StateOK, "printer does not report status", Status{})
		return nil
	}
	s, err := p.status(c)
	if err != nil {
		return fmt.Errorf("status after job: %w", err)
	}
	if err := s.Fault(); err != nil {
		return fmt.Errorf("job sent, then the printer reported: %w", err)
	}
	return nil
}

// write sends data. With automatic status it reads between chunks, so a
// printer that reports paper out stops the job at once instead of
// receiving the rest of it at 9600 baud.
func (p *Printer) write(c Conn, data []byte) error {
	step := len(data)
	if p.p.ASB {
		step = writeChunk
	}
	for sent := 0; sent < len(data); {
		n, err := c.WriteTimeout(data[sent:min(len(data), sent+step)], p.o.WriteTimeout)
		sent += n
		if err != nil {
			return fmt.Errorf("write after %d of %d bytes: %w", sent, len(data), err)
		}
		if p.p.ASB {
			if err := p.readASB(c); err != nil {
				return err
			}
			if p.lastASB != nil {
				if f := p.lastASB.Fault(); f != nil {
					p.setStatus(*p.lastASB)
					return fmt.Errorf("stopped after %d of %d bytes: %w", sent, len(data), f)
				}
			}
		}
	}
	return nil
}

// connect returns the open link, dialing when there is none. With ASB in
// the profile it enables automatic status for the conditions that stop
// printing (not the drawer: its messages would come with every sale).
func (p *Printer) connect(ctx context.Context) (Conn, error) {
	if p.conn != nil {
		return p.conn, nil
	}
	c, err := p.dial(ctx)
	if err != nil {
		if !errors.Is(err, ErrAbsent) {
			err = fmt.Errorf("%w: %w", ErrAbsent, err)
		}
		return nil, err
	}
	p.asb = asbReader{}
	p.lastASB = nil
	if p.p.ASB {
		if _, err := c.WriteTimeout(asbEnable, p.o.WriteTimeout); err != nil {
			c.Close()
			return nil, fmt.Errorf("%w: enable automatic status: %w", ErrAbsent, err)
		}
	}
	p.conn = c
	p.log.Debug("link open")
	return c, nil
}

var asbEnable = []byte{gs, 'a', ASBOnline | ASBError | ASBPaper}

func (p *Printer) drop() error {
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn = nil
	return err
}

// fail records what err says about the printer, drops the link on an I/O
// failure, and returns err wrapped with the sentinel a caller tests.
func (p *Printer) fail(ctx context.Context, err error) error {
	var fault error
	for _, f := range []error{ErrCoverOpen, ErrPaperOut, ErrPrinterError, ErrAbsent, ErrNoAnswer, ErrOffline} {
		if errors.Is(err, f) {
			fault = f
			break
		}
	}
	switch fault {
	case ErrCoverOpen, ErrPaperOut, ErrPrinterError, ErrOffline:
		// the printer said so; the link works and State is set
		return err
	case ErrAbsent:
		p.drop()
		p.setState(StateAbsent, err.Error(), Status{})
		return err
	}
	// A timeout or an I/O error: the link may hold stale bytes or be
	// dead. Drop it, and dial once more to tell an unplugged printer
	// (absent) from one that stopped answering (offline).
	p.drop()
	if ctx.Err() != nil {
		return err // the caller gave up; that says nothing about the printer
	}
	if _, derr := p.connect(ctx); derr != nil {
		p.setState(StateAbsent, derr.Error(), Status{})
		return fmt.Errorf("%w (%w)", err, derr)
	}
	p.setState(StateOffline, err.Error(), Status{})
	if fault == nil {
		err = fmt.Errorf("%w: %w", ErrOffline, err)
	}
	return err
}

func (p *Printer) setStatus(s Status) {
	switch {
	case s.CoverOpen:
		p.setState(StateCoverOpen, s.String(), s)
	case s.PaperOut:
		p.setState(StatePaperOut, s.String(), s)
	case s.CutterError || s.Unrecoverable || s.AutoRecoverable:
		p.setState(StateError, s.String(), s)
	case s.Offline:
		p.setState(StateOffline, s.String(), s)
	case s.PaperNearEnd:
		p.setState(StatePaperLow, s.String(), s)
	default:
		p.setState(StateOK, "", s)
	}
}

func (p *Printer) setState(code StateCode, detail string, s Status) {
	p.smu.Lock()
	changed := code != p.state.Code
	if changed {
		p.state.Since = p.o.Now()
		close(p.changed)
		p.changed = make(chan struct{})
	}
	p.state.Code, p.state.Detail, p.state.Status = code, detail, s
	st := p.state
	p.smu.Unlock()
	if changed {
		p.log.Info("printer state", "state", string(code), "detail", detail)
		if p.o.OnChange != nil {
			p.o.OnChange(st)
		}
	}
}

// status asks the printer how it is and records the answer: DLE EOT when
// the profile has Status, else a fresh automatic status message.
func (p *Printer) status(c Conn) (Status, error) {
	// Whatever is waiting is stale: late answers to an earlier request,
	// answers to DLE EOT bytes inside image data, automatic messages.
	if err := p.readASB(c); err != nil {
		return Status{}, err
	}
	var s Status
	var err error
	switch {
	case p.p.Status:
		s, err = p.statusDLE(c)
	case p.p.ASB:
		s, err = p.statusASB(c)
	default:
		p.setState(StateOK, "printer does not report status", s)
		return s, nil
	}
	if err != nil {
		return s, err
	}
	p.setStatus(s)
	return s, nil
}

func (p *Printer) statusDLE(c Conn) (Status, error) {
	req := make([]byte, 0, 3*len(AllStatus))
	for _, n := range AllStatus {
		req = append(req, StatusRequest(n)...)
	}
	if _, err := c.WriteTimeout(req, p.o.WriteTimeout); err != nil {
		return Status{}, fmt.Errorf("status request: %w", err)
	}
	answers := make([]byte, 0, len(AllStatus))
	deadline := time.Now().Add(p.o.StatusTimeout)
	buf := make([]byte, 64)
	for len(answers) < len(AllStatus) {
		d := time.Until(deadline)
		if d <= 0 {
			return Status{}, p.noAnswer(len(answers))
		}
		n, err := c.ReadTimeout(buf, d)
		if errors.Is(err, ErrTimeout) {
			return Status{}, p.noAnswer(len(answers))
		}
		if err != nil {
			return Status{}, fmt.Errorf("status answer: %w", err)
		}
		for _, b := range buf[:n] {
			// Answers have fixed bits nothing else a printer sends
			// has; the rest may be automatic status messages.
			if IsStatusAnswer(b) {
				if len(answers) < len(AllStatus) {
					answers = append(answers, b)
				}
			} else {
				p.asb.feed(b, p.gotASB)
			}
		}
	}
	return ParseStatus(AllStatus, answers)
}

func (p *Printer) noAnswer(got int) error {
	return fmt.Errorf("%w: %d of %d answers within %v", ErrNoAnswer, got, len(AllStatus), p.o.StatusTimeout)
}

// statusASB sends GS a again: the printer answers with a fresh message once
// it has processed everything before it, so after a job the answer also
// says the job has been printed. An offline printer processes nothing, so
// then the last message it sent on its own is all there is to go by.
func (p *Printer) statusASB(c Conn) (Status, error) {
	last := p.lastASB
	if _, err := c.WriteTimeout(asbEnable, p.o.WriteTimeout); err != nil {
		return Status{}, fmt.Errorf("status request: %w", err)
	}
	deadline := time.Now().Add(p.o.StatusTimeout)
	buf := make([]byte, 64)
	var fresh *Status
	for fresh == nil {
		d := time.Until(deadline)
		if d <= 0 {
			break
		}
		n, err := c.ReadTimeout(buf, d)
		if errors.Is(err, ErrTimeout) {
			break
		}
		if err != nil {
			return Status{}, fmt.Errorf("status answer: %w", err)
		}
		for _, b := range buf[:n] {
			p.asb.feed(b, func(s Status) {
				p.gotASB(s)
				fresh = &s
			})
		}
	}
	if fresh != nil {
		return *fresh, nil
	}
	if last != nil && last.Fault() != nil {
		return *last, nil
	}
	return Status{}, fmt.Errorf("%w: no automatic status message within %v", ErrNoAnswer, p.o.StatusTimeout)
}

// readASB takes what has arrived without waiting and keeps any automatic
// status message in it.
func (p *Printer) readASB(c Conn) error {
	buf := make([]byte, 64)
	for range 64 { // bounded: a printer streaming garbage must not hold us
		n, err := c.ReadTimeout(buf, 0)
		if errors.Is(err, ErrTimeout) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		for _, b := range buf[:n] {
			if !IsStatusAnswer(b) {
				p.asb.feed(b, p.gotASB)
			}
		}
	}
	return nil
}

func (p *Printer) gotASB(s Status) { p.lastASB = &s }

// asbReader assembles automatic status messages from a byte stream.
type asbReader struct {
	msg []byte
}

func (r *asbReader) feed(b byte, got func(Status)) {
	switch {
	case IsASBStart(b):
		r.msg = append(r.msg[:0], b)
	case len(r.msg) > 0 && b&0x90 == 0:
		r.msg = append(r.msg, b)
		if len(r.msg) == asbMsgSize {
			if s, err := ParseASB(r.msg); err == nil {
				got(s)
			}
			r.msg = r.msg[:0]
		}
	default:
		r.msg = r.msg[:0] // not part of a message: XON/XOFF, noise
	}
}
