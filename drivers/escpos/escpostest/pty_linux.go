package escpostest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/kasirpos/kasir/drivers/escpos"
	"github.com/kasirpos/kasir/internal/ptytest"
)

// ptyPlug is the pseudo-terminal the printer is plugged into.
type ptyPlug struct {
	link          string // stable path: a symlink to the current slave
	master, slave *os.File
	done          chan struct{} // closed when Serve on master returns
}

// StartPTY starts a printer behind a pseudo-terminal. Path is where a
// driver opens it: as a serial port (serial.Open) or as a device file like
// /dev/usb/lp0. The printer is unplugged when the test ends.
func StartPTY(t testing.TB, p escpos.Profile) *Printer {
	t.Helper()
	e := New(p)
	e.plug = &ptyPlug{link: filepath.Join(t.TempDir(), "lp0")}
	if err := e.Plug(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Unplug)
	return e
}

// Path is the printer's device path: a symlink to the current pty slave,
// missing while the printer is unplugged, so a driver that reopens it by
// path finds the printer again after Plug.
func (e *Printer) Path() string { return e.plug.link }

// Plug connects the printer on a new pseudo-terminal and points Path at it.
// The printer keeps its paper, cover and settings, as one replugged on USB.
func (e *Printer) Plug() error {
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("escpostest: open pty: %w", err)
	}
	if master, err = pollable(master); err != nil {
		slave.Close()
		return err
	}
	if err := ptytest.Raw(slave); err != nil {
		master.Close()
		slave.Close()
		return err
	}
	// The printer holds the slave open as well: with no slave open, reads
	// on the master fail, and a driver that closes to reopen would unplug
	// the emulated printer.
	os.Remove(e.plug.link)
	if err := os.Symlink(slave.Name(), e.plug.link); err != nil {
		master.Close()
		slave.Close()
		return fmt.Errorf("escpostest: %w", err)
	}
	e.plug.master, e.plug.slave = master, slave
	e.plug.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		e.Serve(master)
	}(e.plug.done)
	return nil
}

// Unplug removes the printer: Path disappears and the driver's open file
// fails (EIO), as when a USB cable is pulled.
func (e *Printer) Unplug() {
	if e.plug.master == nil {
		return
	}
	os.Remove(e.plug.link) // first, so a driver reopening at once finds nothing
	e.plug.master.Close()
	<-e.plug.done
	e.plug.slave.Close()
	e.plug.master, e.plug.slave = nil, nil
}

// pollable returns f on a non-blocking duplicate of its descriptor and
// closes f. pty.Open leaves the master in blocking mode (its ioctls go
// through Fd), where a read cannot be interrupted by Close and Unplug would
// wait for the driver's next byte.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(old uintptr) { fd, derr = unix.Dup(int(old)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("escpostest: dup pty: %w", derr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("escpostest: pty: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
