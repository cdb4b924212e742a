package headoffice

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kasirpos/kasir/wire"
)

// Message is an MQTT message as the connection hands it over.
type Message struct {
	Topic    string
	QoS      byte
	Retained bool
	Payload  []byte
}

// Conn is the MQTT connection the worker uses; the main adapts its client to
// it. Subscribe's handler runs on the client's goroutine and must not block.
type Conn interface {
	Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error
	Subscribe(ctx context.Context, filter string, qos byte, h func(Message)) error
}

// Worker ingests what tills publish: batches of records, presence and
// config acks. Handlers only queue the message; one goroutine takes them in
// arrival order, writes them to the store, and publishes a till's ack only
// after the store has committed the batch.
type Worker struct {
	st   Store
	conn Conn
	opt  WorkerOptions
	log  *slog.Logger

	mu     sync.Mutex
	queue  []Message
	wake   chan struct{}
	warned int

	// keys caches each till's public key (only Run's goroutine uses it);
	// a miss or a signature that fails reads the database again, at most
	// once per keyRecheck per till, so a flood of forgeries cannot make
	// every message a query.
	keys map[[2]string]cachedKey
	// quiet bounds the log: one line per till and reason per minute.
	quiet map[string]time.Time
}

type cachedKey struct {
	pub     ed25519.PublicKey
	checked time.Time
}

const keyRecheck = 10 * time.Second

// WorkerOptions say which subscriptions a worker takes.
type WorkerOptions struct {
	// Shared subscribes to sales and shift records through the shared
	// subscription (wire.SharedPrefix), so the broker splits them among
	// the workers that share it.
	Shared bool
	// Presence subscribes to presence and config acks too. These are never
	// shared: one worker of the fleet (kasir-hq serve) keeps the fleet's
	// state, and extra ingest workers leave it out.
	Presence bool
	// Key is head office's signing key, asked for at every ack (so that
	// a rotated key takes effect without a restart). Required.
	Key func() ed25519.PrivateKey
}

// NewWorker makes a worker that ingests into st (a *DB, or any Store).
func NewWorker(st Store, conn Conn, opt WorkerOptions, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{st: st, conn: conn, opt: opt, log: log.With("component", "ingest"), wake: make(chan struct{}, 1),
		keys: map[[2]string]cachedKey{}, quiet: map[string]time.Time{}}
}

// queueWarn is the backlog at which the worker starts to warn, doubling each
// time: the queue is unbounded because dropping a message would leave a till
// waiting for an ack it never gets until it reconnects.
const queueWarn = 10000

// handle is the subscription callback: it must never block the MQTT client.
func (w *Worker) handle(m Message) {
	w.mu.Lock()
	w.queue = append(w.queue, m)
	n := len(w.queue)
	warn := n >= queueWarn && n >= 2*w.warned
	if warn {
		w.warned = n
	}
	w.mu.Unlock()
	if warn {
		w.log.Warn("ingest queue growing", "messages", n)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Worker) take() []Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queue
	w.queue = nil
	if len(q) < queueWarn {
		w.warned = 0
	}
	return q
}

// Run subscribes and ingests until ctx ends. It returns ctx's error, or the
// error of a failed subscription.
func (w *Worker) Run(ctx context.Context) error {
	if w.opt.Key == nil {
		return errors.New("headoffice: worker without a signing key for acks")
	}
	filters := []string{wire.UpSales, wire.UpShift}
	if w.opt.Shared {
		for i, f := range filters {
			filters[i] = wire.SharedPrefix + f
		}
	}
	if w.opt.Presence {
		filters = append(filters, wire.UpStatus, wire.UpConfigAck)
	}
	for _, f := range filters {
		if err := w.conn.Subscribe(ctx, f, 1, w.handle); err != nil {
			return fmt.Errorf("headoffice: subscribe %s: %w", f, err)
		}
	}
	w.log.Info("ingest running", "filters", strings.Join(filters, " "))
	for {
		for _, m := range w.take() {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.process(ctx, m)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.wake:
		}
	}
}

// process handles one message. Nothing in it returns an error: a message
// that cannot be applied is logged and dropped, and what the till has not
// been acknowledged it sends again.
func (w *Worker) process(ctx context.Context, m Message) {
	store, till, kind, ok := parseUpTopic(m.Topic)
	if !ok {
		w.log.Warn("message on an unexpected topic dropped", "topic", m.Topic)
		return
	}
	if len(m.Payload) == 0 {
		return // a retained message being cleared
	}
	switch kind {
	case "sales", "shift":
		w.ingest(ctx, m, store, till)
	case "status":
		s, err := parseStatus(m.Payload, store, till)
		if err == nil {
			err = w.st.RecordStatus(ctx, s)
		}
		if err != nil {
			w.log.Error("status not recorded", "topic", m.Topic, "err", err)
		}
	case "config-ack":
		var a wire.ConfigAck
		err := json.Unmarshal(m.Payload, &a)
		if err == nil && (a.Store != store || a.Till != till) {
			err = fmt.Errorf("%w config ack: from %s/%s on the topic of %s/%s", ErrMalformed, a.Store, a.Till, store, till)
		}
		if err == nil {
			err = w.st.RecordConfigAck(ctx, a)
		}
		if err != nil {
			w.log.Error("config ack not recorded", "topic", m.Topic, "err", err)
		}
	}
}

func (w *Worker) ingest(ctx context.Context, m Message, store, till string) {
	var b wire.Batch
	if err := json.Unmarshal(m.Payload, &b); err != nil {
		w.refuse(ctx, store, till, RefusedMalformed, fmt.Sprintf("%d bytes on %s: %v", len(m.Payload), m.Topic, err))
		return
	}
	if !w.authentic(ctx, m.Topic, store, till, &b) {
		return
	}
	ack, gap, err := w.st.Ingest(ctx, &b)
	if errors.Is(err, ErrMalformed) {
		w.log.Error("malformed batch dropped", "topic", m.Topic, "id", b.ID, "err", err)
		return
	}
	if err != nil {
		// Nothing committed, so nothing is acknowledged: the till sends
		// the records again.
		w.log.Error("batch not ingested", "topic", m.Topic, "id", b.ID, "err", err)
		return
	}
	if gap != nil {
		// A till sends several batches at once, so a gap that fills a
		// moment later is normal; one that stays shows on the fleet page.
		w.log.Debug("records waiting for earlier ones", "store", store, "till", till, "epoch", gap.Epoch, "from", gap.From, "to", gap.To)
	}
	ack.Sign(w.opt.Key())
	payload, err := json.Marshal(ack)
	if err != nil {
		w.log.Error("ack not encoded", "err", err)
		return
	}
	// Only now, after the commit, may the till learn that these records
	// are safe: it deletes them from its outbox on this ack.
	if err := w.conn.Publish(ctx, wire.AckTopic(store, till), 1, true, payload); err != nil {
		// The next batch of this till acks again.
		w.log.Error("ack not published", "store", store, "till", till, "seq", ack.Seq, "err", err)
		return
	}
	w.log.Debug("batch ingested", "id", b.ID, "acked", ack.Seq)
}

// authentic reports whether a batch is provably its till's: on that till's
// topic, of the signed version, signed by the key registered for that till.
// Whatever fails is refused, counted for the fleet page, and never
// acknowledged: acking it would delete the real till's records.
func (w *Worker) authentic(ctx context.Context, topic, store, till string, b *wire.Batch) bool {
	switch {
	case b.Store != store || b.Till != till:
		w.refuse(ctx, store, till, RefusedWrongTopic, fmt.Sprintf("batch %s of %s/%s on %s", b.ID, b.Store, b.Till, topic))
		return false
	case b.V < wire.BatchVersion || len(b.Sig) == 0:
		w.refuse(ctx, store, till, RefusedUnsigned, fmt.Sprintf("batch %s of version %d: the till's software is too old to sign its sales; update it", b.ID, b.V))
		return false
	}
	pub, err := w.tillKey(ctx, store, till, false)
	if errors.Is(err, ErrUnknownTill) {
		w.refuse(ctx, store, till, RefusedUnknownTill, fmt.Sprintf("batch %s: no key registered (kasir-hq till add)", b.ID))
		return false
	}
	if err != nil {
		// The database failed: not the till's fault, and nothing is
		// acknowledged, so the till sends it again.
		w.log.Error("till key not read; batch left for the till to resend", "store", store, "till", till, "err", err)
		return false
	}
	if b.Verify(pub) == nil {
		return true
	}
	// The till may have been provisioned again since the key was cached.
	if fresh, err := w.tillKey(ctx, store, till, true); err == nil && !fresh.Equal(pub) && b.Verify(fresh) == nil {
		return true
	}
	w.refuse(ctx, store, till, RefusedBadSignature, fmt.Sprintf("batch %s epoch %s seq %d-%d", b.ID, b.Epoch, b.First, b.Last))
	return false
}

// tillKey returns a till's key from the cache or, when absent or when
// fresh is asked and the cached one is older than keyRecheck, from the
// store.
func (w *Worker) tillKey(ctx context.Context, store, till string, fresh bool) (ed25519.PublicKey, error) {
	k := [2]string{store, till}
	c, ok := w.keys[k]
	now := time.Now()
	if ok && c.pub != nil && (!fresh || now.Sub(c.checked) < keyRecheck) {
		return c.pub, nil
	}
	if ok && c.pub == nil && now.Sub(c.checked) < keyRecheck {
		return nil, fmt.Errorf("%w %s/%s", ErrUnknownTill, store, till)
	}
	pub, err := w.st.TillKey(ctx, store, till)
	switch {
	case err == nil:
		w.keys[k] = cachedKey{pub: pub, checked: now}
	case errors.Is(err, ErrUnknownTill):
		if len(w.keys) > 100000 {
			clear(w.keys) // made-up codes must not grow the cache for ever
		}
		w.keys[k] = cachedKey{checked: now}
	}
	return pub, err
}

// refuse logs and counts a message that is not provably its till's.
func (w *Worker) refuse(ctx context.Context, store, till, reason, detail string) {
	if err := w.st.RecordRefusal(ctx, Refusal{Store: store, Till: till, Reason: reason, Detail: detail}); err != nil {
		w.log.Error("refusal not recorded", "err", err)
	}
	key := store + "/" + till + "/" + reason
	if now := time.Now(); now.Sub(w.quiet[key]) >= time.Minute {
		if len(w.quiet) > 10000 {
			clear(w.quiet)
		}
		w.quiet[key] = now
		w.log.Warn("batch refused: not provably the till's; not acknowledged", "store", store, "till", till,
			"reason", reason, "detail", detail)
	}
}

// parseUpTopic splits pos/up/{store}/{till}/{kind}.
func parseUpTopic(topic string) (store, till, kind string, ok bool) {
	p := strings.Split(topic, "/")
	if len(p) != 5 || p[0] != "pos" || p[1] != "up" || !wire.ValidCode(p[2]) || !wire.ValidCode(p[3]) {
		return "", "", "", false
	}
	switch p[4] {
	case "sales", "shift", "status", "config-ack":
		return p[2], p[3], p[4], true
	}
	return "", "", "", false
}

// parseStatus reads a status. A last will may be just the word offline
// (bare or as a JSON string); the store and till are then the topic's.
func parseStatus(payload []byte, store, till string) (wire.Status, error) {
	switch strings.TrimSpace(string(payload)) {
	case "offline", `"offline"`:
		return wire.Status{V: wire.Version, Store: store, Till: till}, nil
	}
	var s wire.Status
	if err := json.Unmarshal(payload, &s); err != nil {
		return s, fmt.Errorf("%w status: %v", ErrMalformed, err)
	}
	if s.Store != store || s.Till != till {
		return s, fmt.Errorf("%w status: from %s/%s on the topic of %s/%s", ErrMalformed, s.Store, s.Till, store, till)
	}
	return s, nil
}
