package uplink

import (
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/wire"
)

// Head office's time reaches the till from live acks only: the retained ack
// a subscription starts with may be hours old, and an ack for another till
// says nothing.
func TestHQTimeFromLiveAcksOnly(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, stranger, _ := ed25519.GenerateKey(nil)
	u := New(Config{Store: "S001", Till: "T01", Trust: NewTrust(pub, 0, nil)}, emptyBox{}, slog.New(slog.DiscardHandler))
	got := make(chan time.Time, 4)
	u.OnHQTime(func(t time.Time) { got <- t })
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	signed := func(k ed25519.PrivateKey, store, till string, when time.Time) []byte {
		a := wire.Ack{Store: store, Till: till, Epoch: "e1", Seq: 5, Time: when}
		a.Sign(k)
		b, _ := json.Marshal(a)
		return b
	}
	ack := func(store, till string, when time.Time) []byte { return signed(key, store, till, when) }
	unsigned, _ := json.Marshal(wire.Ack{V: 1, Store: "S001", Till: "T01", Epoch: "e1", Seq: 5, Time: at.Add(3 * time.Hour)})
	u.gotAck(mqttconn.Message{Topic: "ack", Retained: true, Payload: ack("S001", "T01", at.Add(-5*time.Hour))})
	u.gotAck(mqttconn.Message{Topic: "ack", Payload: ack("S002", "T01", at.Add(-time.Hour))})
	u.gotAck(mqttconn.Message{Topic: "ack", Payload: []byte("not json")})
	// Nobody but head office sets the till's clock.
	u.gotAck(mqttconn.Message{Topic: "ack", Payload: unsigned})
	u.gotAck(mqttconn.Message{Topic: "ack", Payload: signed(stranger, "S001", "T01", at.Add(2*time.Hour))})
	u.gotAck(mqttconn.Message{Topic: "ack", Payload: ack("S001", "T01", at)})
	select {
	case t0 := <-got:
		if !t0.Equal(at) {
			t.Fatalf("head office time %v, want %v from the live ack", t0, at)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no head office time from a live ack")
	}
	select {
	case t1 := <-got:
		t.Fatalf("a second time %v came from a retained, foreign, broken or unsigned ack", t1)
	default:
	}
}
