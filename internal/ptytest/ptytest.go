// Package ptytest gives tests pseudo-terminals that stand for serial
// devices: the slave is the port the till opens, the master is the device
// (a printer, a pole display, a scanner) the test plays. Linux only, as the
// till is.
package ptytest

import (
	"fmt"
	"os"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Open returns a pseudo-terminal with its slave in raw mode, as a serial
// port is used; both ends close when the test ends.
func Open(t testing.TB) (master, slave *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		slave.Close()
		master.Close()
	})
	if err := Raw(slave); err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// Raw puts a terminal in raw mode: 8 data bits, no echo, no line editing, no
// translation of CR and LF, no flow control.
func Raw(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ierr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		ierr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err == nil {
		err = ierr
	}
	if err != nil {
		return fmt.Errorf("ptytest: raw mode: %w", err)
	}
	return nil
}
