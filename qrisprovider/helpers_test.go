package qrisprovider_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
	"github.com/kasirpos/kasir/qrisprovider"
)

// clock is a clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is a sandbox on a loopback server and a client for it.
type env struct {
	sandbox *qrisprovider.Sandbox
	server  *httptest.Server
	client  *qrisprovider.Client
	clock   *clock
}

func newEnv(t *testing.T, opts qrisprovider.SandboxOptions) *env {
	t.Helper()
	e := &env{clock: newClock()}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	e.sandbox = qrisprovider.NewSandbox(opts)
	e.server = httptest.NewServer(e.sandbox)
	t.Cleanup(func() { e.sandbox.Close(); e.server.Close() })
	e.client = newClient(e.server.URL, opts.Key)
	return e
}

// newClient makes a client without kept-alive connections, so that a fault
// hits the request the test means and net/http never silently resends it.
func newClient(url, key string) *qrisprovider.Client {
	c := qrisprovider.NewClient(url, key)
	c.HTTP = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return c
}

func (e *env) create(t *testing.T, ref string, amount int64) qris.Charge {
	t.Helper()
	c, err := e.client.Create(t.Context(), qris.ChargeRequest{Reference: ref, Amount: amount, Terminal: "KASIR-01"})
	if err != nil {
		t.Fatalf("Create(%s): %v", ref, err)
	}
	return c
}

func (e *env) status(t *testing.T, id string) qris.Charge {
	t.Helper()
	c, err := e.client.Status(t.Context(), id)
	if err != nil {
		t.Fatalf("Status(%s): %v", id, err)
	}
	return c
}

// proxy is a TCP proxy on loopback that the test can cut (every open
// connection closed, new ones closed on accept) and restore, on the same
// address: the shop's line going down and coming back.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.Cut(); p.wg.Wait() })
	return p
}

func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			in.Close()
			continue
		}
		p.conns[in], p.conns[out] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut closes every connection and refuses new ones until Restore.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

func (p *proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}
