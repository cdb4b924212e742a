package uplink

import (
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
	u := New(Config{Store: "S001", Till: "T01"}, emptyBox{}, slog.New(slog.DiscardHandler))
	got := make(chan time.Time, 4)
	u.OnHQTime(func(t time.Time) { got <- t })
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	ack := func(store, till string, when time.Time) []byte {
		b, _ := json.Marshal(wire.Ack{V: 1, Store: store, Till: till, Epoch: "e1", Seq: 5, Time: when})
		return b
	}
	u.gotAck(mqttconn.Message{Topic: "ack", Retained: true, Payload: ack("S001", "T01", at.Add(-5*time.Hour))})
	u.gotAck(mqttconn.Message{Topic: "ack", Payload: ack("S002", "T01", at.Add(-time.Hour))})
	u.gotAck(mqttconn.Message{Topic: "ack", Payload: []byte("not json")})
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
		t.Fatalf("a second time %v came from a retained, foreign or broken ack", t1)
	default:
	}
}
