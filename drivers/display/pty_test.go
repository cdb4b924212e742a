package display_test

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/kasirpos/kasir/internal/ptytest"
)

// openPTY returns a pseudo-terminal in raw mode: the slave stands for the
// serial port, the master for the device.
func openPTY(t *testing.T) (master, slave *os.File) { return ptytest.Open(t) }

// readN reads exactly n bytes from r, failing the test if they do not come
// within a generous bound (a safety net against a hang, not a measurement).
func readN(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		ch <- result{b, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("read %d bytes: %v", n, res.err)
		}
		return res.b
	case <-time.After(30 * time.Second):
		t.Fatalf("%d bytes never arrived", n)
		return nil
	}
}
