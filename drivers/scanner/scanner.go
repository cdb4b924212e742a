package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Defaults of Scanner's fields.
const (
	DefaultTerminators = "\r\n\t"
	DefaultMaxLen      = 128
	DefaultIdleWait    = 20 * time.Millisecond
)

var (
	// ErrTooLong is logged for a line longer than MaxLen; the line is dropped.
	ErrTooLong = errors.New("scanner: code too long")
	// ErrGarbage is logged for a line with unprintable bytes; the line is
	// dropped.
	ErrGarbage = errors.New("scanner: unprintable bytes in code")
)

// Scanner reads codes from a serial scanner. The zero value uses the
// defaults.
type Scanner struct {
	// Terminators are the bytes that end a code; empty means CR, LF and tab,
	// which accepts every usual suffix (the LF of CR LF ends an empty line,
	// which is dropped).
	Terminators string
	// MaxLen is the longest code accepted; zero means DefaultMaxLen.
	MaxLen int
	// IdleWait is the pause after a read that returned no data and no error;
	// zero means DefaultIdleWait.
	IdleWait time.Duration
	// Logger receives dropped lines; nil means slog.Default().
	Logger *slog.Logger
}

// Run reads codes from r with the default settings; see Scanner.Run.
func Run(ctx context.Context, r io.Reader, code func(string)) error {
	return Scanner{}.Run(ctx, r, code)
}

// chunk is what one read returned.
type chunk struct {
	b   []byte
	err error
}

// Run reads r until ctx is done or a read fails, calling code with each
// code, one at a time, from Run's goroutine. It returns ctx's error or the
// read error (io.EOF included: a port that ends is gone). A partial code
// that no suffix ended is dropped.
//
// Reads happen on a goroutine of their own, because a blocked Read cannot be
// interrupted: when ctx is done Run returns at once, and that goroutine ends
// with the next Read to return, which closing the port brings about.
func (s Scanner) Run(ctx context.Context, r io.Reader, code func(string)) error {
	s = s.withDefaults()
	reads := make(chan chunk)
	done := make(chan struct{})
	defer close(done)
	go s.read(r, reads, done)

	sp := splitter{term: s.Terminators, max: s.MaxLen, emit: code, reject: s.reject}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c := <-reads:
			sp.feed(c.b)
			if c.err != nil {
				return fmt.Errorf("scanner: read: %w", c.err)
			}
		}
	}
}

func (s Scanner) read(r io.Reader, reads chan<- chunk, done <-chan struct{}) {
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		if n > 0 || err != nil {
			c := chunk{b: append([]byte(nil), buf[:n]...), err: err}
			select {
			case reads <- c:
			case <-done:
				return
			}
			if err != nil {
				return
			}
			continue
		}
		// (0, nil): a serial read timeout passed with no data.
		t := time.NewTimer(s.IdleWait)
		select {
		case <-t.C:
		case <-done:
			t.Stop()
			return
		}
	}
}

func (s Scanner) withDefaults() Scanner {
	if s.Terminators == "" {
		s.Terminators = DefaultTerminators
	}
	if s.MaxLen <= 0 {
		s.MaxLen = DefaultMaxLen
	}
	if s.IdleWait <= 0 {
		s.IdleWait = DefaultIdleWait
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.Logger = s.Logger.With("component", "scanner")
	return s
}

func (s Scanner) reject(err error, length int, head []byte) {
	s.Logger.Warn("scanner dropped input", "err", err, "length", length, "head", string(head))
}

// splitter cuts a byte stream into codes.
type splitter struct {
	term   string
	max    int
	emit   func(string)
	reject func(err error, length int, head []byte)

	line    []byte
	dropped int // bytes beyond max in the current line
}

func (sp *splitter) feed(b []byte) {
	for _, c := range b {
		switch {
		case strings.IndexByte(sp.term, c) >= 0:
			sp.end()
		case len(sp.line) >= sp.max:
			sp.dropped++
		default:
			sp.line = append(sp.line, c)
		}
	}
}

func (sp *splitter) end() {
	line, dropped := sp.line, sp.dropped
	sp.line, sp.dropped = sp.line[:0], 0
	if dropped > 0 {
		sp.reject(ErrTooLong, len(line)+dropped, line[:min(len(line), 32)])
		return
	}
	code := trim(line)
	if len(code) == 0 {
		return
	}
	for _, c := range code {
		if !printable(c) {
			sp.reject(ErrGarbage, len(line), line[:min(len(line), 32)])
			return
		}
	}
	sp.emit(string(code))
}

func printable(c byte) bool { return c >= 0x20 && c < 0x7F }

// trim drops spaces and ASCII control bytes around a code: scanners pad,
// and a port just opened often starts with a NUL. Bytes above ASCII are left
// for the printable check: trimming them could turn a garbled code into a
// shorter, wrong one.
func trim(b []byte) []byte {
	for len(b) > 0 && b[0] <= ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] <= ' ' {
		b = b[:len(b)-1]
	}
	return b
}
