//go:build !linux

package escpostest

import (
	"errors"
	"testing"

	"github.com/kasirpos/kasir/drivers/escpos"
)

type ptyPlug struct{}

var errNoPTY = errors.New("escpostest: the pty printer needs Linux")

// StartPTY fails the test: the pty printer needs Linux.
func StartPTY(t testing.TB, p escpos.Profile) *Printer {
	t.Helper()
	t.Fatal(errNoPTY)
	return nil
}

// Path is empty: the pty printer needs Linux.
func (e *Printer) Path() string { return "" }

// Plug fails: the pty printer needs Linux.
func (e *Printer) Plug() error { return errNoPTY }

// Unplug does nothing: the pty printer needs Linux.
func (e *Printer) Unplug() {}
