package scanner_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/kasirpos/kasir/drivers/scanner"
)

// logs is a log sink safe for the scanner's goroutine and the test.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logs) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// bound is a safety net against a hung test, not a measurement.
const bound = 30 * time.Second

// session runs a Scanner on the slave side of a pty; the test plays the
// scanner on the master side.
type session struct {
	t      *testing.T
	master *os.File
	codes  chan string
	done   chan error
	cancel context.CancelFunc
	logs   *logs
}

func start(t *testing.T, s scanner.Scanner) *session {
	t.Helper()
	master, slave := openPTY(t)
	ss := &session{t: t, master: master, codes: make(chan string, 100), done: make(chan error, 1), logs: &logs{}}
	s.Logger = slog.New(slog.NewTextHandler(ss.logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	ss.cancel = cancel
	t.Cleanup(cancel)
	go func() { ss.done <- s.Run(ctx, slave, func(c string) { ss.codes <- c }) }()
	return ss
}

func (ss *session) write(s string) {
	ss.t.Helper()
	if _, err := io.WriteString(ss.master, s); err != nil {
		ss.t.Fatal(err)
	}
}

// until collects codes up to and including end.
func (ss *session) until(end string) []string {
	ss.t.Helper()
	var got []string
	timeout := time.After(bound)
	for {
		select {
		case c := <-ss.codes:
			got = append(got, c)
			if c == end {
				return got
			}
		case err := <-ss.done:
			ss.t.Fatalf("Run returned %v; codes so far %q", err, got)
		case <-timeout:
			ss.t.Fatalf("%q never came; codes so far %q", end, got)
		}
	}
}

// result waits for Run to return.
func (ss *session) result() error {
	ss.t.Helper()
	select {
	case err := <-ss.done:
		return err
	case <-time.After(bound):
		ss.t.Fatal("Run did not return")
		return nil
	}
}

func TestSuffixes(t *testing.T) {
	codes := []string{"4901234567894", "8992761111111", "END"}
	for _, tc := range []struct {
		name  string
		s     scanner.Scanner
		input string
		want  []string
	}{
		{"CR", scanner.Scanner{}, "4901234567894\r8992761111111\rEND\r", codes},
		{"LF", scanner.Scanner{}, "4901234567894\n8992761111111\nEND\n", codes},
		{"CRLF", scanner.Scanner{}, "4901234567894\r\n8992761111111\r\nEND\r\n", codes},
		{"tab", scanner.Scanner{}, "4901234567894\t8992761111111\tEND\t", codes},
		{"mixed", scanner.Scanner{}, "A1\rB2\nC3\r\nD4\tEND\r", []string{"A1", "B2", "C3", "D4", "END"}},
		{"CR set, CRLF sent", scanner.Scanner{Terminators: "\r"}, "123\r\n456\r\nEND\r", []string{"123", "456", "END"}},
		{"CR set, tab sent", scanner.Scanner{Terminators: "\r"}, "12\t34\rEND\r", []string{"END"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss := start(t, tc.s)
			ss.write(tc.input)
			if got := ss.until("END"); !slices.Equal(got, tc.want) {
				t.Errorf("codes = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitWrites(t *testing.T) {
	ss := start(t, scanner.Scanner{})
	for _, part := range []string{"49012", "3456", "7894", "\r", "\n899", "2761111111\r\nEND", "\r"} {
		ss.write(part)
	}
	if got, want := ss.until("END"), []string{"4901234567894", "8992761111111", "END"}; !slices.Equal(got, want) {
		t.Errorf("codes = %q, want %q", got, want)
	}
}

// runAll runs the scanner over an in-memory reader in a synctest bubble,
// where a Run that never returns fails at once on its fake-clock deadline.
func runAll(t *testing.T, r io.Reader) (codes []string, err error) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		err = scanner.Run(ctx, r, func(c string) { codes = append(codes, c) })
	})
	return codes, err
}

func TestSplitReads(t *testing.T) {
	// One byte per read, so every code and every CR LF is cut everywhere.
	r := iotest.OneByteReader(strings.NewReader("4901234567894\r\n  8992761111111 \r\n"))
	got, err := runAll(t, r)
	if !errors.Is(err, io.EOF) {
		t.Errorf("err = %v, want EOF", err)
	}
	if want := []string{"4901234567894", "8992761111111"}; !slices.Equal(got, want) {
		t.Errorf("codes = %q, want %q", got, want)
	}
}

func TestGarbage(t *testing.T) {
	ss := start(t, scanner.Scanner{})
	ss.write("\x00\x00123\r")        // NULs of a port just opened: trimmed
	ss.write("\r\n\r\n   \r\t\t")    // empty lines: dropped silently
	ss.write("\xff\xfe4\x015\x02\r") // line noise: dropped
	ss.write("ab\x1bcd\r")           // an escape inside: dropped
	ss.write("caf\xc3\xa9\r")        // non-ASCII: dropped
	ss.write("END\r")
	if got, want := ss.until("END"), []string{"123", "END"}; !slices.Equal(got, want) {
		t.Errorf("codes = %q, want %q", got, want)
	}
	if got, want := ss.logs.count(scanner.ErrGarbage.Error()), 3; got != want {
		t.Errorf("%d garbage lines logged, want %d:\n%s", got, want, ss.logs.buf.String())
	}
}

func TestOverlong(t *testing.T) {
	ss := start(t, scanner.Scanner{MaxLen: 16})
	ss.write(strings.Repeat("A", 16) + "\r")       // exactly the limit: fine
	ss.write(strings.Repeat("B", 17) + "\r")       // one over
	ss.write(strings.Repeat("C", 100000) + "\r\n") // a scanner stuck sending
	ss.write("12345\rEND\r")
	want := []string{strings.Repeat("A", 16), "12345", "END"}
	if got := ss.until("END"); !slices.Equal(got, want) {
		t.Errorf("codes = %q, want %q", got, want)
	}
	if got := ss.logs.count(scanner.ErrTooLong.Error()); got != 2 {
		t.Errorf("%d over-long lines logged, want 2:\n%s", got, ss.logs.buf.String())
	}
	if !strings.Contains(ss.logs.buf.String(), "length=100000") {
		t.Errorf("log does not say how long the line was:\n%s", ss.logs.buf.String())
	}
}

func TestUnplug(t *testing.T) {
	ss := start(t, scanner.Scanner{})
	ss.write("123\r")
	ss.until("123")
	ss.master.Close() // the cable is pulled
	err := ss.result()
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want the read error", err)
	}
}

func TestCancel(t *testing.T) {
	ss := start(t, scanner.Scanner{})
	ss.write("123\r")
	ss.until("123")
	ss.cancel()
	if err := ss.result(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want canceled", err)
	}
}

func TestDataWithError(t *testing.T) {
	// The last read brings data and the error together.
	r := iotest.DataErrReader(strings.NewReader("123\r456\r"))
	got, err := runAll(t, r)
	if !errors.Is(err, io.EOF) {
		t.Errorf("err = %v, want EOF", err)
	}
	if want := []string{"123", "456"}; !slices.Equal(got, want) {
		t.Errorf("codes = %q, want %q", got, want)
	}
}

// timeoutReader behaves like a go.bug.st/serial port with a read timeout that
// has already passed: with nothing to give it returns (0, nil) at once. It
// fails once read far more often than a non-spinning reader would, so that a
// hot loop ends the test instead of hanging its fake clock.
type timeoutReader struct {
	mu    sync.Mutex
	data  []byte
	reads int
}

func (r *timeoutReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	if r.reads > 1000 {
		return 0, errors.New("timeoutReader: read in a hot loop")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *timeoutReader) push(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.data = append(r.data, s...)
}

func (r *timeoutReader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reads
}

func TestEmptyReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &timeoutReader{}
		codes := make(chan string, 10)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		s := scanner.Scanner{IdleWait: 20 * time.Millisecond}
		go func() { done <- s.Run(ctx, r, func(c string) { codes <- c }) }()

		time.Sleep(time.Second)
		// One read per IdleWait: no hot spin, and no giving up either.
		if n := r.count(); n < 2 || n > 52 {
			t.Errorf("%d reads in 1s of silence, want about 50", n)
		}
		r.push("8992761111111\r")
		time.Sleep(100 * time.Millisecond)
		select {
		case c := <-codes:
			if c != "8992761111111" {
				t.Errorf("code = %q", c)
			}
		default:
			t.Error("no code after the silence")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want canceled", err)
		}
	})
}
