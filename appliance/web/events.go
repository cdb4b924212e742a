package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// events streams the till's status as server-sent events, so the status
// strip goes from online to offline (and the backlog moves) as it happens.
// A status is sent when it changes, and at least every heartbeat.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	fl.Flush()

	const heartbeat = 10 * time.Second
	tick := time.NewTicker(s.eventEvery)
	defer tick.Stop()
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
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}
