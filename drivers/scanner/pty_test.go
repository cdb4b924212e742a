package scanner_test

import (
	"os"
	"testing"

	"github.com/kasirpos/kasir/internal/ptytest"
)

// openPTY returns a pseudo-terminal in raw mode: the slave stands for the
// serial port, the master for the device.
func openPTY(t *testing.T) (master, slave *os.File) { return ptytest.Open(t) }
