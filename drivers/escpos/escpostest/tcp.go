package escpostest

import (
	"net"
	"sync"
	"testing"

	"github.com/kasirpos/kasir/drivers/escpos"
)

// ListenTCP starts a printer on a loopback port, as a network printer on
// port 9100, and returns it with its address. Connections are served one
// after the other. The listener closes when the test ends.
func ListenTCP(t testing.TB, p escpos.Profile) (*Printer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := New(p)
	var mu sync.Mutex
	var cur net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			cur = c
			mu.Unlock()
			e.Serve(c)
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		if cur != nil {
			cur.Close()
		}
		mu.Unlock()
		<-done
	})
	return e, ln.Addr().String()
}
