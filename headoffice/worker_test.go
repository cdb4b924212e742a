package headoffice

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/wire"
)

// fakeConn is an in-memory MQTT connection: the test delivers messages to
// the worker's handlers and sees what it publishes.
type fakeConn struct {
	mu   sync.Mutex
	subs map[string]func(Message)
	// onPublish runs inside Publish, before the message is recorded; an
	// error fails the publish.
	onPublish func(Message) error
	published chan Message
	ready     chan struct{}
	want      int // subscriptions before ready closes
}

func newFakeConn(want int) *fakeConn {
	return &fakeConn{subs: map[string]func(Message){}, published: make(chan Message, 100), ready: make(chan struct{}), want: want}
}

func (c *fakeConn) Subscribe(ctx context.Context, filter string, qos byte, h func(Message)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs[filter] = h
	if len(c.subs) == c.want {
		close(c.ready)
	}
	return nil
}

func (c *fakeConn) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	m := Message{Topic: topic, QoS: qos, Retained: retained, Payload: payload}
	if c.onPublish != nil {
		if err := c.onPublish(m); err != nil {
			return err
		}
	}
	c.published <- m
	return nil
}

func (c *fakeConn) filters() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for f := range c.subs {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// match is MQTT topic matching for the filters the worker uses.
func match(filter, topic string) bool {
	filter = strings.TrimPrefix(filter, wire.SharedPrefix)
	f, tp := strings.Split(filter, "/"), strings.Split(topic, "/")
	if len(f) != len(tp) {
		return false
	}
	for i := range f {
		if f[i] != "+" && f[i] != tp[i] {
			return false
		}
	}
	return true
}

func (c *fakeConn) deliver(t *testing.T, topic string, payload []byte) {
	t.Helper()
	c.mu.Lock()
	var h func(Message)
	for f, fh := range c.subs {
		if match(f, topic) {
			h = fh
		}
	}
	c.mu.Unlock()
	if h == nil {
		t.Fatalf("no subscription for %s", topic)
	}
	h(Message{Topic: topic, QoS: 1, Payload: payload})
}

func (c *fakeConn) nextAck(t *testing.T) (Message, wire.Ack) {
	t.Helper()
	select {
	case m := <-c.published:
		var a wire.Ack
		if err := json.Unmarshal(m.Payload, &a); err != nil {
			t.Fatalf("ack %s: %v", m.Payload, err)
		}
		if err := a.Verify(hqTestKey.Public().(ed25519.PublicKey)); err != nil {
			t.Fatalf("ack %s: %v", m.Payload, err)
		}
		return m, a
	case <-time.After(10 * time.Second):
		t.Fatal("no ack published")
	}
	panic("unreachable")
}

func (c *fakeConn) noAck(t *testing.T) {
	t.Helper()
	select {
	case m := <-c.published:
		t.Fatalf("unexpected publish on %s: %s", m.Topic, m.Payload)
	default:
	}
}

func startWorker(t *testing.T, st Store, conn *fakeConn, shared, presence bool) {
	t.Helper()
	registerTills(t, st)
	w := NewWorker(st, conn, WorkerOptions{Shared: shared, Presence: presence,
		Key: func() ed25519.PrivateKey { return hqTestKey }}, testLog(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-conn.ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("worker did not subscribe")
	}
}

// heard leaves out the tills that are registered but never spoke.
func heard(fleet []TillState) []TillState {
	var out []TillState
	for _, f := range fleet {
		if !f.LastSeen.IsZero() || f.Epoch != "" {
			out = append(out, f)
		}
	}
	return out
}

func payload(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWorkerAcksAfterCommit(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	// A second handle, as another process would see the database: an ack
	// may be published only when the records it covers are committed.
	observer := openDB(t, dir)
	conn := newFakeConn(4)
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	conn.onPublish = func(m Message) error {
		var a wire.Ack
		json.Unmarshal(m.Payload, &a)
		var n int64
		if err := observer.ro.QueryRow(`SELECT COUNT(*) FROM records WHERE store = ? AND till = ? AND epoch = ? AND seq <= ?`,
			a.Store, a.Till, a.Epoch, a.Seq).Scan(&n); err != nil || n != a.Seq {
			t.Errorf("ack %d published with %d records committed (%v)", a.Seq, n, err)
		}
		return nil
	}
	startWorker(t, db, conn, false, true)
	if got, want := conn.filters(), []string{wire.UpConfigAck, wire.UpSales, wire.UpShift, wire.UpStatus}; !slices.Equal(got, want) {
		t.Errorf("filters %v, want %v", got, want)
	}

	topic := wire.SalesTopic("S001", "T01")
	conn.deliver(t, topic, payload(t, tl.batch(t, 1, 3)))
	m, ack := conn.nextAck(t)
	if m.Topic != wire.AckTopic("S001", "T01") || !m.Retained || m.QoS != 1 || ack.Seq != 3 || ack.Epoch != "e1" {
		t.Fatalf("ack %+v on %s retained=%v qos=%d", ack, m.Topic, m.Retained, m.QoS)
	}
	// Out of order, across the two topics of one series: 6 waits for 4-5.
	conn.deliver(t, topic, payload(t, tl.batch(t, 6, 6)))
	if _, ack = conn.nextAck(t); ack.Seq != 3 {
		t.Fatalf("ack %d with 4-5 missing", ack.Seq)
	}
	conn.deliver(t, wire.ShiftTopic("S001", "T01"), payload(t, tl.batch(t, 4, 5)))
	if _, ack = conn.nextAck(t); ack.Seq != 6 {
		t.Fatalf("ack %d after the fill", ack.Seq)
	}
	// A resend is acked again with the unchanged mark.
	conn.deliver(t, topic, payload(t, tl.batch(t, 1, 3)))
	if _, ack = conn.nextAck(t); ack.Seq != 6 {
		t.Fatalf("ack %d for a resend", ack.Seq)
	}

	// Presence and config acks reach the fleet.
	conn.deliver(t, wire.StatusTopic("S001", "T01"), payload(t, wire.Status{V: 1, Store: "S001", Till: "T01", Online: true, Backlog: 2, Epoch: "e1"}))
	conn.deliver(t, wire.ConfigAckTopic("S001", "T01"), payload(t, wire.ConfigAck{V: 1, Store: "S001", Till: "T01", Kind: "config", Version: 3, Status: "rejected", Reason: "old_version"}))
	// A status another till's topic claims is dropped.
	conn.deliver(t, wire.StatusTopic("S001", "T02"), payload(t, wire.Status{V: 1, Store: "S001", Till: "T01", Online: false}))
	conn.deliver(t, topic, payload(t, tl.batch(t, 7, 7))) // a marker: everything before it is processed
	if _, ack = conn.nextAck(t); ack.Seq != 7 {
		t.Fatalf("ack %d", ack.Seq)
	}
	fleet, err := db.Fleet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fleet = heard(fleet)
	if len(fleet) != 1 || !fleet[0].Online || fleet[0].ReportedBacklog != 2 || fleet[0].AckedSeq != 7 ||
		fleet[0].LastRejection == nil || fleet[0].LastRejection.Reason != "old_version" {
		t.Errorf("fleet %+v", fleet)
	}
	// A bare "offline" last will.
	conn.deliver(t, wire.StatusTopic("S001", "T01"), []byte("offline"))
	conn.deliver(t, topic, payload(t, tl.batch(t, 7, 7)))
	conn.nextAck(t)
	if fleet, _ := db.Fleet(context.Background()); heard(fleet)[0].Online {
		t.Error("still online after the last will")
	}
}

func TestWorkerMalformedGetsNoAck(t *testing.T) {
	db := openDB(t, t.TempDir())
	conn := newFakeConn(2)
	startWorker(t, db, conn, true, false)
	if got, want := conn.filters(), []string{wire.SharedPrefix + wire.UpSales, wire.SharedPrefix + wire.UpShift}; !slices.Equal(got, want) {
		t.Errorf("filters %v, want %v", got, want)
	}
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	topic := wire.SalesTopic("S001", "T01")
	bad := [][]byte{
		[]byte(`{"v":1,"store":"S001"`),
		payload(t, func() *wire.Batch { b := tl.batch(t, 1, 2); b.Last = 5; return b }()),
		// A batch of another till on this till's topic.
		payload(t, till{store: "S001", till: "T02", epoch: "e1"}.batch(t, 1, 1)),
	}
	for _, p := range bad {
		conn.deliver(t, topic, p)
	}
	conn.deliver(t, wire.SalesTopic("S001", "T02"), payload(t, till{store: "S001", till: "T02", epoch: "e9"}.batch(t, 1, 1)))
	m, _ := conn.nextAck(t)
	if m.Topic != wire.AckTopic("S001", "T02") {
		t.Fatalf("ack on %s", m.Topic)
	}
	conn.noAck(t)
	if got := applied(t, db, till{store: "S001", till: "T02", epoch: "e1"}); len(got) != 0 {
		t.Errorf("spoofed batch applied: %v", got)
	}
}

func TestWorkerDatabaseFailureGetsNoAck(t *testing.T) {
	db := openDB(t, t.TempDir())
	conn := newFakeConn(2)
	startWorker(t, db, conn, true, false)
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	topic := wire.SalesTopic("S001", "T01")

	// The database refuses the write half-way through the transaction.
	if _, err := db.rw.Exec(`CREATE TRIGGER fail_third BEFORE INSERT ON records WHEN NEW.seq = 3
		BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	conn.deliver(t, topic, payload(t, tl.batch(t, 1, 4)))
	// Another till's batch shows that the first was processed.
	conn.deliver(t, wire.SalesTopic("S002", "T01"), payload(t, till{store: "S002", till: "T01", epoch: "x"}.batch(t, 1, 1)))
	if m, _ := conn.nextAck(t); m.Topic != wire.AckTopic("S002", "T01") {
		t.Fatalf("ack on %s while the database failed", m.Topic)
	}
	conn.noAck(t)
	if got := applied(t, db, tl); len(got) != 0 {
		t.Fatalf("records %v survived a failed transaction", got)
	}
	// The till resends; now the database takes it.
	if _, err := db.rw.Exec(`DROP TRIGGER fail_third`); err != nil {
		t.Fatal(err)
	}
	conn.deliver(t, topic, payload(t, tl.batch(t, 1, 4)))
	if _, ack := conn.nextAck(t); ack.Seq != 4 {
		t.Fatalf("ack %d after the resend", ack.Seq)
	}
	if got := applied(t, db, tl); !slices.Equal(got, upTo(4)) {
		t.Errorf("records %v", got)
	}
}

// TestWorkerHandlerDoesNotBlock delivers while the worker is stuck in a
// publish: the MQTT client's callback must still return at once.
func TestWorkerHandlerDoesNotBlock(t *testing.T) {
	db := openDB(t, t.TempDir())
	conn := newFakeConn(2)
	release := make(chan struct{})
	conn.onPublish = func(Message) error { <-release; return nil }
	startWorker(t, db, conn, true, false)
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	done := make(chan struct{})
	go func() {
		for i := int64(1); i <= 50; i++ {
			conn.deliver(t, wire.SalesTopic("S001", "T01"), payload(t, tl.batch(t, i, i)))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("handler blocked while the worker was busy")
	}
	close(release)
	var last int64
	for last < 50 {
		_, ack := conn.nextAck(t)
		last = ack.Seq
	}
}
