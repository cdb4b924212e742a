package escpos

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

func openDeviceFile(path string) (Conn, error) {
	// O_NOCTTY: a printer behind a tty must not become the till's
	// controlling terminal (a hangup would then signal the process).
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	// The runtime poller takes a file only if the driver implements poll;
	// without it deadlines are refused and reads need a goroutine.
	if err := f.SetReadDeadline(time.Time{}); errors.Is(err, os.ErrNoDeadline) {
		return newBlockingConn(f), nil
	}
	return &deadlineConn{c: f}, nil
}

// pollRead takes what has already arrived without waiting. A deadline in the
// past cannot do it: the poller then fails the read without trying it.
func pollRead(c rawConn, b []byte) (int, error) {
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return 0, err
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), b) // the fd is non-blocking: EAGAIN when empty
		return true
	})
	switch {
	case err != nil:
		return 0, err
	case rerr == syscall.EAGAIN:
		return 0, fmt.Errorf("read: %w", ErrTimeout)
	case rerr != nil:
		return 0, rerr
	case n == 0 && len(b) > 0:
		return 0, io.EOF
	}
	return n, nil
}
