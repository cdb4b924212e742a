package uplink

import (
	"context"
)

// Publish sends a retained message (QoS 1) on the till's connection: the
// config-acks of the downlink. While offline it is kept, newest per topic,
// and sent on the next connection; it never fails for want of a link.
func (u *Uplink) Publish(ctx context.Context, topic string, payload []byte) error {
	u.mu.Lock()
	if u.outq == nil {
		u.outq = map[string][]byte{}
	}
	u.outq[topic] = payload
	conn := u.conn
	u.mu.Unlock()
	if conn != nil {
		u.flushOut(ctx, conn)
	}
	return nil
}

// flushOut sends what Publish queued. A message that fails goes back in
// the queue unless a newer one for its topic arrived meanwhile.
func (u *Uplink) flushOut(ctx context.Context, conn Conn) {
	u.mu.Lock()
	q := u.outq
	u.outq = nil
	u.mu.Unlock()
	for topic, payload := range q {
		if err := conn.Publish(ctx, topic, 1, true, payload); err != nil {
			u.log.Warn("queued publish failed", "topic", topic, "err", err)
			u.mu.Lock()
			if u.outq == nil {
				u.outq = map[string][]byte{}
			}
			if _, newer := u.outq[topic]; !newer {
				u.outq[topic] = payload
			}
			u.mu.Unlock()
		}
	}
}
