package uplink_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/mqtttest"
	"github.com/kasirpos/kasir/uplink"
	"github.com/kasirpos/kasir/wire"
)

const (
	store = "S001"
	till  = "T01"
)

// The till's own key, which signs its batches, and head office's, which
// signs acks.
var (
	tillPub, tillKey, _ = ed25519.GenerateKey(nil)
	hqPub, hqKey, _     = ed25519.GenerateKey(nil)
)

// signedAck is a as head office publishes it.
func signedAck(a wire.Ack) []byte {
	a.Sign(hqKey)
	b, _ := json.Marshal(a)
	return b
}

// testCtx bounds every test: nothing here may wait forever.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newBroker has the till's user and head office's, with Kasir's ACLs.
func newBroker(t *testing.T) *mqtttest.Broker {
	return mqtttest.Start(t,
		mqtttest.AddUser("till", "tillpw"), mqtttest.ACL(mqtttest.TillACL(store, till, "till")),
		mqtttest.AddUser("hq", "hqpw"), mqtttest.ACL(mqtttest.HeadOfficeACL("hq")))
}

// tillDial connects as the till through url (a broker or a proxy).
func tillDial(url string) func(context.Context, *mqttconn.Message) (uplink.Conn, error) {
	return func(ctx context.Context, will *mqttconn.Message) (uplink.Conn, error) {
		c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: url, ClientID: "till-" + store + "-" + till,
			Username: "till", Password: "tillpw", Will: will, ConnectTimeout: 5 * time.Second})
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

func hqDial(ctx context.Context, t *testing.T, b *mqtttest.Broker, id string) *mqttconn.Conn {
	t.Helper()
	c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: b.URL(), ClientID: id, Username: "hq", Password: "hqpw"})
	if err != nil {
		t.Fatalf("head office dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// tillStore is a real database with records committed as a till would.
type tillStore struct {
	*localstore.DB
	t     *testing.T
	clock time.Time
}

func newStore(t *testing.T) *tillStore {
	t.Helper()
	db, err := localstore.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &tillStore{DB: db, t: t, clock: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
}

// sales commits n sales; every tenth record is a shift record instead, so
// both topics are in play.
func (s *tillStore) sales(n int) {
	s.t.Helper()
	for range n {
		s.clock = s.clock.Add(time.Second)
		rec := &appliance.Record{Kind: appliance.RecSale, Store: store, Till: till, Time: s.clock, UserID: "u1", UserName: "Kasir"}
		st, _ := s.SyncState(context.Background())
		if st.LastSeq%10 == 9 {
			rec.Kind, rec.Reason = appliance.RecNoSale, "tukar uang"
		} else {
			rec.Sale = &appliance.Sale{Kind: appliance.DocSale, UserID: "u1", UserName: "Kasir", CatalogVersion: "c1",
				Lines: []appliance.SaleLine{{LineNo: 1, SKU: "IDM-GRG", Name: "Indomie Goreng 85g", Unit: "pcs",
					TaxClass: "PPN", Qty: 2000, ListPrice: 3500, UnitPrice: 3500, Gross: 7000, Net: 7000}},
				Subtotal: 7000, Total: 7000, Paid: 10000, Change: 3000,
				Payments: []appliance.Payment{{Method: "cash", Amount: 10000}}}
		}
		if err := s.Commit(context.Background(), rec); err != nil {
			s.t.Fatalf("commit: %v", err)
		}
	}
}

func (s *tillStore) state() appliance.SyncState {
	s.t.Helper()
	st, err := s.SyncState(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return st
}

// headOffice is a fake head office: it keeps every record it gets and,
// when acking, publishes a retained ack of its contiguous high-water mark
// after every batch, as a real one does after its commit.
type headOffice struct {
	t     *testing.T
	epoch string

	mu      sync.Mutex
	ack     bool
	seen    map[int64]int    // seq → times received
	topic   map[int64]string // seq → topic it came on
	high    int64            // every seq up to here was received
	batches int
	bad     []string // what broke the contract
}

func newHeadOffice(ctx context.Context, t *testing.T, b *mqtttest.Broker, epoch string, ack bool) *headOffice {
	h := &headOffice{t: t, epoch: epoch, ack: ack, seen: map[int64]int{}, topic: map[int64]string{}}
	msgs := make(chan mqttconn.Message, 1000)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	ready := make(chan struct{})
	var once sync.Once
	// Head office reconnects too, for the tests that kill the broker.
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: b.URL(), ClientID: "hq", Username: "hq", Password: "hqpw"})
			if err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(20 * time.Millisecond):
				}
				continue
			}
			h.serve(ctx, c, msgs, func() { once.Do(func() { close(ready) }) })
			c.Close()
		}
	}()
	// Until head office subscribes, batches go nowhere (QoS 1 without a
	// session is not stored): the till would recover, but only after
	// ResendAfter.
	select {
	case <-ready:
	case <-ctx.Done():
		t.Fatal("head office never subscribed")
	}
	return h
}

func (h *headOffice) serve(ctx context.Context, c *mqttconn.Conn, msgs chan mqttconn.Message, subscribed func()) {
	for _, f := range []string{wire.UpSales, wire.UpShift} {
		if err := c.Subscribe(ctx, f, 1, func(m mqttconn.Message) { msgs <- m }); err != nil {
			return
		}
	}
	subscribed()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
			return
		case m := <-msgs:
			ack, ok := h.take(m)
			if !ok {
				continue
			}
			b := signedAck(ack)
			// Publishing from here, not from the handler: handlers must not block.
			if err := c.Publish(ctx, wire.AckTopic(store, till), 1, true, b); err != nil {
				return
			}
		}
	}
}

func (h *headOffice) take(m mqttconn.Message) (wire.Ack, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b wire.Batch
	if err := json.Unmarshal(m.Payload, &b); err != nil {
		h.bad = append(h.bad, fmt.Sprintf("%s: %v", m.Topic, err))
		return wire.Ack{}, false
	}
	if err := b.Validate(); err != nil {
		h.bad = append(h.bad, err.Error())
	}
	if err := b.Verify(tillPub); err != nil {
		h.bad = append(h.bad, err.Error())
	}
	if b.ID != wire.BatchID(b.Till, b.Epoch, b.First, b.Last) || b.Epoch != h.epoch || b.Store != store || b.Till != till {
		h.bad = append(h.bad, "batch "+b.ID)
	}
	h.batches++
	for _, raw := range b.Records {
		var r wire.Record
		json.Unmarshal(raw, &r)
		h.seen[r.Seq]++
		h.topic[r.Seq] = m.Topic
		want := wire.ShiftTopic(store, till)
		if r.Kind == appliance.RecSale || r.Kind == appliance.RecVoid || r.Kind == appliance.RecRefund {
			want = wire.SalesTopic(store, till)
		}
		if m.Topic != want {
			h.bad = append(h.bad, fmt.Sprintf("%s record %d on %s", r.Kind, r.Seq, m.Topic))
		}
	}
	for h.seen[h.high+1] > 0 {
		h.high++
	}
	if !h.ack || h.high == 0 {
		return wire.Ack{}, false
	}
	return wire.Ack{Store: store, Till: till, Epoch: h.epoch, Seq: h.high, Time: time.Now()}, true
}

func (h *headOffice) setAck(on bool) {
	h.mu.Lock()
	h.ack = on
	h.mu.Unlock()
}

// snapshot returns the high-water mark and the least number of times any
// seq up to n was received.
func (h *headOffice) snapshot(n int64) (high int64, minSeen int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	minSeen = -1
	for s := int64(1); s <= n; s++ {
		if minSeen < 0 || h.seen[s] < minSeen {
			minSeen = h.seen[s]
		}
	}
	return h.high, minSeen
}

// check fails the test unless head office has exactly seqs 1..n, each on
// its topic, and every batch was well formed.
func (h *headOffice) check(n int64) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range h.bad {
		h.t.Error(b)
	}
	for s := int64(1); s <= n; s++ {
		if h.seen[s] == 0 {
			h.t.Errorf("seq %d never arrived", s)
		}
	}
	if int64(len(h.seen)) != n {
		h.t.Errorf("head office has %d distinct records, want %d", len(h.seen), n)
	}
}

// waitFor polls cond until it holds; the test's context bounds the wait.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// start runs an uplink until the test ends.
func start(ctx context.Context, t *testing.T, cfg uplink.Config, box appliance.Outbox, log *slog.Logger) *uplink.Uplink {
	t.Helper()
	cfg.Store, cfg.Till = store, till
	if cfg.Key == nil {
		cfg.Key = tillKey
	}
	if cfg.Trust == nil {
		cfg.Trust = uplink.NewTrust(hqPub, 0, nil)
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 200*time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	u := uplink.New(cfg, box, log)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	return u
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// logTap keeps log messages, so a test can wait until the uplink has seen
// something that, correctly, changes nothing.
type logTap struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logTap) Enabled(context.Context, slog.Level) bool { return true }
func (l *logTap) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logTap) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logTap) WithGroup(string) slog.Handler      { return l }

func (l *logTap) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}
