package uplink

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/wire"
)

// emptyBox is an outbox with nothing in it.
type emptyBox struct{}

func (emptyBox) Epoch() string { return "e1" }
func (emptyBox) Outbox(context.Context, int64, int) ([]appliance.OutboxRow, error) {
	return nil, nil
}
func (emptyBox) Ack(context.Context, int64, time.Time) error { return nil }
func (emptyBox) SyncState(context.Context) (appliance.SyncState, error) {
	return appliance.SyncState{}, nil
}

// With no broker, attempts back off exponentially up to the cap, each
// testKey stands in for the till's and head office's keys where no
// message is ever signed or checked.
var testKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// wait jittered below its ceiling, and go on until Run's context ends.
func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const lo, hi = time.Second, time.Minute
		var dials []time.Time
		u := New(Config{Store: "S001", Till: "T01", MinBackoff: lo, MaxBackoff: hi, Key: testKey, Trust: NewTrust(testKey.Public().(ed25519.PublicKey), 0, nil),
			Dial: func(ctx context.Context, _ *mqttconn.Message) (Conn, error) {
				dials = append(dials, time.Now())
				return nil, errors.New("connection refused")
			}}, emptyBox{}, nil)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- u.Run(ctx) }()
		time.Sleep(time.Hour)
		synctest.Wait()
		if u.Online() || u.State().LastError == "" {
			t.Errorf("Online = %v, State = %+v", u.Online(), u.State())
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		// An hour of waits capped at a minute: at least 60 attempts.
		if len(dials) < 60 {
			t.Fatalf("%d attempts in an hour", len(dials))
		}
		var capped int
		for i := 1; i < len(dials); i++ {
			gap := dials[i].Sub(dials[i-1])
			ceil := min(hi, lo<<min(i-1, 30))
			if gap <= 0 || gap > ceil {
				t.Errorf("wait %d = %v, want in (0, %v]", i, gap, ceil)
			}
			if gap > lo<<4 {
				capped++
			}
		}
		if capped == 0 {
			t.Error("waits never grew")
		}
	})
}

// Switching off stops the attempts; switching on retries at once, however
// long the backoff had grown.
func TestSwitchOffStopsDialing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var dials int
		u := New(Config{Store: "S001", Till: "T01", MinBackoff: time.Hour, MaxBackoff: 24 * time.Hour, Key: testKey, Trust: NewTrust(testKey.Public().(ed25519.PublicKey), 0, nil),
			Dial: func(ctx context.Context, _ *mqttconn.Message) (Conn, error) {
				dials++
				return nil, fmt.Errorf("refused")
			}}, emptyBox{}, nil)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go u.Run(ctx)
		synctest.Wait()
		if dials != 1 {
			t.Fatalf("%d dials at start", dials)
		}
		u.SetEnabled(false)
		time.Sleep(48 * time.Hour)
		synctest.Wait()
		if dials != 1 {
			t.Errorf("%d dials while off", dials)
		}
		if u.State().Enabled {
			t.Error("State.Enabled after SetEnabled(false)")
		}
		u.SetEnabled(true)
		synctest.Wait()
		if dials != 2 {
			t.Errorf("%d dials after switching on, want 2", dials)
		}
		// Kick, Online and State answer at once while the uplink waits.
		u.Kick()
		u.Kick()
		_ = u.Online()
		_ = u.State()
	})
}

func TestCut(t *testing.T) {
	row := func(seq int64, topic string, size int) appliance.OutboxRow {
		return appliance.OutboxRow{Seq: seq, Topic: topic, Body: make([]byte, size)}
	}
	rows := []appliance.OutboxRow{
		row(1, "sales", 10), row(2, "sales", 10), row(3, "sales", 10), row(4, "shift", 10),
		row(5, "sales", 100), row(6, "sales", 10), row(8, "sales", 10), row(9, "sales", 10),
	}
	tests := []struct {
		name               string
		from               int
		maxBytes, maxRecs  int
		wantFirst, wantLen int
	}{
		{"stops at a topic change", 0, 1000, 100, 1, 3},
		{"record limit", 0, 1000, 2, 1, 2},
		{"byte limit", 0, 25, 100, 1, 2},
		{"a topic alone", 3, 1000, 100, 4, 1},
		{"an oversized record alone", 4, 50, 100, 5, 1},
		{"stops at a gap", 5, 1000, 100, 6, 1},
		{"the rest", 6, 1000, 100, 8, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, rest := cut(rows[tt.from:], tt.maxBytes, tt.maxRecs)
			if len(b) != tt.wantLen || b[0].Seq != int64(tt.wantFirst) || len(rest) != len(rows)-tt.from-tt.wantLen {
				t.Errorf("cut = %d rows from %d, %d left", len(b), b[0].Seq, len(rest))
			}
		})
	}
}

// A provisioning file from before tills signed their batches: the uplink
// never connects (head office would refuse every batch) and says why.
func TestNoTillKeyNoConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dials := 0
		u := New(Config{Store: "S001", Till: "T01", Trust: NewTrust(testKey.Public().(ed25519.PublicKey), 0, nil),
			Dial: func(ctx context.Context, _ *mqttconn.Message) (Conn, error) {
				dials++
				return nil, errors.New("refused")
			}}, emptyBox{}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- u.Run(ctx) }()
		time.Sleep(time.Hour)
		synctest.Wait()
		if st := u.State(); dials != 0 || st.LastError != wire.ErrNoTillKey.Error() {
			t.Errorf("%d dials, state %+v", dials, st)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}
