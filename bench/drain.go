package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/uplink"
	"github.com/kasirpos/kasir/wire"
)

// drainSales is the number of queued sales the drain figure empties (the
// -drain flag); 0 leaves the drain figures out.
var drainSales = 50000

const (
	drainStore = "S001"
	// Each drain has a till of its own: a retained ack left by one is of
	// another epoch for the next.
	drainTill  = "T01"
	shapedTill = "T02"
	// The shaped link: 5 Mbit/s each way, 50 ms each way (100 ms RTT).
	shapeBits  = 5_000_000
	shapeDelay = 50 * time.Millisecond
	// maxShaped is the backlog drained over the shaped link: at 5 Mbit/s
	// 50,000 sales would take a minute for one figure.
	maxShaped = 5000
	// Uplink defaults the batch shape below must follow.
	batchBytes   = 64 << 10
	batchRecords = 500
	inFlight     = 4
)

// benchDrain empties an outbox of n committed sales through Debian's
// Mosquitto into an in-process head office (SQLite, one worker) until head
// office has acknowledged every one, and sets the rate next to Mosquitto's
// raw QoS 1 throughput for messages of the size of one uplink batch,
// measured in the same run. Then it drains a smaller backlog through a
// link shaped to 5 Mbit/s with a 100 ms round trip and sets the time next
// to what the link itself allows for the bytes that crossed it.
func benchDrain(ctx context.Context, dir string, n int, out io.Writer) error {
	if n <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	// Errors only: with several batches in flight they can reach head
	// office out of order, and its worker warns of each passing gap.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	mq, err := startMosquitto(ctx, filepath.Join(dir, "mosquitto"))
	if err != nil {
		return err
	}
	defer mq.stop()

	box, fill, err := fillOutbox(ctx, filepath.Join(dir, "till"), drainTill, n)
	if err != nil {
		return err
	}
	defer box.Close()
	payload, perBatch, err := batchShape(ctx, box)
	if err != nil {
		return err
	}

	msgs := max((n+perBatch-1)/perBatch, 3000)
	raw, err := rawQoS1(ctx, mq.url(), payload, msgs, inFlight)
	if err != nil {
		return fmt.Errorf("raw QoS 1: %w", err)
	}
	rawRecords := raw.msgsPerSec * float64(perBatch)

	d, err := drainOnce(ctx, mq.url(), mq.url(), drainTill, box, filepath.Join(dir, "hq"), n, 10*time.Minute, log)
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	rate := float64(n) / d.Seconds()
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n",
		fmt.Sprintf("drain %d sales to head-office ack", n), perSec(rate), "",
		fmt.Sprintf("Mosquitto QoS1 raw × %d rec/msg", perBatch), perSec(rawRecords), "", rate/rawRecords)
	fmt.Fprintf(out, "  drain of %d sales: %s (%.0f sales/s); outbox filled by %d commits in %s (%.0f/s)\n",
		n, d.Round(time.Millisecond), rate, n, fill.Round(time.Millisecond), float64(n)/fill.Seconds())
	fmt.Fprintf(out, "  Mosquitto raw QoS1, %d-byte messages (one batch of %d sales), %d in flight: %.0f msg/s, %.1f MB/s over %d messages\n",
		len(payload), perBatch, inFlight, raw.msgsPerSec, raw.msgsPerSec*float64(len(payload))/1e6, raw.msgs)

	ns := min(n/10, maxShaped)
	if ns < 1 {
		return nil
	}
	sbox, sfill, err := fillOutbox(ctx, filepath.Join(dir, "till-shaped"), shapedTill, ns)
	if err != nil {
		return err
	}
	defer sbox.Close()
	link, err := newShaper(mq.addr, shapeBits, shapeDelay)
	if err != nil {
		return err
	}
	defer link.close()
	sd, err := drainOnce(ctx, mq.url(), "tcp://"+link.addr(), shapedTill, sbox, filepath.Join(dir, "hq-shaped"), ns, 5*time.Minute, log)
	if err != nil {
		return fmt.Errorf("shaped drain: %w", err)
	}
	up, down := link.up.Load(), link.down.Load()
	limit := time.Duration(float64(max(up, down)) * 8 / shapeBits * float64(time.Second))
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n",
		fmt.Sprintf("drain %d sales, 5 Mbit/s 100 ms RTT", ns), sd.Round(time.Millisecond), "",
		"link limit: bytes ÷ 5 Mbit/s", limit.Round(time.Millisecond), "", float64(sd)/float64(limit))
	fmt.Fprintf(out, "  shaped drain: %.0f sales/s; %d bytes up, %d down through the link; outbox filled in %s\n",
		float64(ns)/sd.Seconds(), up, down, sfill.Round(time.Millisecond))
	return nil
}

func perSec(v float64) string { return fmt.Sprintf("%.0f/s", v) }

// fillOutbox commits n small sales, as a till that sold offline would hold
// them, each through the store's own Commit (one durable transaction each).
func fillOutbox(ctx context.Context, dir, till string, n int) (*localstore.DB, time.Duration, error) {
	db, err := localstore.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, 0, err
	}
	t := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := range n {
		rec := &appliance.Record{Kind: appliance.RecSale, Store: drainStore, Till: till,
			Time: t.Add(time.Duration(i) * time.Second), UserID: "u1", UserName: "Kasir",
			Sale: &appliance.Sale{Kind: appliance.DocSale, UserID: "u1", UserName: "Kasir", CatalogVersion: "bench",
				Lines: []appliance.SaleLine{{LineNo: 1, SKU: "IDM-GRG", Name: "Indomie Goreng 85g", Unit: "pcs",
					TaxClass: "PPN", Qty: 2000, ListPrice: 3500, UnitPrice: 3500, Gross: 7000, Net: 7000}},
				Subtotal: 7000, Total: 7000, Paid: 10000, Change: 3000,
				Payments: []appliance.Payment{{Method: appliance.MethodCash, Amount: 10000}}}}
		if err := db.Commit(ctx, rec); err != nil {
			db.Close()
			return nil, 0, fmt.Errorf("fill outbox: commit %d: %w", i+1, err)
		}
	}
	return db, time.Since(start), nil
}

// batchShape builds the first batch the uplink would send, with its
// default limits, and returns its payload and how many sales it holds.
func batchShape(ctx context.Context, box *localstore.DB) ([]byte, int, error) {
	rows, err := box.Outbox(ctx, 0, batchRecords)
	if err != nil {
		return nil, 0, err
	}
	if len(rows) == 0 {
		return nil, 0, errors.New("empty outbox")
	}
	size, k := 0, 0
	for k < len(rows) && (k == 0 || size+len(rows[k].Body) <= batchBytes) {
		size += len(rows[k].Body)
		k++
	}
	b := wire.Batch{V: wire.BatchVersion, ID: wire.BatchID(drainTill, box.Epoch(), rows[0].Seq, rows[k-1].Seq),
		Store: drainStore, Till: drainTill, Epoch: box.Epoch(), First: rows[0].Seq, Last: rows[k-1].Seq}
	for _, r := range rows[:k] {
		b.Records = append(b.Records, r.Body)
	}
	b.Sign(benchTillKey)
	payload, err := json.Marshal(b)
	return payload, k, err
}

type rawResult struct {
	msgs       int
	msgsPerSec float64
}

// rawQoS1 publishes msgs copies of payload at QoS 1 with `conc` publishes
// awaiting their PUBACK at once, to a subscriber on the same broker that
// takes them at QoS 1, and times first publish to last delivery.
func rawQoS1(ctx context.Context, url string, payload []byte, msgs, conc int) (rawResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	sub, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: url, ClientID: "bench-raw-sub"})
	if err != nil {
		return rawResult{}, err
	}
	defer sub.Close()
	pub, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: url, ClientID: "bench-raw-pub"})
	if err != nil {
		return rawResult{}, err
	}
	defer pub.Close()
	const topic = "bench/raw"
	var got atomic.Int64
	all := make(chan struct{})
	if err := sub.Subscribe(ctx, topic, 1, func(mqttconn.Message) {
		if got.Add(1) == int64(msgs) {
			close(all)
		}
	}); err != nil {
		return rawResult{}, err
	}
	var next atomic.Int64
	errs := make(chan error, conc)
	start := time.Now()
	for range conc {
		go func() {
			for next.Add(1) <= int64(msgs) {
				if err := pub.Publish(ctx, topic, 1, false, payload); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range conc {
		if err := <-errs; err != nil {
			return rawResult{}, err
		}
	}
	select {
	case <-all:
	case <-ctx.Done():
		return rawResult{}, fmt.Errorf("subscriber got %d of %d messages: %w", got.Load(), msgs, ctx.Err())
	}
	d := time.Since(start)
	return rawResult{msgs: msgs, msgsPerSec: float64(msgs) / d.Seconds()}, nil
}

// The bench's till and head office keys: the till signs its batches and
// head office its acks, as in the field, so the figures include both.
var (
	_, benchTillKey, _ = ed25519.GenerateKey(nil)
	_, benchHQKey, _   = ed25519.GenerateKey(nil)
)

// drainOnce starts a head office on hqDir (one worker, connected to the
// broker at hqURL) and the till's uplink (connecting through tillURL), and
// times the uplink's start until the till's outbox is empty, which happens
// only on head office's acks. It then checks head office has all n.
func drainOnce(ctx context.Context, hqURL, tillURL, till string, box *localstore.DB, hqDir string, n int, limit time.Duration, log *slog.Logger) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	hq, err := headoffice.Open(ctx, hqDir, log)
	if err != nil {
		return 0, err
	}
	defer hq.Close()
	if err := hq.PutTillKey(ctx, drainStore, till, benchTillKey.Public().(ed25519.PublicKey)); err != nil {
		return 0, err
	}
	conn, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: hqURL, ClientID: "bench-hq-" + filepath.Base(hqDir)})
	if err != nil {
		return 0, fmt.Errorf("head office: %w", err)
	}
	defer conn.Close()
	ad := &hqAdapter{c: conn, subscribed: make(chan struct{}, 8)}
	var wg sync.WaitGroup
	defer wg.Wait()
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	w := headoffice.NewWorker(hq, ad, headoffice.WorkerOptions{Presence: true, Key: func() ed25519.PrivateKey { return benchHQKey }}, log)
	wg.Go(func() {
		if err := w.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("ingest worker stopped", "err", err)
		}
	})
	// Batches published before head office subscribes go nowhere, and the
	// till would only resend them after ResendAfter.
	for range 4 {
		select {
		case <-ad.subscribed:
		case <-ctx.Done():
			return 0, fmt.Errorf("head office did not subscribe: %w", ctx.Err())
		}
	}

	u := uplink.New(uplink.Config{Store: drainStore, Till: till, Key: benchTillKey,
		Trust: uplink.NewTrust(benchHQKey.Public().(ed25519.PublicKey), 0, nil),
		Dial: func(ctx context.Context, will *mqttconn.Message) (uplink.Conn, error) {
			c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: tillURL, ClientID: "bench-till-" + till, Will: will})
			if err != nil {
				return nil, err
			}
			return c, nil
		}}, box, log)
	uctx, ucancel := context.WithCancel(ctx)
	defer ucancel()
	start := time.Now()
	wg.Go(func() { u.Run(uctx) })
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := box.SyncState(ctx)
		if err != nil {
			return 0, err
		}
		if st.Unsynced == 0 && st.AckedSeq >= int64(n) {
			break
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%d of %d sales still unacknowledged: %w (uplink: %+v)", st.Unsynced, n, ctx.Err(), u.State())
		case <-tick.C:
		}
	}
	d := time.Since(start)
	ucancel()
	fleet, err := hq.Fleet(ctx)
	if err != nil {
		return 0, err
	}
	// The fleet may hold an earlier drain's till too, from its retained
	// status.
	for _, ts := range fleet {
		if ts.Store == drainStore && ts.Till == till {
			if ts.AckedSeq != int64(n) || ts.Gap != nil || ts.Pending != 0 {
				return 0, fmt.Errorf("head office after the drain: %+v", ts)
			}
			return d, nil
		}
	}
	return 0, fmt.Errorf("head office does not know %s/%s after the drain: %+v", drainStore, till, fleet)
}

// hqAdapter is kasir-hq's adapter (cmd/kasir-hq/serve.go) that also says
// when each subscription has been granted.
type hqAdapter struct {
	c          *mqttconn.Conn
	subscribed chan struct{}
}

func (a *hqAdapter) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	return a.c.Publish(ctx, topic, qos, retained, payload)
}

func (a *hqAdapter) Subscribe(ctx context.Context, filter string, qos byte, h func(headoffice.Message)) error {
	err := a.c.Subscribe(ctx, filter, qos, func(m mqttconn.Message) {
		h(headoffice.Message{Topic: m.Topic, QoS: m.QoS, Retained: m.Retained, Payload: m.Payload})
	})
	if err == nil {
		a.subscribed <- struct{}{}
	}
	return err
}

// mosquitto is a broker the bench runs: Debian's package, anonymous,
// without persistence, on a free loopback port.
type mosquitto struct {
	addr string
	cmd  *exec.Cmd
	wait chan struct{}
	log  *lockedBuf
}

func (m *mosquitto) url() string { return "tcp://" + m.addr }

const mosquittoPath = "/usr/sbin/mosquitto"

func startMosquitto(ctx context.Context, dir string) (*mosquitto, error) {
	if _, err := os.Stat(mosquittoPath); err != nil {
		return nil, fmt.Errorf("%s is missing (Debian package mosquitto): %w", mosquittoPath, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var err error
	// A free port can be taken before Mosquitto binds it: try a few.
	for range 5 {
		var m *mosquitto
		if m, err = launchMosquitto(ctx, dir); err == nil {
			return m, nil
		}
	}
	return nil, err
}

func launchMosquitto(ctx context.Context, dir string) (*mosquitto, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf(`# made by kasir bench
listener %d 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
max_inflight_messages 20
max_queued_messages 100000
`, port)
	// As root, Mosquitto would switch to the mosquitto user, who cannot
	// read the bench's private directory.
	if os.Geteuid() == 0 {
		conf += "user root\n"
	}
	path := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	m := &mosquitto{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), wait: make(chan struct{}), log: &lockedBuf{}}
	m.cmd = exec.Command(mosquittoPath, "-c", path)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mosquitto: %w", err)
	}
	go func() { m.cmd.Wait(); close(m.wait) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-m.wait:
			return nil, fmt.Errorf("mosquitto exited at start: %s", m.log.String())
		default:
		}
		c, err := net.DialTimeout("tcp", m.addr, time.Second)
		if err == nil {
			c.Close()
			return m, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			m.cmd.Process.Kill()
			<-m.wait
			return nil, fmt.Errorf("mosquitto does not accept on %s: %s", m.addr, m.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (m *mosquitto) stop() {
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.wait:
	case <-time.After(5 * time.Second):
		m.cmd.Process.Kill()
		<-m.wait
	}
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// shaper is a loopback TCP proxy that shapes each direction of every
// connection to a rate (token bucket) and delays every chunk by a fixed
// one-way latency, as a slow WAN link would, and counts the bytes.
type shaper struct {
	target string
	rate   float64 // bytes per second
	delay  time.Duration
	l      net.Listener

	up, down atomic.Int64 // client→target, target→client

	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newShaper(target string, bitsPerSec int, delay time.Duration) (*shaper, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &shaper{target: target, rate: float64(bitsPerSec) / 8, delay: delay, l: l, conns: map[net.Conn]bool{}}
	s.wg.Go(s.serve)
	return s, nil
}

func (s *shaper) addr() string { return s.l.Addr().String() }

func (s *shaper) serve() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() { s.forward(c) })
	}
}

func (s *shaper) forward(c net.Conn) {
	t, err := net.DialTimeout("tcp", s.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	s.mu.Lock()
	s.conns[c], s.conns[t] = true, true
	s.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { s.pipe(t, c, &s.up) })
	wg.Go(func() { s.pipe(c, t, &s.down) })
	wg.Wait()
	s.mu.Lock()
	delete(s.conns, c)
	delete(s.conns, t)
	s.mu.Unlock()
}

// pipe copies src to dst: a reader passes chunks through the token bucket
// and stamps each with its delivery time; the writer holds each until then.
func (s *shaper) pipe(dst, src net.Conn, count *atomic.Int64) {
	type chunk struct {
		b  []byte
		at time.Time
	}
	const chunkSize = 4096
	ch := make(chan chunk, 1024)
	go func() {
		defer close(ch)
		burst := float64(4 * chunkSize)
		tokens, last := burst, time.Now()
		buf := make([]byte, chunkSize)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				now := time.Now()
				tokens = min(burst, tokens+now.Sub(last).Seconds()*s.rate) - float64(n)
				last = now
				if tokens < 0 {
					// In debt: wait until the bucket has paid for this chunk.
					time.Sleep(time.Duration(-tokens / s.rate * float64(time.Second)))
				}
				count.Add(int64(n))
				ch <- chunk{b: bytes.Clone(buf[:n]), at: time.Now().Add(s.delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	for range ch {
	}
}

func (s *shaper) close() {
	s.l.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
