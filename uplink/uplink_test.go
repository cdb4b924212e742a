package uplink_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/mqtttest"
	"github.com/kasirpos/kasir/uplink"
	"github.com/kasirpos/kasir/wire"
)

// Every record reaches head office, in batches of the configured size,
// while the cashier goes on selling; the outbox empties only through acks.
func TestDrain(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	db := newStore(t)
	db.sales(600)
	hq := newHeadOffice(ctx, t, b, db.Epoch(), true)
	u := start(ctx, t, uplink.Config{Dial: tillDial(b.URL()), MaxBatchRecords: 50, MaxBatchBytes: 8 << 10, InFlight: 3}, db, nil)
	// Selling goes on during the drain.
	for range 20 {
		db.sales(10)
		u.Kick()
	}
	const n = 800
	waitFor(ctx, t, "an empty outbox", func() bool { st := db.state(); return st.AckedSeq == n && st.Unsynced == 0 })
	hq.check(n)
	if st := u.State(); !st.Connected || !st.Enabled || st.AckedSeq != n || st.LastAck.IsZero() {
		t.Errorf("State = %+v", st)
	}
	if !u.Online() {
		t.Error("Online = false")
	}
	hq.mu.Lock()
	batches := hq.batches
	hq.mu.Unlock()
	// 800 records in batches of at most 50 of one topic: at least 16.
	if batches < n/50 {
		t.Errorf("%d batches for %d records", batches, n)
	}
}

// Batches respect both limits; an oversized record goes alone.
func TestBatchLimits(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	db := newStore(t)
	db.sales(100)
	obs := hqDial(ctx, t, b, "obs")
	got := make(chan wire.Batch, 1000)
	if err := obs.Subscribe(ctx, "pos/up/+/+/+", 1, func(m mqttconn.Message) {
		var bt wire.Batch
		if json.Unmarshal(m.Payload, &bt) == nil && bt.V == wire.BatchVersion && bt.ID != "" {
			got <- bt
		}
	}); err != nil {
		t.Fatal(err)
	}
	rows, _ := db.Outbox(ctx, 0, 1)
	one := len(rows[0].Body)
	maxBytes := one*3 + one/2 // three records fit, four do not
	start(ctx, t, uplink.Config{Dial: tillDial(b.URL()), MaxBatchRecords: 7, MaxBatchBytes: maxBytes}, db, nil)
	seen := map[int64]bool{}
	for len(seen) < 100 {
		var bt wire.Batch
		select {
		case bt = <-got:
		case <-ctx.Done():
			t.Fatalf("only %d records arrived", len(seen))
		}
		size := 0
		for _, r := range bt.Records {
			size += len(r)
		}
		if len(bt.Records) > 7 || (size > maxBytes && len(bt.Records) > 1) {
			t.Errorf("batch %s: %d records, %d bytes", bt.ID, len(bt.Records), size)
		}
		for s := bt.First; s <= bt.Last; s++ {
			seen[s] = true
		}
	}

	// A record bigger than a whole batch still goes, alone.
	small := newStore(t)
	small.sales(3)
	obs2 := make(chan wire.Batch, 10)
	b2 := newBroker(t)
	o2 := hqDial(ctx, t, b2, "obs")
	o2.Subscribe(ctx, "pos/up/#", 1, func(m mqttconn.Message) {
		var bt wire.Batch
		if json.Unmarshal(m.Payload, &bt) == nil && bt.ID != "" {
			obs2 <- bt
		}
	})
	start(ctx, t, uplink.Config{Dial: tillDial(b2.URL()), MaxBatchBytes: 10}, small, nil)
	alone := map[int64]bool{}
	for len(alone) < 3 {
		select {
		case bt := <-obs2:
			if bt.First != bt.Last {
				t.Errorf("batch %s, want one record", bt.ID)
			}
			alone[bt.First] = true
		case <-ctx.Done():
			t.Fatal("oversized records not sent")
		}
	}
}

// A head office that never acks: every PUBACK comes back, nothing leaves
// the outbox, and after ResendAfter the till sends everything again.
func TestNoAckNoDelete(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	db := newStore(t)
	db.sales(30)
	hq := newHeadOffice(ctx, t, b, db.Epoch(), false)
	start(ctx, t, uplink.Config{Dial: tillDial(b.URL()), MaxBatchRecords: 10, ResendAfter: 200 * time.Millisecond}, db, nil)
	waitFor(ctx, t, "every record sent twice", func() bool { _, m := hq.snapshot(30); return m >= 2 })
	if st := db.state(); st.Unsynced != 30 || st.AckedSeq != 0 {
		t.Errorf("sync state %+v after PUBACKs without head office's ack", st)
	}
	rows, err := db.Outbox(ctx, 0, 0)
	if err != nil || len(rows) != 30 {
		t.Errorf("outbox has %d rows (%v), want 30", len(rows), err)
	}
	// Once head office acks, the outbox empties.
	hq.setAck(true)
	waitFor(ctx, t, "an empty outbox", func() bool { return db.state().Unsynced == 0 })
	hq.check(30)
}

// The broker is killed mid-drain and restarted: nothing is deleted while
// it is away, the drain completes and the outbox empties only through acks.
func TestBrokerKilledMidDrain(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	db := newStore(t)
	db.sales(1000)
	hq := newHeadOffice(ctx, t, b, db.Epoch(), false)
	// After the restart the till may be back before head office has
	// subscribed again; what it sends meanwhile is lost, and the resend
	// after ResendAfter recovers it.
	u := start(ctx, t, uplink.Config{Dial: tillDial(b.URL()), MaxBatchRecords: 20, ResendAfter: 300 * time.Millisecond}, db, nil)
	waitFor(ctx, t, "the first records at head office", func() bool { h, _ := hq.snapshot(1); return h > 0 })
	b.Kill()
	waitFor(ctx, t, "the till to notice", func() bool { return !u.Online() })
	if st := db.state(); st.Unsynced != 1000 {
		t.Errorf("%d unsynced after the broker died, want 1000: rows went without an ack", st.Unsynced)
	}
	db.sales(100) // selling goes on offline
	u.Kick()
	if u.Online() || u.State().Connected {
		t.Error("online with no broker")
	}
	hq.setAck(true)
	b.Restart()
	waitFor(ctx, t, "an empty outbox", func() bool { return db.state().Unsynced == 0 })
	hq.check(1100)
	if st := db.state(); st.AckedSeq != 1100 {
		t.Errorf("acked %d, want 1100", st.AckedSeq)
	}
}

// Acks for another epoch, another till, or beyond the last record change
// nothing.
func TestForeignAcks(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	db := newStore(t)
	db.sales(10)
	tap := &logTap{}
	start(ctx, t, uplink.Config{Dial: tillDial(b.URL())}, db, slog.New(tap))
	hq := hqDial(ctx, t, b, "hq")
	ack := func(a wire.Ack) {
		t.Helper()
		if err := hq.Publish(ctx, wire.AckTopic(store, till), 1, true, signedAck(a)); err != nil {
			t.Fatal(err)
		}
	}
	ack(wire.Ack{Store: store, Till: till, Epoch: db.Epoch(), Seq: 3})
	waitFor(ctx, t, "the first ack", func() bool { return db.state().AckedSeq == 3 })

	tests := []struct {
		name string
		ack  wire.Ack
		log  string
	}{
		{"another epoch", wire.Ack{Store: store, Till: till, Epoch: "other-epoch", Seq: 10}, "ack for another epoch, ignored"},
		{"another till", wire.Ack{Store: store, Till: "T02", Epoch: db.Epoch(), Seq: 10}, "ack for another till, ignored"},
		{"beyond the last record", wire.Ack{Store: store, Till: till, Epoch: db.Epoch(), Seq: 11},
			"HEAD OFFICE ACKNOWLEDGED RECORDS THIS TILL NEVER MADE; ack ignored, nothing deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tap.count(tt.log)
			ack(tt.ack)
			waitFor(ctx, t, "the uplink to see the ack", func() bool { return tap.count(tt.log) > before })
			if st := db.state(); st.AckedSeq != 3 || st.Unsynced != 7 {
				t.Errorf("sync state %+v, want acked 3 and 7 unsynced", st)
			}
		})
	}
	ack(wire.Ack{Store: store, Till: till, Epoch: db.Epoch(), Seq: 10})
	waitFor(ctx, t, "the last ack", func() bool { return db.state().Unsynced == 0 })
}

func nextStatus(ctx context.Context, t *testing.T, ch <-chan mqttconn.Message) (wire.Status, bool) {
	t.Helper()
	select {
	case m := <-ch:
		var s wire.Status
		if err := json.Unmarshal(m.Payload, &s); err != nil {
			t.Fatalf("status %q: %v", m.Payload, err)
		}
		return s, m.Retained
	case <-ctx.Done():
		t.Fatal("no status")
		return wire.Status{}, false
	}
}

func watchStatus(ctx context.Context, t *testing.T, b *mqtttest.Broker, id string) <-chan mqttconn.Message {
	t.Helper()
	ch := make(chan mqttconn.Message, 100)
	c := hqDial(ctx, t, b, id)
	if err := c.Subscribe(ctx, wire.StatusTopic(store, till), 1, func(m mqttconn.Message) { ch <- m }); err != nil {
		t.Fatal(err)
	}
	return ch
}

// Presence: a retained online status with the backlog; when the till's
// connection dies without a goodbye, the broker's last will says offline.
func TestPresence(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	p := mqtttest.NewProxy(t, b.Addr())
	db := newStore(t)
	db.sales(5)
	watch := watchStatus(ctx, t, b, "watch")
	u := start(ctx, t, uplink.Config{Dial: tillDial(p.URL()), Software: "kasir-test",
		Status: func() wire.Status { return wire.Status{CatalogVersion: "cat-7", Software: "ignored"} }}, db, nil)
	s, _ := nextStatus(ctx, t, watch)
	want := wire.Status{V: 1, Store: store, Till: till, Online: true, Epoch: db.Epoch(), LastSeq: 5, Backlog: 5,
		Software: "kasir-test", CatalogVersion: "cat-7"}
	got := s
	got.Time, got.OldestUnsynced = time.Time{}, time.Time{}
	if got.V != want.V || got.Store != want.Store || got.Till != want.Till || got.Online != want.Online || got.Epoch != want.Epoch ||
		got.LastSeq != want.LastSeq || got.Backlog != want.Backlog || got.Software != want.Software || got.CatalogVersion != want.CatalogVersion {
		t.Errorf("status = %+v, want %+v", got, want)
	}
	if s.OldestUnsynced.IsZero() || s.Time.IsZero() {
		t.Errorf("status without times: %+v", s)
	}
	waitFor(ctx, t, "online", u.Online)

	// The link dies without DISCONNECT and stays down.
	p.SetDown(true)
	p.Cut()
	for s.Online {
		s, _ = nextStatus(ctx, t, watch)
	}
	if s.Store != store || s.Till != till || s.V != 1 {
		t.Errorf("will = %+v", s)
	}
	waitFor(ctx, t, "the till to notice", func() bool { return !u.Online() })
	if st := u.State(); st.Connected || st.LastError == "" {
		t.Errorf("State = %+v after the link died", st)
	}
	// The will is retained: a newcomer learns the till is offline.
	if s, retained := nextStatus(ctx, t, watchStatus(ctx, t, b, "late")); s.Online || !retained {
		t.Errorf("retained status online=%v retained=%v, want the will", s.Online, retained)
	}

	// The link comes back: online again.
	p.SetDown(false)
	for !s.Online {
		s, _ = nextStatus(ctx, t, watch)
	}
	waitFor(ctx, t, "online again", u.Online)
}

// The demo switch: off says offline and stays off while the backlog grows;
// on drains it.
func TestSetEnabled(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	db := newStore(t)
	db.sales(5)
	hq := newHeadOffice(ctx, t, b, db.Epoch(), true)
	watch := watchStatus(ctx, t, b, "watch")
	var dials atomic.Int32
	dial := tillDial(b.URL())
	u := start(ctx, t, uplink.Config{Dial: func(ctx context.Context, will *mqttconn.Message) (uplink.Conn, error) {
		dials.Add(1)
		return dial(ctx, will)
	}}, db, nil)
	waitFor(ctx, t, "the first drain", func() bool { return db.state().Unsynced == 0 })

	u.SetEnabled(false)
	waitFor(ctx, t, "offline", func() bool { return !u.Online() })
	for s, _ := nextStatus(ctx, t, watch); s.Online; s, _ = nextStatus(ctx, t, watch) {
	}
	n := dials.Load()
	db.sales(7)
	u.Kick()
	if st := u.State(); st.Enabled || st.Connected {
		t.Errorf("State = %+v after SetEnabled(false)", st)
	}
	if st := db.state(); st.Unsynced != 7 {
		t.Errorf("backlog %d, want 7", st.Unsynced)
	}

	u.SetEnabled(true)
	waitFor(ctx, t, "the backlog to drain", func() bool { return db.state().Unsynced == 0 })
	if dials.Load() != n+1 {
		t.Errorf("%d dials while switched off", dials.Load()-n-1)
	}
	hq.check(12)
}

// Catalog and config messages reach OnDown, retained ones at connect.
func TestOnDown(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	hq := hqDial(ctx, t, b, "hq")
	topics := []string{wire.KeysTopic, wire.CatalogTopic(store), wire.StoreConfigTopic(store), wire.TillConfigTopic(store, till), wire.AllConfigTopic}
	for _, topic := range topics {
		if err := hq.Publish(ctx, topic, 1, true, []byte(topic)); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan mqttconn.Message, 10)
	db := newStore(t)
	u := uplink.New(uplink.Config{Store: store, Till: till, Dial: tillDial(b.URL()), Key: tillKey, Trust: uplink.NewTrust(hqPub, 0, nil)}, db, nil)
	u.OnDown(func(m mqttconn.Message) { got <- m })
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- u.Run(rctx) }()
	defer func() { cancel(); <-done }()
	seen := map[string]bool{}
	for len(seen) < len(topics) {
		select {
		case m := <-got:
			if string(m.Payload) != m.Topic {
				t.Errorf("%s carried %q", m.Topic, m.Payload)
			}
			seen[m.Topic] = true
		case <-ctx.Done():
			t.Fatalf("got only %v", seen)
		}
	}
}

// No broker, or one that accepts TCP and never answers: the till stays
// offline, its calls return at once, Run keeps trying and ends on cancel.
func TestUnreachable(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := refused.Addr().String()
	refused.Close()

	for name, addr := range map[string]string{"no broker": closedAddr, "silent broker": silent.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			db := newStore(t)
			db.sales(3)
			var dials atomic.Int32
			u := uplink.New(uplink.Config{Store: store, Till: till, Key: tillKey, Trust: uplink.NewTrust(hqPub, 0, nil), MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
				Dial: func(ctx context.Context, will *mqttconn.Message) (uplink.Conn, error) {
					dials.Add(1)
					c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: "tcp://" + addr, ClientID: "t", ConnectTimeout: 100 * time.Millisecond, Will: will})
					if err != nil {
						return nil, err
					}
					return c, nil
				}}, db, nil)
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- u.Run(rctx) }()
			waitFor(ctx, t, "three attempts", func() bool {
				// The selling path's calls, while the uplink dials.
				u.Kick()
				return !u.Online() && dials.Load() >= 3
			})
			if st := u.State(); st.Connected || st.LastError == "" {
				t.Errorf("State = %+v", st)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
			if st := db.state(); st.Unsynced != 3 {
				t.Errorf("backlog %d, want 3", st.Unsynced)
			}
		})
	}
}
