package systemtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/mqtttest"
	"github.com/kasirpos/kasir/uplink"
)

// TestSharedIngestExactlyOnce runs three tills against real Mosquitto and
// three head-office ingest workers sharing one SQLite database through the
// shared subscription, each with a database handle and a connection of its
// own, as three kasir-hq processes would. Each till's link is cut at random
// moments, the tills go on selling while they drain, and Mosquitto is
// killed with SIGKILL and restarted once mid-drain. In the end head office
// holds every till's records 1..n exactly once, as the till committed them,
// applied in seq order, with no gap, and every till's outbox is empty.
func TestSharedIngestExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("real Mosquitto with faults: not in -short")
	}
	const (
		store    = "S001"
		n        = 300 // records per till
		upfront  = 200 // committed before the drain starts; the rest while it runs
		sellGap  = 30 * time.Millisecond
		workers  = 3
		hqUser   = "hq"
		hqPass   = "hqpw"
		duration = 80 * time.Second
	)
	tills := []string{"T01", "T02", "T03"}
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("fault schedule seed %d", seed)

	logs := &syncLog{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", logs.tail(12000))
		}
	})

	opts := []mqtttest.Option{mqtttest.AddUser(hqUser, hqPass), mqtttest.ACL(mqtttest.HeadOfficeACL(hqUser))}
	for _, tl := range tills {
		opts = append(opts, mqtttest.AddUser("till-"+tl, "pw-"+tl), mqtttest.ACL(mqtttest.TillACL(store, tl, "till-"+tl)))
	}
	broker := mqtttest.Start(t, opts...)

	// Head office: one directory, three handles, three workers on the
	// shared subscription; the first also keeps the fleet's presence.
	hqDir := t.TempDir()
	var dbs []*headoffice.DB
	for range workers {
		db, err := headoffice.Open(ctx, hqDir, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	// Each till signs with a key of its own, registered as till add does;
	// head office signs its acks.
	hqPub, hqKey, _ := ed25519.GenerateKey(nil)
	tillKeys := map[string]ed25519.PrivateKey{}
	for _, tl := range tills {
		pub, key, _ := ed25519.GenerateKey(nil)
		tillKeys[tl] = key
		if err := dbs[0].PutTillKey(ctx, store, tl, pub); err != nil {
			t.Fatal(err)
		}
	}
	var bg sync.WaitGroup
	bgCtx, stopBG := context.WithCancel(ctx)
	// Registered after the databases' Close, so it runs before them.
	t.Cleanup(func() { stopBG(); bg.Wait() })
	var ready []chan struct{}
	batches := make([]atomic.Int64, workers) // sales and shift messages each worker got
	for i, db := range dbs {
		r := make(chan struct{})
		ready = append(ready, r)
		opt := headoffice.WorkerOptions{Shared: true, Presence: i == 0, Key: func() ed25519.PrivateKey { return hqKey }}
		bg.Go(func() {
			runWorker(bgCtx, db, broker.URL(), fmt.Sprintf("hq-%d", i), hqUser, hqPass, opt, log, r, &batches[i])
		})
	}
	for i, r := range ready {
		select {
		case <-r:
		case <-ctx.Done():
			t.Fatalf("worker %d never subscribed", i)
		}
	}

	// Tills: each its own database, proxy and uplink.
	type tillRig struct {
		code  string
		box   *localstore.DB
		proxy *mqtttest.Proxy
		up    *uplink.Uplink
		clock time.Time
	}
	var rigs []*tillRig
	for _, tl := range tills {
		box, err := localstore.Open(ctx, t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { box.Close() })
		r := &tillRig{code: tl, box: box, proxy: mqtttest.NewProxy(t, broker.Addr()),
			clock: time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)}
		for range upfront {
			if err := commitRecord(ctx, box, store, tl, &r.clock); err != nil {
				t.Fatal(err)
			}
		}
		url, user, pass := r.proxy.URL(), "till-"+tl, "pw-"+tl
		r.up = uplink.New(uplink.Config{Store: store, Till: tl, Key: tillKeys[tl], Trust: uplink.NewTrust(hqPub, 0, nil),
			Dial: func(ctx context.Context, will *mqttconn.Message) (uplink.Conn, error) {
				c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: url, ClientID: "till-" + store + "-" + tl,
					Username: user, Password: pass, Will: will, ConnectTimeout: 3 * time.Second, KeepAlive: 5 * time.Second})
				if err != nil {
					return nil, err
				}
				return c, nil
			},
			// Small batches, so that a drain is many messages to cut into;
			// a quick resend, since a batch sent while no worker was
			// subscribed (just after the broker's restart) is lost.
			MaxBatchRecords: 20, InFlight: 4,
			ResendAfter: 2 * time.Second, StatusEvery: time.Second,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
		}, box, log)
		rigs = append(rigs, r)
	}
	// Registered after the tills' Close, so it runs before them.
	t.Cleanup(func() { stopBG(); bg.Wait() })
	for _, r := range rigs {
		bg.Go(func() {
			if err := r.up.Run(bgCtx); err != nil {
				t.Errorf("till %s: Run: %v", r.code, err)
			}
		})
	}
	// The tills go on selling while they drain.
	var selling sync.WaitGroup
	var sellErr atomic.Pointer[error]
	for _, r := range rigs {
		selling.Go(func() {
			for range n - upfront {
				select {
				case <-ctx.Done():
					return
				case <-time.After(sellGap):
				}
				if err := commitRecord(ctx, r.box, store, r.code, &r.clock); err != nil {
					sellErr.Store(&err)
					return
				}
				r.up.Kick()
			}
		})
	}

	// Faults, on this goroutine (Kill and Restart may fail the test): three
	// cuts of every till's link, some with the proxy refusing connections
	// for a while, and one SIGKILL of Mosquitto, all while the tills sell.
	type fault struct {
		at   time.Duration
		till int // -1: the broker
		down time.Duration
	}
	sellTime := time.Duration(n-upfront) * sellGap
	faults := []fault{{at: sellTime/3 + time.Duration(rng.Int64N(int64(sellTime/3))), till: -1}}
	for i := range rigs {
		for range 3 {
			f := fault{at: time.Duration(rng.Int64N(int64(sellTime + sellTime/4))), till: i}
			if rng.IntN(2) == 0 {
				f.down = time.Duration(100+rng.IntN(400)) * time.Millisecond
			}
			faults = append(faults, f)
		}
	}
	sort.Slice(faults, func(i, j int) bool { return faults[i].at < faults[j].at })
	start := time.Now()
	for _, f := range faults {
		select {
		case <-ctx.Done():
			t.Fatal("timed out injecting faults")
		case <-time.After(time.Until(start.Add(f.at))):
		}
		if f.till < 0 {
			var acked []int64
			for _, r := range rigs {
				acked = append(acked, r.up.State().AckedSeq)
			}
			t.Logf("%s: mosquitto SIGKILL and restart (tills acked to %v)", time.Since(start).Round(time.Millisecond), acked)
			broker.Kill()
			time.Sleep(200 * time.Millisecond)
			broker.Restart()
			continue
		}
		r := rigs[f.till]
		t.Logf("%s: cut %s for %s", time.Since(start).Round(time.Millisecond), r.code, f.down)
		if f.down > 0 {
			r.proxy.SetDown(true)
		}
		r.proxy.Cut()
		if f.down > 0 {
			go func() {
				time.Sleep(f.down)
				r.proxy.SetDown(false)
			}()
		}
	}
	selling.Wait()
	if p := sellErr.Load(); p != nil {
		t.Fatalf("commit: %v", *p)
	}

	// Every till drains completely: its outbox empties only on head
	// office's acks.
	for _, r := range rigs {
		for {
			st, err := r.box.SyncState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.LastSeq != n {
				t.Fatalf("till %s committed %d records, want %d", r.code, st.LastSeq, n)
			}
			if st.Unsynced == 0 && st.AckedSeq == n {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("till %s: %d records still in the outbox, acked %d (uplink %+v)", r.code, st.Unsynced, st.AckedSeq, r.up.State())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	t.Logf("%s: every till drained", time.Since(start).Round(time.Millisecond))
	stopBG()
	bg.Wait()
	for i := range batches {
		got := batches[i].Load()
		t.Logf("worker %d got %d batches", i, got)
		if got == 0 {
			t.Errorf("worker %d got no batch: the shared subscription did not share", i)
		}
	}

	// Head office's view: each till acknowledged to n, nothing pending.
	fleet, err := dbs[1].Fleet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]headoffice.TillState{}
	for _, ts := range fleet {
		known[ts.Till] = ts
	}
	for _, r := range rigs {
		ts, ok := known[r.code]
		switch {
		case !ok:
			t.Errorf("head office does not know till %s", r.code)
		case ts.Epoch != r.box.Epoch() || ts.AckedSeq != n || ts.Gap != nil || ts.Pending != 0:
			t.Errorf("till %s at head office: epoch %s (till's %s), acked %d, gap %+v, %d pending; want acked %d, no gap, none pending",
				r.code, ts.Epoch, r.box.Epoch(), ts.AckedSeq, ts.Gap, ts.Pending, n)
		}
	}

	// And its rows: exactly 1..n of each till's epoch, once each, applied
	// in seq order, each as the till committed it.
	hq, err := sql.Open("sqlite3", "file:"+filepath.Join(hqDir, headoffice.FileName)+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer hq.Close()
	for _, r := range rigs {
		journal, err := r.box.Journal(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64][]byte{}
		for _, e := range journal {
			want[e.Seq] = e.Body
		}
		rows, err := hq.QueryContext(ctx, `SELECT epoch, seq, body FROM records WHERE store = ? AND till = ? ORDER BY rowid`, store, r.code)
		if err != nil {
			t.Fatal(err)
		}
		var next int64 = 1
		for rows.Next() {
			var epoch string
			var seq int64
			var body []byte
			if err := rows.Scan(&epoch, &seq, &body); err != nil {
				t.Fatal(err)
			}
			if epoch != r.box.Epoch() || seq != next {
				t.Errorf("till %s: head office row %d is epoch %s seq %d, want epoch %s seq %d", r.code, next, epoch, seq, r.box.Epoch(), next)
			} else if !bytes.Equal(body, want[seq]) {
				t.Errorf("till %s seq %d: head office has %s, the till committed %s", r.code, seq, body, want[seq])
			}
			next++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if next-1 != n {
			t.Errorf("till %s: head office has %d records, want %d", r.code, next-1, n)
		}
	}
	var pending int
	if err := hq.QueryRowContext(ctx, `SELECT COUNT(*) FROM pending`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Errorf("%d records still pending at head office", pending)
	}
}

// commitRecord commits one record as a till does; every tenth is a "no
// sale" drawer opening, which travels on the shift topic.
func commitRecord(ctx context.Context, box *localstore.DB, store, till string, clock *time.Time) error {
	*clock = clock.Add(time.Second)
	st, err := box.SyncState(ctx)
	if err != nil {
		return err
	}
	rec := &appliance.Record{Kind: appliance.RecSale, Store: store, Till: till, Time: *clock, UserID: "u1", UserName: "Kasir"}
	if st.LastSeq%10 == 9 {
		rec.Kind, rec.Reason = appliance.RecNoSale, "tukar uang"
	} else {
		price := appliance.Rupiah(1000 + 100*st.LastSeq)
		rec.Sale = &appliance.Sale{Kind: appliance.DocSale, UserID: "u1", UserName: "Kasir", CatalogVersion: "c1",
			Lines: []appliance.SaleLine{{LineNo: 1, SKU: "IDM-GRG", Name: "Indomie Goreng 85g", Unit: "pcs",
				TaxClass: "PPN", Qty: 1000, ListPrice: price, UnitPrice: price, Gross: price, Net: price}},
			Subtotal: price, Total: price, Paid: price, Payments: []appliance.Payment{{Method: appliance.MethodCash, Amount: price}}}
	}
	return box.Commit(ctx, rec)
}

// runWorker keeps one ingest worker connected until ctx ends, as kasir-hq
// does, and closes ready once its first subscriptions are granted.
func runWorker(ctx context.Context, db *headoffice.DB, url, name, user, pass string, opt headoffice.WorkerOptions, log *slog.Logger, ready chan struct{}, batches *atomic.Int64) {
	want := 2
	if opt.Presence {
		want = 4
	}
	var once sync.Once
	for attempt := 0; ctx.Err() == nil; attempt++ {
		conn, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: url, ClientID: fmt.Sprintf("%s-%d", name, attempt),
			Username: user, Password: pass, ConnectTimeout: 3 * time.Second, KeepAlive: 5 * time.Second})
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(20+rand.IntN(80)) * time.Millisecond):
			}
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-conn.Done():
			case <-wctx.Done():
			}
			cancel()
		}()
		var granted atomic.Int32
		ad := workerConn{c: conn, batches: batches, granted: func() {
			if int(granted.Add(1)) == want {
				once.Do(func() { close(ready) })
			}
		}}
		headoffice.NewWorker(db, ad, opt, log.With("worker", name)).Run(wctx)
		cancel()
		conn.Close()
	}
}

// syncLog keeps what the tills and workers log, for a failing test.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	return s[max(0, len(s)-n):]
}

// workerConn is kasir-hq's adapter (cmd/kasir-hq/serve.go), telling when a
// subscription is granted.
type workerConn struct {
	c       *mqttconn.Conn
	batches *atomic.Int64
	granted func()
}

func (a workerConn) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	return a.c.Publish(ctx, topic, qos, retained, payload)
}

func (a workerConn) Subscribe(ctx context.Context, filter string, qos byte, h func(headoffice.Message)) error {
	err := a.c.Subscribe(ctx, filter, qos, func(m mqttconn.Message) {
		if strings.HasSuffix(m.Topic, "/sales") || strings.HasSuffix(m.Topic, "/shift") {
			a.batches.Add(1)
		}
		h(headoffice.Message{Topic: m.Topic, QoS: m.QoS, Retained: m.Retained, Payload: m.Payload})
	})
	if err == nil {
		a.granted()
	}
	return err
}
