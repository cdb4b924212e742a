package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// startStream answers a request with a server-sent event stream; it fails
// the request when the connection cannot stream.
func startStream(w http.ResponseWriter) (http.Flusher, bool) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return nil, false
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	fl.Flush()
	return fl, true
}

// events streams the till's status as server-sent events, so the status
// strip goes from online to offline (and the backlog moves) as it happens.
// A status is sent when it changes, and at least every heartbeat.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := startStream(w)
	if !ok {
		return
	}

	const heartbeat = 10 * time.Second
	tick := time.NewTicker(s.eventEvery)
	defer tick.Stop()
	scans := s.scans.subscribe()
	defer s.scans.unsubscribe(scans)
	var last []byte
	var sent time.Time
	for {
		st, err := s.till.Status(r.Context())
		if err != nil {
			s.log.Error("status for events", "err", err)
		}
		at := st.Time
		st.Time = time.Time{}
		key, _ := json.Marshal(st)
		if !bytes.Equal(key, last) || time.Since(sent) >= heartbeat {
			st.Time = at
			b, _ := json.Marshal(st)
			if _, err := fmt.Fprintf(w, "event: status\ndata: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
			last, sent = key, time.Now()
		}
		for wait := true; wait; {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				wait = false
			case code := <-scans:
				b, _ := json.Marshal(map[string]string{"code": code})
				if _, err := fmt.Fprintf(w, "event: scan\ndata: %s\n\n", b); err != nil {
					return
				}
				fl.Flush()
			}
		}
	}
}

// Scan hands a code from a serial barcode scanner to the till screens that
// are listening; the screen rings it up as if it had been typed. A code no
// screen is listening for is dropped and logged: no cashier saw it.
func (s *Server) Scan(code string) {
	if n := s.scans.publish(code); n == 0 {
		s.log.Warn("scan with no till screen open", "code", code)
	}
}

// scanHub fans scanner codes out to the open event streams.
type scanHub struct {
	mu   sync.Mutex
	subs map[chan string]bool
}

func (h *scanHub) subscribe() chan string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[chan string]bool{}
	}
	c := make(chan string, 32)
	h.subs[c] = true
	return c
}

func (h *scanHub) unsubscribe(c chan string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, c)
}

// publish returns how many streams took the code. A stream too slow to take
// it (32 codes behind) misses it rather than hold the scanner up.
func (h *scanHub) publish(code string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.subs {
		select {
		case c <- code:
			n++
		default:
		}
	}
	return n
}

// customerEvents streams what the customer sees, for the customer-facing
// screen: the view at once, then each change.
func (s *Server) customerEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := startStream(w)
	if !ok {
		return
	}
	var seq int64 = -1
	for {
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		v := s.till.WaitCustomer(ctx, seq)
		cancel()
		if r.Context().Err() != nil {
			return
		}
		if v.Seq == seq {
			// Nothing changed: a comment keeps proxies from closing the stream.
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		} else {
			b, _ := json.Marshal(customerOut(v))
			if _, err := fmt.Fprintf(w, "event: customer\ndata: %s\n\n", b); err != nil {
				return
			}
			seq = v.Seq
		}
		fl.Flush()
	}
}

func (s *Server) customer(w http.ResponseWriter, r *http.Request) {
	v, _ := s.till.Customer()
	writeJSON(w, http.StatusOK, customerOut(v))
}
