package uplink

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/wire"
)

// Config says who the till is and how to drain. Zero values take the
// defaults noted.
type Config struct {
	Store, Till string
	// Dial makes one connection attempt with will as the last will. The
	// main wraps mqttconn.Dial with the broker, credentials and TLS.
	Dial func(ctx context.Context, will *mqttconn.Message) (Conn, error)
	// Key is the till's own signing key (wire.Provision.TillKey): every
	// batch is signed with it. Without one the uplink does not connect,
	// and says why in State.LastError; the till sells on.
	Key ed25519.PrivateKey
	// Trust is head office's key as the till trusts it: an ack that it
	// did not sign deletes nothing. Required.
	Trust *Trust

	MaxBatchBytes   int           // bytes of records per message, default 64 KiB
	MaxBatchRecords int           // records per message, default 500
	InFlight        int           // messages awaiting PUBACK at once, default 4
	ResendAfter     time.Duration // resend from the last ack when it stalls this long, default 30s
	StatusEvery     time.Duration // presence refresh, default 60s
	MinBackoff      time.Duration // reconnect backoff, default 1s
	MaxBackoff      time.Duration // default 60s
	// Now stamps acks and status (default time.Now). Intervals are measured
	// on the monotonic clock regardless.
	Now      func() time.Time
	Software string
	// Status, if set, fills the till's part of its presence: devices,
	// catalog and config versions. It is called from the uplink's
	// goroutine and must be quick.
	Status func() wire.Status
}

// Conn is what the uplink needs of a connection; *mqttconn.Conn has it.
type Conn interface {
	// Publish returns once the broker acknowledged (QoS 1) or ctx ended.
	Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error
	// Subscribe's handler must return quickly (it runs on the client's
	// router goroutine).
	Subscribe(ctx context.Context, filter string, qos byte, h func(mqttconn.Message)) error
	Close()
	// Done is closed when the connection is lost or closed: without it an
	// idle till would go on showing itself online, and offering payments
	// that need the network, after its link died.
	Done() <-chan struct{}
}

var _ Conn = (*mqttconn.Conn)(nil)

// State is what the till shows of its link.
type State struct {
	Connected bool
	Since     time.Time // when Connected last changed
	LastError string    // why the last connection ended or failed
	LastAck   time.Time // when head office's ack last advanced
	AckedSeq  int64
	Enabled   bool
}

// Uplink drains one till's outbox. Make it with New, start Run once.
type Uplink struct {
	cfg    Config
	box    appliance.Outbox
	log    *slog.Logger
	onDown func(mqttconn.Message)
	// onHQTime gets head office's clock from live acks.
	onHQTime func(time.Time)

	online  atomic.Bool
	enabled atomic.Bool
	kick    chan struct{} // a record was committed
	wake    chan struct{} // enabled changed
	ackMail chan struct{} // an ack waits in ack
	down    chan struct{} // a message waits in downs

	// mu guards what follows. It is never held during I/O, so the selling
	// path (State) cannot wait behind the network.
	mu        sync.Mutex
	state     State
	ack       []byte // the newest ack received; acks are monotonic, so older ones can go
	downs     []mqttconn.Message
	cancelRun context.CancelFunc // ends the current session (SetEnabled(false))
	conn      Conn               // the current session's connection, or nil
	outq      map[string][]byte  // retained messages to send, newest per topic (Publish)
}

// New makes an uplink for box. It does nothing until Run.
func New(cfg Config, box appliance.Outbox, log *slog.Logger) *Uplink {
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = 64 << 10
	}
	if cfg.MaxBatchRecords <= 0 {
		cfg.MaxBatchRecords = 500
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = 4
	}
	if cfg.ResendAfter <= 0 {
		cfg.ResendAfter = 30 * time.Second
	}
	if cfg.StatusEvery <= 0 {
		cfg.StatusEvery = 60 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(60*time.Second, cfg.MinBackoff)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := &Uplink{
		cfg: cfg, box: box,
		log:     log.With("component", "uplink", "store", cfg.Store, "till", cfg.Till),
		kick:    make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		ackMail: make(chan struct{}, 1),
		down:    make(chan struct{}, 1),
	}
	u.enabled.Store(true)
	u.state.Enabled = true
	return u
}

// OnDown sets the handler for catalog and config messages. Set it before
// Run; it runs on a goroutine of its own, one message at a time, and gets
// only the newest message of each topic when it falls behind.
func (u *Uplink) OnDown(h func(mqttconn.Message)) { u.onDown = h }

// OnHQTime sets h to be called with head office's time from every ack that
// arrives live — never from the retained one a subscription starts with,
// which may be hours old. A till without a battery clock uses it to trust
// its clock (Till.SeenHQTime). Set it before Run. h runs on its own
// goroutine.
func (u *Uplink) OnHQTime(h func(time.Time)) { u.onHQTime = h }

// Trust is the head-office key the uplink checks acks with; the downlink
// moves it along head office's rotations.
func (u *Uplink) Trust() *Trust { return u.cfg.Trust }

// Kick says a record was committed: drain now rather than at the next poll.
// It never blocks.
func (u *Uplink) Kick() { signal(u.kick) }

// Online reports whether the till is connected to the broker now. It never
// blocks.
func (u *Uplink) Online() bool { return u.online.Load() }

// State returns the link's state. It never waits on the network.
func (u *Uplink) State() State {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.state
}

// SetEnabled switches the link on or off (the demo's "cut the uplink"). Off
// says goodbye (retained offline status), disconnects and stays off while
// the backlog grows; on reconnects at once.
func (u *Uplink) SetEnabled(on bool) {
	u.enabled.Store(on)
	u.mu.Lock()
	u.state.Enabled = on
	if !on && u.cancelRun != nil {
		u.cancelRun()
	}
	u.mu.Unlock()
	signal(u.wake)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

var errDisabled = errors.New("uplink: switched off")

// Run drains until ctx ends, then returns nil. It reconnects forever, with
// a capped, fully jittered exponential backoff. It returns an error only
// for a configuration it cannot run with.
func (u *Uplink) Run(ctx context.Context) error {
	if u.cfg.Dial == nil {
		return errors.New("uplink: no Dial")
	}
	if !wire.ValidCode(u.cfg.Store) || !wire.ValidCode(u.cfg.Till) {
		return fmt.Errorf("uplink: store %q till %q are not valid codes", u.cfg.Store, u.cfg.Till)
	}
	if u.cfg.Trust == nil {
		return errors.New("uplink: no head-office key to check acks with")
	}
	if u.cfg.Key == nil {
		// Head office would refuse every batch: say so where the
		// technician looks, and keep the records until a new
		// provisioning file brings a key.
		u.mu.Lock()
		u.state.LastError = wire.ErrNoTillKey.Error()
		u.mu.Unlock()
		u.log.Error("not connecting: the provisioning file has no till key", "err", wire.ErrNoTillKey)
		<-ctx.Done()
		return nil
	}
	if st, err := u.box.SyncState(ctx); err == nil {
		u.mu.Lock()
		u.state.AckedSeq, u.state.LastAck = st.AckedSeq, st.LastAck
		u.mu.Unlock()
	}
	if u.onDown != nil {
		go u.deliverDown(ctx)
	}
	attempt := 0
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !u.enabled.Load() {
			select {
			case <-ctx.Done():
				return nil
			case <-u.wake:
			}
			attempt = 0
			continue
		}
		connected, err := u.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errDisabled) || !u.enabled.Load() {
			u.log.Info("uplink switched off")
			continue
		}
		if connected {
			attempt = 0
		}
		u.mu.Lock()
		u.state.LastError = err.Error()
		u.mu.Unlock()
		wait := backoff(u.cfg.MinBackoff, u.cfg.MaxBackoff, attempt)
		attempt++
		u.log.Warn("uplink down", "err", err, "retry_in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-u.wake:
			t.Stop()
			attempt = 0
		}
	}
}

// backoff is "full jitter": a uniform wait up to min(hi, lo·2^attempt).
// Tills that lost the same broker at once come back spread out.
func backoff(lo, hi time.Duration, attempt int) time.Duration {
	ceil := hi
	if attempt < 30 && lo<<attempt < hi {
		ceil = lo << attempt
	}
	return rand.N(ceil) + 1
}

func (u *Uplink) setConnected(on bool) {
	u.online.Store(on)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.state.Connected != on {
		u.state.Connected, u.state.Since = on, u.cfg.Now()
	}
	if on {
		u.state.LastError = ""
	}
}

func (u *Uplink) noteAck(seq int64, t time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.state.AckedSeq, u.state.LastAck = seq, t
}

// gotAck runs on the client's router goroutine: keep the newest and go.
func (u *Uplink) gotAck(m mqttconn.Message) {
	u.mu.Lock()
	u.ack = m.Payload
	u.mu.Unlock()
	signal(u.ackMail)
	if u.onHQTime != nil && !m.Retained {
		// Only head office's own word sets the clock.
		var a wire.Ack
		if json.Unmarshal(m.Payload, &a) == nil && a.Store == u.cfg.Store && a.Till == u.cfg.Till && !a.Time.IsZero() {
			if key, _ := u.cfg.Trust.Key(); a.Verify(key) == nil {
				go u.onHQTime(a.Time)
			}
		}
	}
}

func (u *Uplink) takeAck() []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	a := u.ack
	u.ack = nil
	return a
}

// gotDown runs on the client's router goroutine. Catalogs and configs are
// retained snapshots, so only the newest of each topic matters.
func (u *Uplink) gotDown(m mqttconn.Message) {
	u.mu.Lock()
	kept := false
	for i := range u.downs {
		if u.downs[i].Topic == m.Topic {
			u.downs[i], kept = m, true
		}
	}
	if !kept {
		u.downs = append(u.downs, m)
	}
	u.mu.Unlock()
	signal(u.down)
}

func (u *Uplink) deliverDown(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.down:
		}
		u.mu.Lock()
		msgs := u.downs
		u.downs = nil
		u.mu.Unlock()
		for _, m := range msgs {
			u.onDown(m)
		}
	}
}
