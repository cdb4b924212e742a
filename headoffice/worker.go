package headoffice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

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
}

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
}

// NewWorker makes a worker that ingests into st (a *DB, or any Store).
func NewWorker(st Store, conn Conn, opt WorkerOptions, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{st: st, conn: conn, opt: opt, log: log.With("component", "ingest"), wake: make(chan struct{}, 1)}
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
		w.log.Error("malformed batch dropped", "topic", m.Topic, "bytes", len(m.Payload), "err", err)
		return
	}
	// The broker's ACL lets a till publish only on its own topics; a batch
	// naming another till on them is not trusted.
	if b.Store != store || b.Till != till {
		w.log.Error("batch for another till dropped", "topic", m.Topic, "store", b.Store, "till", b.Till)
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
