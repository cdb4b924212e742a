package uplink_test

import (
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/kasirpos/kasir/uplink"
	"github.com/kasirpos/kasir/wire"
)

// Issue 10, attack 1: a retained ack that head office did not sign (planted
// through a broker that let it through, as a till's last will once did)
// made the till delete 300 unsynced sales head office never had. An ack
// deletes only when head office's key signed it.
func TestForgedAckDeletesNothing(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	db := newStore(t)
	db.sales(300)
	tap := &logTap{}
	start(ctx, t, uplink.Config{Dial: tillDial(b.URL())}, db, slog.New(tap))
	hq := hqDial(ctx, t, b, "hq")
	publish := func(raw []byte) {
		t.Helper()
		if err := hq.Publish(ctx, wire.AckTopic(store, till), 1, true, raw); err != nil {
			t.Fatal(err)
		}
	}
	const refused = "ack not signed by head office, ignored; nothing deleted"
	unsigned, _ := json.Marshal(wire.Ack{V: 1, Store: store, Till: till, Epoch: db.Epoch(), Seq: 300, Time: time.Now()})
	_, stranger, _ := ed25519.GenerateKey(nil)
	other := wire.Ack{Store: store, Till: till, Epoch: db.Epoch(), Seq: 300, Time: time.Now()}
	other.Sign(stranger)
	otherRaw, _ := json.Marshal(other)
	// A genuine ack of T02's, replayed on T01's topic.
	replayed := signedAck(wire.Ack{Store: store, Till: "T02", Epoch: db.Epoch(), Seq: 300, Time: time.Now()})
	var tampered wire.Ack
	json.Unmarshal(signedAck(wire.Ack{Store: store, Till: till, Epoch: db.Epoch(), Seq: 3, Time: time.Now()}), &tampered)
	tampered.Seq = 300
	tamperedRaw, _ := json.Marshal(tampered)

	for _, tt := range []struct {
		name, log string
		raw       []byte
	}{
		{"unsigned", refused, unsigned},
		{"signed by another key", refused, otherRaw},
		{"head office's ack with its seq raised", refused, tamperedRaw},
		{"another till's ack", "ack for another till, ignored", replayed},
	} {
		before := tap.count(tt.log)
		publish(tt.raw)
		waitFor(ctx, t, tt.name+": the uplink to see the ack", func() bool { return tap.count(tt.log) > before })
		if st := db.state(); st.AckedSeq != 0 || st.Unsynced != 300 {
			t.Fatalf("%s: sync state %+v, want all 300 records kept", tt.name, st)
		}
	}
	publish(signedAck(wire.Ack{Store: store, Till: till, Epoch: db.Epoch(), Seq: 300, Time: time.Now()}))
	waitFor(ctx, t, "head office's own ack", func() bool { return db.state().Unsynced == 0 })
}

// Head office's signing key rotates while the till runs: acks signed by the
// new key count once the till has followed the chain, and the old key's no
// longer do.
func TestAcksAfterKeyRotation(t *testing.T) {
	ctx := testCtx(t)
	b := newBroker(t)
	db := newStore(t)
	db.sales(20)
	tap := &logTap{}
	var saved []int64
	trust := uplink.NewTrust(hqPub, 0, func(_ ed25519.PublicKey, v int64) error { saved = append(saved, v); return nil })
	start(ctx, t, uplink.Config{Dial: tillDial(b.URL()), Trust: trust}, db, slog.New(tap))
	hq := hqDial(ctx, t, b, "hq")
	ack := func(k ed25519.PrivateKey, seq int64) {
		t.Helper()
		a := wire.Ack{Store: store, Till: till, Epoch: db.Epoch(), Seq: seq, Time: time.Now()}
		a.Sign(k)
		raw, _ := json.Marshal(a)
		if err := hq.Publish(ctx, wire.AckTopic(store, till), 1, true, raw); err != nil {
			t.Fatal(err)
		}
	}
	ack(hqKey, 5)
	waitFor(ctx, t, "the old key's ack", func() bool { return db.state().AckedSeq == 5 })

	newPub, newKey, _ := ed25519.GenerateKey(nil)
	// The new key's ack comes before the rotation: held, not applied…
	const refused = "ack not signed by head office, ignored; nothing deleted"
	ack(newKey, 10)
	waitFor(ctx, t, "the early ack to be refused", func() bool { return tap.count(refused) > 0 })
	if got := db.state().AckedSeq; got != 5 {
		t.Fatalf("acked %d before the rotation", got)
	}
	// …and taken once the chain arrives.
	rot, err := wire.Rotate(hqKey, newPub, 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	chain, _ := json.Marshal([]*wire.Envelope{rot})
	if moved, v, err := trust.Follow(chain); !moved || v != 1 || err != nil {
		t.Fatalf("Follow = %v %d %v", moved, v, err)
	}
	waitFor(ctx, t, "the held ack after the rotation", func() bool { return db.state().AckedSeq == 10 })
	if len(saved) != 1 || saved[0] != 1 {
		t.Errorf("saved %v, want the new key kept once", saved)
	}
	// The old key speaks for head office no more.
	before := tap.count(refused)
	ack(hqKey, 20)
	waitFor(ctx, t, "the old key's ack to be refused", func() bool { return tap.count(refused) > before })
	if got := db.state().AckedSeq; got != 10 {
		t.Fatalf("acked %d on the retired key's word", got)
	}
	ack(newKey, 20)
	waitFor(ctx, t, "the new key's ack", func() bool { return db.state().Unsynced == 0 })
}
