package escpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Conn is an open link to a printer. Every call is bounded: reads and
// writes take the longest they may wait. A Conn is used by one goroutine at
// a time, except Close, which may be called from any goroutine to make a
// blocked call return.
type Conn interface {
	// ReadTimeout reads what the printer has sent into b, waiting up to d
	// for the first byte; d <= 0 takes only what has already arrived.
	// With nothing in time it returns 0 and an error wrapping ErrTimeout.
	// Any other error means the link is gone.
	ReadTimeout(b []byte, d time.Duration) (int, error)
	// WriteTimeout writes all of b. It fails with ErrTimeout when the link
	// accepts nothing for d (a full printer buffer, a stalled USB
	// endpoint), which is not the same as d for the whole of b: a long job
	// at 9600 baud takes seconds and is fine while it moves.
	WriteTimeout(b []byte, d time.Duration) (int, error)
	Close() error
}

// Dialer opens a Conn. Printer calls it whenever it has no open link: at
// first use and after any error, so a replugged or power-cycled printer is
// found again without restarting anything.
type Dialer func(ctx context.Context) (Conn, error)

// ErrTimeout is wrapped by a Conn read or write that waited its limit.
var ErrTimeout = errors.New("escpos: timed out")

// writeChunk is how much one bounded write hands the link: small enough that
// "no progress for d" is measured often, large enough to keep a USB bulk
// endpoint busy.
const writeChunk = 512

// SerialPort is the part of an open serial port the driver uses; go.bug.st/
// serial's serial.Port has these methods, so the main hands over what
// serial.Open returned.
//
// Its Read waits at most the last SetReadTimeout and then returns 0, nil:
// that is a timeout, not end of file and not data.
//
// A port that also has Drain() error (serial.Port does) is drained after
// each write, so the wait for a status answer starts when the job has left.
type SerialPort interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetReadTimeout(t time.Duration) error
	Close() error
}

// SerialDialer opens the link with open, which the main writes around
// serial.Open (only the main opens ports). open is called again after every
// error, so it should open the port by a stable name
// (/dev/serial/by-id/... rather than /dev/ttyUSB0, which a replug can move).
//
// A serial port cannot bound a write: a write that makes no progress within
// the write timeout closes the port, and its goroutine ends when the kernel
// gives the write up; the next open may fail while that is pending.
func SerialDialer(open func() (SerialPort, error)) Dialer {
	return func(ctx context.Context) (Conn, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := open()
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, errors.New("escpos: serial open returned no port")
		}
		return &serialConn{p: p}, nil
	}
}

type serialConn struct {
	p         SerialPort
	closeOnce sync.Once
	closeErr  error
}

func (c *serialConn) ReadTimeout(b []byte, d time.Duration) (int, error) {
	// The port's 0 timeout is a poll, which is what d <= 0 asks for.
	if err := c.p.SetReadTimeout(max(d, 0)); err != nil {
		return 0, err
	}
	n, err := c.p.Read(b)
	if n == 0 && err == nil {
		// go.bug.st/serial's timeout. Returned at once, never retried:
		// a port that returns it early must not make the caller spin.
		return 0, fmt.Errorf("serial read: %w", ErrTimeout)
	}
	return n, err
}

func (c *serialConn) WriteTimeout(b []byte, d time.Duration) (int, error) {
	total := 0
	for total < len(b) {
		chunk := b[total:min(len(b), total+writeChunk)]
		done := make(chan struct{})
		var n int
		var err error
		go func() {
			defer close(done)
			n, err = c.p.Write(chunk)
		}()
		t := time.NewTimer(d)
		select {
		case <-done:
			t.Stop()
		case <-t.C:
			c.Close()
			return total, fmt.Errorf("serial write: nothing accepted for %v: %w", d, ErrTimeout)
		}
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, fmt.Errorf("serial write: %w", io.ErrShortWrite)
		}
	}
	return total, c.drain(d)
}

// drainer is go.bug.st/serial's Drain (tcdrain): wait until the UART has
// sent what the kernel buffers.
type drainer interface{ Drain() error }

// drain waits, up to d, for the written bytes to leave the port. Without it
// a status request made after a job would queue behind up to 4 KiB of
// kernel buffer, seconds at 9600 baud, and its answer would seem late.
func (c *serialConn) drain(d time.Duration) error {
	dr, ok := c.p.(drainer)
	if !ok {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- dr.Drain() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		c.Close()
		return fmt.Errorf("serial drain: not sent within %v: %w", d, ErrTimeout)
	}
}

func (c *serialConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.p.Close() })
	return c.closeErr
}

// TCPDialer connects to a network printer's raw port, addr "host:9100",
// giving up after timeout.
func TCPDialer(addr string, timeout time.Duration) Dialer {
	return func(ctx context.Context) (Conn, error) {
		d := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return &deadlineConn{c: c.(*net.TCPConn)}, nil
	}
}

// DeviceFileDialer opens path read/write: a USB printer-class device
// (/dev/usb/lp0, which is how most Epson, Xprinter and POS-58 printers
// appear on Linux), or any character device a printer sits behind. A
// missing file is an unplugged printer: the error wraps ErrAbsent.
//
// Reads are bounded with the poller when the device supports poll (usblp
// and ttys do). A device that does not is read by a goroutine that hands
// bytes over a channel; that goroutine stays blocked in read(2) until the
// device returns, which for usblp means the file stays open, so reopening
// it (the kernel allows one open) fails with EBUSY until the device answers
// or is unplugged. A printer whose USB interface is unidirectional answers
// no reads at all: give it a profile without Status.
func DeviceFileDialer(path string) Dialer {
	return func(ctx context.Context) (Conn, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := openDeviceFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrAbsent, err)
		}
		return c, err
	}
}

// rawConn is what both *net.TCPConn and a pollable *os.File offer.
type rawConn interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	syscall.Conn
}

// deadlineConn bounds reads and writes with the runtime poller's deadlines.
type deadlineConn struct{ c rawConn }

func (c *deadlineConn) ReadTimeout(b []byte, d time.Duration) (int, error) {
	if d <= 0 {
		return pollRead(c.c, b)
	}
	if err := c.c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return 0, err
	}
	n, err := c.c.Read(b)
	if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, fmt.Errorf("read: %w", ErrTimeout)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = nil
	}
	return n, err
}

func (c *deadlineConn) WriteTimeout(b []byte, d time.Duration) (int, error) {
	total := 0
	for total < len(b) {
		if err := c.c.SetWriteDeadline(time.Now().Add(d)); err != nil {
			return total, err
		}
		n, err := c.c.Write(b[total:min(len(b), total+writeChunk)])
		total += n
		if errors.Is(err, os.ErrDeadlineExceeded) && n == 0 {
			return total, fmt.Errorf("write: nothing accepted for %v: %w", d, ErrTimeout)
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return total, err
		}
	}
	return total, nil
}

func (c *deadlineConn) Close() error { return c.c.Close() }

// blockingConn reads a file that the poller cannot watch with a goroutine,
// so reads can still time out. Writes to such files cannot be bounded, and
// are made in a goroutine like a serial port's.
type blockingConn struct {
	f     io.ReadWriteCloser
	in    chan []byte
	done  chan struct{} // closed when the reader stops; err says why
	err   error
	held  []byte // read but not yet handed out
	close sync.Once
}

func newBlockingConn(f io.ReadWriteCloser) *blockingConn {
	c := &blockingConn{f: f, in: make(chan []byte), done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *blockingConn) readLoop() {
	defer close(c.done)
	for {
		b := make([]byte, 256)
		n, err := c.f.Read(b)
		if n > 0 {
			c.in <- b[:n] // unbuffered: stops reading until asked, never piles up
		}
		if err != nil {
			c.err = err
			return
		}
		if n == 0 {
			c.err = io.ErrNoProgress // a device that says nothing without blocking
			return
		}
	}
}

func (c *blockingConn) ReadTimeout(b []byte, d time.Duration) (int, error) {
	if len(c.held) == 0 {
		var timeout <-chan time.Time
		if d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
		if d <= 0 {
			select {
			case c.held = <-c.in:
			case <-c.done:
				return 0, c.err
			default:
				return 0, fmt.Errorf("read: %w", ErrTimeout)
			}
		} else {
			select {
			case c.held = <-c.in:
			case <-c.done:
				return 0, c.err
			case <-timeout:
				return 0, fmt.Errorf("read: %w", ErrTimeout)
			}
		}
	}
	n := copy(b, c.held)
	c.held = c.held[n:]
	return n, nil
}

func (c *blockingConn) WriteTimeout(b []byte, d time.Duration) (int, error) {
	sc := serialConn{p: noTimeoutPort{c.f}}
	n, err := sc.WriteTimeout(b, d)
	if errors.Is(err, ErrTimeout) {
		c.Close()
	}
	return n, err
}

func (c *blockingConn) Close() error {
	var err error
	c.close.Do(func() { err = c.f.Close() })
	return err
}

// noTimeoutPort lets serialConn's bounded write drive a plain file.
type noTimeoutPort struct{ io.ReadWriteCloser }

func (noTimeoutPort) SetReadTimeout(time.Duration) error { return nil }
func (noTimeoutPort) Close() error                       { return nil } // blockingConn closes the file
