package uplink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/wire"
)

var errLost = errors.New("uplink: connection lost")

// pubAckTimeout bounds the wait for a PUBACK: a broker that takes longer
// is stuck, and the connection is dropped and made again. (The client's
// keepalive usually notices a dead link sooner.)
const pubAckTimeout = time.Minute

// goodbyeTimeout bounds the offline status sent before a deliberate
// disconnect (shutdown, switch off, a failed publish).
const goodbyeTimeout = 2 * time.Second

// session is one connection: dial, subscribe, announce, drain until the
// connection fails or ctx ends. connected says whether it got as far as
// draining.
func (u *Uplink) session(ctx context.Context) (connected bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u.mu.Lock()
	if !u.enabled.Load() {
		u.mu.Unlock()
		return false, errDisabled
	}
	u.cancelRun = cancel
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.cancelRun = nil
		u.mu.Unlock()
	}()

	will, err := json.Marshal(wire.Status{V: wire.Version, Store: u.cfg.Store, Till: u.cfg.Till, Online: false})
	if err != nil {
		return false, err
	}
	statusTopic := wire.StatusTopic(u.cfg.Store, u.cfg.Till)
	conn, err := u.cfg.Dial(ctx, &mqttconn.Message{Topic: statusTopic, QoS: 1, Retained: true, Payload: will})
	if err != nil {
		if !u.enabled.Load() {
			return false, errDisabled
		}
		return false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	defer func() {
		select {
		case <-conn.Done():
			return
		default:
		}
		// A DISCONNECT suppresses the will, so say offline ourselves, or
		// the retained status would claim online until the next connect.
		gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), goodbyeTimeout)
		defer cancel()
		if b, err := u.status(gctx, false); err == nil {
			conn.Publish(gctx, statusTopic, 1, true, b)
		}
	}()

	if err := conn.Subscribe(ctx, wire.AckTopic(u.cfg.Store, u.cfg.Till), 1, u.gotAck); err != nil {
		return false, fmt.Errorf("subscribe to acks: %w", err)
	}
	if u.onDown != nil {
		// The key chain first: catalogs and configs signed by a key
		// this till has not rotated to yet wait for it (Downlink).
		for _, topic := range []string{wire.KeysTopic, wire.CatalogTopic(u.cfg.Store), wire.StoreConfigTopic(u.cfg.Store),
			wire.TillConfigTopic(u.cfg.Store, u.cfg.Till), wire.AllConfigTopic} {
			// A refused catalog or config topic is a provisioning fault to
			// shout about, but sales must still flow up.
			if err := conn.Subscribe(ctx, topic, 1, u.gotDown); err != nil {
				if ctx.Err() != nil {
					return false, err
				}
				u.log.Error("subscription refused; catalog and config from it will not arrive", "topic", topic, "err", err)
			}
		}
	}
	st, err := u.box.SyncState(ctx)
	if err != nil {
		return false, fmt.Errorf("read sync state: %w", err)
	}
	u.setConnected(true)
	defer u.setConnected(false)
	u.mu.Lock()
	u.conn = conn
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.conn = nil
		u.mu.Unlock()
	}()
	go u.flushOut(ctx, conn)
	u.log.Info("uplink connected", "acked", st.AckedSeq, "backlog", st.Unsynced)

	d := &drain{
		u: u, conn: conn, ctx: ctx,
		acked: st.AckedSeq, sentUpTo: st.AckedSeq,
		dirty:   true,
		results: make(chan result, u.cfg.InFlight+1),
	}
	err = d.run()
	if ctx.Err() != nil && !u.enabled.Load() {
		err = errDisabled
	}
	return true, err
}

// status is the till's presence as JSON.
func (u *Uplink) status(ctx context.Context, online bool) ([]byte, error) {
	var s wire.Status
	if u.cfg.Status != nil {
		s = u.cfg.Status()
	}
	s.V, s.Store, s.Till, s.Online = wire.Version, u.cfg.Store, u.cfg.Till, online
	s.Time, s.Epoch = u.cfg.Now(), u.box.Epoch()
	if u.cfg.Software != "" {
		s.Software = u.cfg.Software
	}
	st, err := u.box.SyncState(ctx)
	if err != nil {
		return nil, fmt.Errorf("read sync state: %w", err)
	}
	s.LastSeq, s.AckedSeq, s.Backlog = st.LastSeq, st.AckedSeq, st.Unsynced
	s.OldestUnsynced, s.LastAck = st.OldestUnsynced, st.LastAck
	return json.Marshal(s)
}

// result is how a publish goroutine reports back.
type result struct {
	status bool // a presence message, not a batch
	err    error
}

// drain is the state of one session's drain. Only the Run goroutine
// touches it; publishes run on goroutines of their own and report on
// results.
type drain struct {
	u    *Uplink
	conn Conn
	ctx  context.Context

	acked    int64 // head office's high-water mark
	sentUpTo int64 // the last seq handed to a publish in this round
	pending  []appliance.OutboxRow
	dirty    bool // the outbox may hold rows after sentUpTo that pending lacks
	inflight int
	results  chan result
	// progress is when acked last advanced or sending last restarted from
	// it: acks that stall ResendAfter past it trigger a resend.
	progress time.Time

	statusBusy  bool
	statusDirty bool
	lastStatus  time.Time
	retryAck    []byte // an ack the outbox failed to take, to try again
	// unverified is the last ack whose signature did not hold, tried
	// again once the trusted key has moved (a rotation may have
	// arrived after it); keyVersion is the version it failed against.
	unverified []byte
	keyVersion int64
}

func (d *drain) run() error {
	u := d.u
	poll := min(time.Second, u.cfg.ResendAfter/2, u.cfg.StatusEvery/2)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		if err := d.sendStatus(); err != nil {
			return err
		}
		if err := d.fill(); err != nil {
			return err
		}
		select {
		case <-d.ctx.Done():
			return d.ctx.Err()
		case <-d.conn.Done():
			return errLost
		case r := <-d.results:
			if r.status {
				d.statusBusy = false
			} else {
				d.inflight--
			}
			if r.err != nil {
				return r.err
			}
		case <-u.kick:
			d.dirty = true
		case <-u.ackMail:
			d.applyAck(u.takeAck())
		case <-tick.C:
			d.dirty = true
			if d.retryAck != nil {
				d.applyAck(d.retryAck)
			}
			if d.unverified != nil {
				if _, v := u.cfg.Trust.Key(); v != d.keyVersion {
					d.applyAck(d.unverified)
				}
			}
			d.checkResend()
		}
	}
}

// fill starts publishes until InFlight are outstanding or the outbox is
// drained.
func (d *drain) fill() error {
	u := d.u
	for d.inflight < u.cfg.InFlight {
		if len(d.pending) == 0 {
			if !d.dirty {
				return nil
			}
			limit := u.cfg.MaxBatchRecords * u.cfg.InFlight
			rows, err := u.box.Outbox(d.ctx, d.sentUpTo, limit)
			if err != nil {
				return fmt.Errorf("read outbox after %d: %w", d.sentUpTo, err)
			}
			d.pending, d.dirty = rows, len(rows) == limit
			if len(rows) == 0 {
				return nil
			}
		}
		var rows []appliance.OutboxRow
		rows, d.pending = cut(d.pending, u.cfg.MaxBatchBytes, u.cfg.MaxBatchRecords)
		if err := d.publish(rows); err != nil {
			return err
		}
	}
	return nil
}

// cut takes the first batch off rows: consecutive seqs of one topic, at
// most maxRecords and maxBytes of bodies, but always at least one row, so
// an oversized record still goes, alone.
func cut(rows []appliance.OutboxRow, maxBytes, maxRecords int) (batch, rest []appliance.OutboxRow) {
	n, size := 0, 0
	for n < len(rows) && n < maxRecords {
		r := rows[n]
		if n > 0 && (r.Topic != rows[0].Topic || r.Seq != rows[n-1].Seq+1 || size+len(r.Body) > maxBytes) {
			break
		}
		size += len(r.Body)
		n++
	}
	return rows[:n], rows[n:]
}

func (d *drain) publish(rows []appliance.OutboxRow) error {
	u := d.u
	first, last := rows[0].Seq, rows[len(rows)-1].Seq
	epoch := u.box.Epoch()
	b := wire.Batch{V: wire.BatchVersion, ID: wire.BatchID(u.cfg.Till, epoch, first, last),
		Store: u.cfg.Store, Till: u.cfg.Till, Epoch: epoch, First: first, Last: last,
		Records: make([]json.RawMessage, len(rows))}
	for i, r := range rows {
		b.Records[i] = r.Body
	}
	b.Sign(u.cfg.Key)
	payload, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode batch %s: %w", b.ID, err)
	}
	topic := wire.ShiftTopic(u.cfg.Store, u.cfg.Till)
	if rows[0].Topic == "sales" {
		topic = wire.SalesTopic(u.cfg.Store, u.cfg.Till)
	}
	if d.sentUpTo <= d.acked {
		d.progress = time.Now() // nothing was outstanding: the wait for an ack starts now
	}
	d.sentUpTo = last
	d.inflight++
	go func() {
		ctx, cancel := context.WithTimeout(d.ctx, pubAckTimeout)
		defer cancel()
		err := d.conn.Publish(ctx, topic, 1, false, payload)
		if err != nil {
			err = fmt.Errorf("publish batch %s: %w", b.ID, err)
		}
		// The completed publish proves nothing about head office: rows
		// stay until its ack covers them.
		d.results <- result{err: err}
	}()
	return nil
}

// applyAck takes head office's ack into the outbox.
func (d *drain) applyAck(raw []byte) {
	u := d.u
	d.retryAck = nil
	if raw == nil {
		return
	}
	var a wire.Ack
	if err := json.Unmarshal(raw, &a); err != nil {
		u.log.Warn("ack unreadable, ignored", "err", err)
		return
	}
	key, kv := u.cfg.Trust.Key()
	if err := a.Verify(key); err != nil {
		// Whoever made it, it was not head office: an ack deletes
		// outbox rows, so nothing is deleted on its word.
		if !bytes.Equal(raw, d.unverified) {
			u.log.Error("ack not signed by head office, ignored; nothing deleted", "seq", a.Seq, "epoch", a.Epoch, "err", err)
		}
		d.unverified, d.keyVersion = raw, kv
		return
	}
	d.unverified = nil
	if a.Store != u.cfg.Store || a.Till != u.cfg.Till {
		u.log.Warn("ack for another till, ignored", "ack_store", a.Store, "ack_till", a.Till, "seq", a.Seq)
		return
	}
	if epoch := u.box.Epoch(); a.Epoch != epoch {
		// Head office still holds the ack of a database this till no
		// longer has (reinstalled, restored): it says nothing about ours.
		u.log.Warn("ack for another epoch, ignored", "ack_epoch", a.Epoch, "epoch", epoch, "seq", a.Seq)
		return
	}
	if a.Seq <= d.acked {
		return
	}
	now := u.cfg.Now()
	if err := u.box.Ack(d.ctx, a.Seq, now); err != nil {
		if appliance.ErrorCode(err) == appliance.CodeConflict {
			u.log.Error("HEAD OFFICE ACKNOWLEDGED RECORDS THIS TILL NEVER MADE; ack ignored, nothing deleted",
				"seq", a.Seq, "epoch", a.Epoch, "err", err)
			return
		}
		u.log.Error("ack not stored, will retry", "seq", a.Seq, "err", err)
		d.retryAck = raw
		return
	}
	d.acked = a.Seq
	if d.sentUpTo < d.acked {
		d.sentUpTo = d.acked
		d.pending = nil
		d.dirty = true
	}
	for len(d.pending) > 0 && d.pending[0].Seq <= d.acked {
		d.pending = d.pending[1:]
	}
	d.progress = time.Now()
	d.statusDirty = true
	u.noteAck(a.Seq, now)
}

// checkResend starts again from the ack when head office has gone quiet:
// a batch may have been lost between broker and head office (or a token
// completed for a message the broker never got).
func (d *drain) checkResend() {
	if d.sentUpTo <= d.acked || time.Since(d.progress) < d.u.cfg.ResendAfter {
		return
	}
	d.u.log.Info("no ack, resending", "acked", d.acked, "sent", d.sentUpTo)
	d.sentUpTo, d.pending, d.dirty = d.acked, nil, true
	d.progress = time.Now()
}

// sendStatus publishes presence when due: at connect, every StatusEvery,
// and after the ack advanced, at most once a second.
func (d *drain) sendStatus() error {
	if d.statusBusy {
		return nil
	}
	since := time.Since(d.lastStatus)
	if !d.lastStatus.IsZero() && since < d.u.cfg.StatusEvery && !(d.statusDirty && since >= time.Second) {
		return nil
	}
	b, err := d.u.status(d.ctx, true)
	if err != nil {
		return err
	}
	d.statusBusy, d.statusDirty, d.lastStatus = true, false, time.Now()
	topic := wire.StatusTopic(d.u.cfg.Store, d.u.cfg.Till)
	go func() {
		ctx, cancel := context.WithTimeout(d.ctx, pubAckTimeout)
		defer cancel()
		err := d.conn.Publish(ctx, topic, 1, true, b)
		if err != nil {
			err = fmt.Errorf("publish status: %w", err)
		}
		d.results <- result{status: true, err: err}
	}()
	return nil
}
