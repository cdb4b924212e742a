package uplink_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/mqtttest"
	"github.com/kasirpos/kasir/uplink"
	"github.com/kasirpos/kasir/wire"
)

// chaosSeed is KASIR_CHAOS_SEED when set (to replay a failed run), else a
// fresh one; the test logs it either way.
func chaosSeed(t *testing.T) int64 {
	t.Helper()
	if s := os.Getenv("KASIR_CHAOS_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("KASIR_CHAOS_SEED=%q: %v", s, err)
		}
		t.Logf("chaos seed %d (from KASIR_CHAOS_SEED)", seed)
		return seed
	}
	seed := time.Now().UnixNano()
	t.Logf("chaos seed %d (KASIR_CHAOS_SEED=%d replays it)", seed, seed)
	return seed
}

// keepAliveDial connects as the till through url with a short keepalive,
// so that a dead or stalled link is noticed within seconds (keepalive plus
// mqttconn's 10 s ping timeout), and the broker drops a silent till after
// 1.5 keepalives.
func keepAliveDial(url string, keepAlive time.Duration) func(context.Context, *mqttconn.Message) (uplink.Conn, error) {
	return func(ctx context.Context, will *mqttconn.Message) (uplink.Conn, error) {
		c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: url, ClientID: "till-" + store + "-" + till,
			Username: "till", Password: "tillpw", Will: will, KeepAlive: keepAlive, ConnectTimeout: 3 * time.Second})
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// hqAdapter gives headoffice.Worker an mqttconn connection, as kasir-hq
// serve does; subscribed is told of every filter subscribed.
type hqAdapter struct {
	c          *mqttconn.Conn
	subscribed func(filter string)
}

func (a hqAdapter) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	return a.c.Publish(ctx, topic, qos, retained, payload)
}

func (a hqAdapter) Subscribe(ctx context.Context, filter string, qos byte, h func(headoffice.Message)) error {
	err := a.c.Subscribe(ctx, filter, qos, func(m mqttconn.Message) {
		h(headoffice.Message{Topic: m.Topic, QoS: m.QoS, Retained: m.Retained, Payload: m.Payload})
	})
	if err == nil && a.subscribed != nil {
		a.subscribed(filter)
	}
	return err
}

// realHeadOffice runs head office's own ingest (SQLite under dir, one
// worker with presence) connected straight to the broker, redialling if
// it must, until the test ends. It returns once the worker has subscribed
// to sales and shifts.
func realHeadOffice(ctx context.Context, t *testing.T, b *mqtttest.Broker, dir string, log *slog.Logger) *headoffice.DB {
	t.Helper()
	db, err := headoffice.Open(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutTillKey(ctx, store, till, tillPub); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	ready := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: b.URL(), ClientID: "kasir-hq", Username: "hq", Password: "hqpw"})
			if err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
			wctx, wcancel := context.WithCancel(ctx)
			go func() {
				select {
				case <-c.Done():
				case <-wctx.Done():
				}
				wcancel()
			}()
			w := headoffice.NewWorker(db, hqAdapter{c: c, subscribed: func(f string) {
				if f == wire.UpShift {
					once.Do(func() { close(ready) })
				}
			}}, headoffice.WorkerOptions{Presence: true, Key: func() ed25519.PrivateKey { return hqKey }}, log)
			if err := w.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("head office worker stopped", "err", err)
			}
			wcancel()
			c.Close()
		}
	}()
	select {
	case <-ready:
	case <-ctx.Done():
		t.Fatal("head office never subscribed")
	}
	return db
}

// replayer captures every batch the till publishes, straight from the
// broker, and publishes random ones again, duplicated and out of order, as
// head office's user: a broker or network that redelivers.
type replayer struct {
	mu       sync.Mutex
	captured []mqttconn.Message
	replayed int
}

func startReplayer(ctx context.Context, t *testing.T, b *mqtttest.Broker, seed int64) (*replayer, func()) {
	t.Helper()
	r := &replayer{}
	c := hqDial(ctx, t, b, "replayer")
	for _, f := range []string{wire.UpSales, wire.UpShift} {
		if err := c.Subscribe(ctx, f, 1, func(m mqttconn.Message) {
			if m.Retained || len(m.Payload) == 0 {
				return
			}
			r.mu.Lock()
			r.captured = append(r.captured, m)
			r.mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7265706c6179)) // "replay"
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(100+rng.IntN(400)) * time.Millisecond):
			}
			r.mu.Lock()
			var pick []mqttconn.Message
			if n := len(r.captured); n > 0 {
				for range 1 + rng.IntN(8) {
					m := r.captured[rng.IntN(n)]
					pick = append(pick, m)
					if rng.IntN(3) == 0 {
						pick = append(pick, m) // twice in a row
					}
				}
			}
			r.mu.Unlock()
			rng.Shuffle(len(pick), func(i, j int) { pick[i], pick[j] = pick[j], pick[i] })
			for _, m := range pick {
				pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
				err := c.Publish(pctx, m.Topic, 1, false, m.Payload)
				pcancel()
				if err != nil {
					break
				}
				r.mu.Lock()
				r.replayed++
				r.mu.Unlock()
			}
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return r, stop
}

// Sales drain through a link that is cut, stalled and delayed at random,
// while batches already sent are replayed, duplicated and out of order,
// and the cashier goes on selling. When the chaos ends, the drain
// completes: head office has every record once, with no gap and nothing
// pending, and the till's outbox is empty.
func TestDrainThroughChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos runs for some 20 s")
	}
	began := time.Now()
	seed := chaosSeed(t)
	ctx := testCtx(t) // 60 s for everything
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b := newBroker(t)
	hqDir := t.TempDir()
	hq := realHeadOffice(ctx, t, b, hqDir, log)
	replay, stopReplay := startReplayer(ctx, t, b, seed)
	p := mqtttest.NewProxy(t, b.Addr())

	db := newStore(t)
	db.sales(500) // committed before the till came up
	var dials atomic.Int32
	dial := keepAliveDial(p.URL(), time.Second)
	u := start(ctx, t, uplink.Config{Dial: func(ctx context.Context, will *mqttconn.Message) (uplink.Conn, error) {
		dials.Add(1)
		return dial(ctx, will)
	},
		MaxBatchRecords: 25, MaxBatchBytes: 8 << 10, InFlight: 4, ResendAfter: 2 * time.Second,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, StatusEvery: time.Second}, db, log)

	t.Logf("till running %v into the test, %d records waiting", time.Since(began).Round(time.Millisecond), db.state().Unsynced)
	const chaosFor = 15 * time.Second
	cctx, stopChaos := context.WithTimeout(ctx, chaosFor)
	chaosDone := make(chan struct{})
	go func() { defer close(chaosDone); p.Chaos(cctx, seed) }()
	t.Cleanup(func() { stopChaos(); <-chaosDone })

	// The cashier goes on selling during the chaos.
	sell := rand.New(rand.NewPCG(uint64(seed), 0x73656c6c)) // "sell"
	for cctx.Err() == nil {
		db.sales(1 + sell.IntN(10))
		u.Kick()
		select {
		case <-cctx.Done():
		case <-time.After(time.Duration(20+sell.IntN(80)) * time.Millisecond):
		}
	}
	<-chaosDone
	stopReplay()
	n := db.state().LastSeq
	mid := db.state()
	replay.mu.Lock()
	captured, replayed := len(replay.captured), replay.replayed
	replay.mu.Unlock()
	t.Logf("chaos over after %v: %d records, %d acked, %d unsynced; %d dials; %d batches captured, %d replayed",
		time.Since(began).Round(time.Millisecond), n, mid.AckedSeq, mid.Unsynced, dials.Load(), captured, replayed)
	if dials.Load() < 2 || replayed == 0 {
		t.Errorf("no chaos to speak of: %d dials, %d batches replayed", dials.Load(), replayed)
	}

	drainFrom := time.Now()
	waitFor(ctx, t, "the drain to complete", func() bool { st := db.state(); return st.AckedSeq == n && st.Unsynced == 0 })
	t.Logf("drain completed %v after the chaos", time.Since(drainFrom).Round(time.Millisecond))

	// The till's outbox is empty.
	if rows, err := db.Outbox(ctx, 0, 0); err != nil || len(rows) != 0 {
		t.Errorf("outbox has %d rows (%v), want none", len(rows), err)
	}
	// Head office has exactly seqs 1..n, once each, nothing pending.
	sdb, err := sql.Open("sqlite3", "file:"+filepath.Join(hqDir, headoffice.FileName)+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var count, distinct, lo, hi, pending, epochs, acked int64
	if err := sdb.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT seq), COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0),
			COUNT(DISTINCT epoch) FROM records WHERE store = ? AND till = ?`, store, till).
		Scan(&count, &distinct, &lo, &hi, &epochs); err != nil {
		t.Fatal(err)
	}
	if count != n || distinct != n || lo != 1 || hi != n || epochs != 1 {
		t.Errorf("head office has %d records (%d distinct, seqs %d..%d, %d epochs), want exactly 1..%d once each",
			count, distinct, lo, hi, epochs, n)
	}
	if err := sdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM pending`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if err := sdb.QueryRowContext(ctx, `SELECT acked_seq FROM series WHERE store = ? AND till = ? AND epoch = ?`,
		store, till, db.Epoch()).Scan(&acked); err != nil {
		t.Fatal(err)
	}
	if pending != 0 || acked != n {
		t.Errorf("head office: %d pending, acked %d; want none pending, acked %d", pending, acked, n)
	}
	fleet, err := hq.Fleet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fleet) != 1 || fleet[0].AckedSeq != n || fleet[0].Pending != 0 || fleet[0].Gap != nil || fleet[0].Epoch != db.Epoch() {
		t.Errorf("fleet = %+v, want one till acked %d with nothing pending", fleet, n)
	}
	t.Logf("whole test %v", time.Since(began).Round(time.Millisecond))
}

// A link that stalls, connections open but silent, for longer than the
// keepalive: the till notices (mqttconn's ping goes unanswered), stays
// offline while the stall lasts, and comes back and drains after it.
func TestStalledLink(t *testing.T) {
	if testing.Short() {
		t.Skip("the stall lasts 13 s")
	}
	ctx := testCtx(t)
	b := newBroker(t)
	p := mqtttest.NewProxy(t, b.Addr())
	db := newStore(t)
	db.sales(20)
	hq := newHeadOffice(ctx, t, b, db.Epoch(), true)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	u := start(ctx, t, uplink.Config{Dial: keepAliveDial(p.URL(), time.Second), MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 500 * time.Millisecond, ResendAfter: 2 * time.Second}, db, log)
	waitFor(ctx, t, "the first drain", func() bool { return u.Online() && db.state().Unsynced == 0 })

	// Keepalive 1 s plus a 10 s ping timeout: the till gives up after
	// some 11 s of silence.
	const stall = 13 * time.Second
	stalled := time.Now()
	p.Stall(stall)
	db.sales(10)
	u.Kick()
	waitFor(ctx, t, "the till to notice the stall", func() bool { return !u.Online() })
	noticed := time.Since(stalled)
	t.Logf("offline %v into the stall", noticed.Round(time.Millisecond))
	if noticed >= stall {
		t.Errorf("the till noticed only after the stall (%v)", noticed)
	}
	if st := u.State(); st.Connected || st.LastError == "" {
		t.Errorf("State = %+v during the stall", st)
	}
	if st := db.state(); st.Unsynced != 10 {
		t.Errorf("%d unsynced during the stall, want 10", st.Unsynced)
	}
	// While the stall lasts, reconnecting gets nowhere.
	for time.Since(stalled) < stall-500*time.Millisecond {
		if u.Online() {
			t.Fatalf("online %v into a %v stall", time.Since(stalled), stall)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitFor(ctx, t, "the till back online", u.Online)
	waitFor(ctx, t, "the backlog to drain", func() bool { return db.state().Unsynced == 0 })
	t.Logf("back and drained %v after the stall began", time.Since(stalled).Round(time.Millisecond))
	hq.check(30)
}
