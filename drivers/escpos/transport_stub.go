//go:build !linux

package escpos

import (
	"errors"
	"fmt"
	"os"
	"time"
)

func openDeviceFile(path string) (Conn, error) {
	return nil, fmt.Errorf("escpos: open %s: printer device files are supported on Linux only", path)
}

// pollRead waits a millisecond where the Linux build reads without waiting.
func pollRead(c rawConn, b []byte) (int, error) {
	if err := c.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		return 0, err
	}
	n, err := c.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if n == 0 {
			return 0, fmt.Errorf("read: %w", ErrTimeout)
		}
		err = nil
	}
	return n, err
}
