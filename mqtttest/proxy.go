package mqtttest

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections from a loopback port to a broker on
// loopback, and plays a bad network between them:
//
//   - Cut drops every connection without a word to either side, as a pulled
//     cable or a dead NAT entry would: the broker then publishes the
//     client's last will.
//   - SetDown makes it accept new connections and close them at once.
//   - Stall holds every byte, and every close, in both directions for a
//     while, on open connections and new ones alike: a black hole that
//     neither side can tell from a slow peer until its keepalive says so.
//   - SetDelay delays every chunk by a fixed latency each way.
//   - Chaos does all of these at random until its context ends.
//
// What it holds is bounded: each direction of a connection buffers at most
// chunkQueue chunks of chunkSize bytes, and then stops reading, so the
// sender's socket buffers fill as they would on a real slow link.
type Proxy struct {
	t      testing.TB
	target string
	l      net.Listener

	mu         sync.Mutex
	down       bool
	closed     bool
	stallUntil time.Time
	delay      time.Duration
	// changed is closed, and replaced, whenever the stall or the delay
	// changes or the proxy closes, so that held chunks look again.
	changed chan struct{}
	done    chan struct{} // closed when the proxy closes
	conns   map[*link]bool
	wg      sync.WaitGroup
}

// link is one forwarded connection: the client's end and the broker's.
type link struct {
	c, s net.Conn
	dead chan struct{}
	once sync.Once
}

func (l *link) kill() {
	l.once.Do(func() {
		close(l.dead)
		l.c.Close()
		l.s.Close()
	})
}

const (
	chunkSize  = 32 << 10
	chunkQueue = 16
)

// NewProxy starts a proxy to target (host:port, on loopback) and closes it
// when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		t.Fatalf("mqtttest: proxy target %q: %v", target, err)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		t.Fatalf("mqtttest: proxy target %q is not on loopback", target)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mqtttest: proxy: %v", err)
	}
	p := &Proxy{t: t, target: target, l: l, conns: map[*link]bool{}, changed: make(chan struct{}), done: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// URL is the proxy's address for mqttconn: tcp://127.0.0.1:PORT.
func (p *Proxy) URL() string { return "tcp://" + p.l.Addr().String() }

// Cut drops every connection through the proxy, held bytes included.
func (p *Proxy) Cut() {
	p.mu.Lock()
	links := p.conns
	p.conns = map[*link]bool{}
	p.mu.Unlock()
	for l := range links {
		l.kill()
	}
}

// SetDown makes the proxy refuse (accept and close) new connections, or
// forward them again.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// Stall stops every byte in both directions, on open connections and on
// those made meanwhile, until d from now; then what was held flows on. The
// connections stay open, and a side that hangs up during the stall is seen
// to hang up only after it. A stall never shortens one already running.
func (p *Proxy) Stall(d time.Duration) {
	p.mu.Lock()
	if until := time.Now().Add(d); until.After(p.stallUntil) {
		p.stallUntil = until
	}
	p.notify()
	p.mu.Unlock()
}

// SetDelay delays every chunk by d in each direction from now on (0 for
// none): a round trip through the proxy takes 2d longer.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = max(d, 0)
	p.notify()
	p.mu.Unlock()
}

// notify wakes held chunks; p.mu is held.
func (p *Proxy) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Chaos plays a bad network until ctx ends or the proxy closes: at random
// intervals of 50–400 ms it cuts every connection, stalls for 0.2–3 s (the
// next interval starts when the stall ends), sets a delay of 0–200 ms each
// way, or does nothing. The faults and intervals follow from seed alone, so
// a seed from a failed run replays its sequence (the timing of the system
// under test still varies). It logs the seed and every fault, and leaves
// the link clean (no stall, no delay) when it returns. Run it on a goroutine
// of its own, and wait for it before the test ends.
func (p *Proxy) Chaos(ctx context.Context, seed int64) {
	p.t.Logf("mqtttest: proxy chaos, seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6b61736972)) // "kasir"
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Int64N(int64(hi-lo)+1)) }
	start := time.Now()
	var cuts, stalls, delays int
	defer func() {
		p.mu.Lock()
		p.stallUntil = time.Time{}
		p.delay = 0
		p.notify()
		p.mu.Unlock()
		p.t.Logf("mqtttest: proxy chaos over after %v: %d cuts, %d stalls, %d delay changes (seed %d)",
			time.Since(start).Round(time.Millisecond), cuts, stalls, delays, seed)
	}()
	for {
		wait := between(50*time.Millisecond, 400*time.Millisecond)
		at := time.Since(start).Round(time.Millisecond)
		switch f := rng.IntN(100); {
		case f < 25:
			cuts++
			p.t.Logf("mqtttest: chaos %v: cut", at)
			p.Cut()
		case f < 45:
			stalls++
			d := between(200*time.Millisecond, 3*time.Second)
			p.t.Logf("mqtttest: chaos %v: stall %v", at, d)
			p.Stall(d)
			wait += d
		case f < 75:
			delays++
			d := between(0, 200*time.Millisecond)
			p.t.Logf("mqtttest: chaos %v: delay %v", at, d)
			p.SetDelay(d)
		default:
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-p.done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

func (p *Proxy) forward(c net.Conn) {
	defer p.wg.Done()
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	l := &link{c: c, s: s, dead: make(chan struct{})}
	if !p.track(l) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { p.pipe(l, s, c); done <- struct{}{} }()
	go func() { p.pipe(l, c, s); done <- struct{}{} }()
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
}

type chunk struct {
	b  []byte
	at time.Time // when it was read
}

// pipe copies src to dst through the delay line. A reader queues what it
// reads (at most chunkQueue chunks); the writer sends each chunk once the
// delay has passed since it was read and no stall is on. The end of src
// (or an error) is passed on the same way, after the chunks before it.
func (p *Proxy) pipe(l *link, dst, src net.Conn) {
	q := make(chan chunk, chunkQueue)
	go func() {
		defer close(q)
		for {
			b := make([]byte, chunkSize)
			n, err := src.Read(b)
			if n > 0 {
				select {
				case q <- chunk{b[:n], time.Now()}:
				case <-l.dead:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer l.kill()
	for {
		var ch chunk
		var ok bool
		select {
		case ch, ok = <-q:
		case <-l.dead:
			return
		}
		if !ok {
			// src ended: hang up dst too, when a stall would let it through.
			p.hold(l, time.Now())
			return
		}
		if !p.hold(l, ch.at) {
			return
		}
		if _, err := dst.Write(ch.b); err != nil {
			return
		}
	}
}

// hold waits until a chunk read at at may go: its delay has passed and no
// stall is on. It returns false when the link died or the proxy closed.
func (p *Proxy) hold(l *link, at time.Time) bool {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return false
		}
		until := at.Add(p.delay)
		if p.stallUntil.After(until) {
			until = p.stallUntil
		}
		changed := p.changed
		p.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		select {
		case <-l.dead:
			t.Stop()
			return false
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// track registers a link, unless the proxy went down meanwhile.
func (p *Proxy) track(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down || p.closed {
		l.kill()
		return false
	}
	p.conns[l] = true
	return true
}

func (p *Proxy) close() {
	p.l.Close()
	p.mu.Lock()
	if !p.closed {
		close(p.done)
	}
	p.down, p.closed = true, true
	p.notify()
	p.mu.Unlock()
	p.Cut()
	p.wg.Wait()
}
