package qrisprovider

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
	"github.com/kasirpos/kasir/appliance/qris/qristest"
)

// SandboxOptions configure a Sandbox. The zero value is a working sandbox
// with the demo merchant (qristest.Static), the real clock, no key and no
// webhook.
type SandboxOptions struct {
	Now           func() time.Time // clock for expiry; tests inject one
	Static        *qris.Payload    // merchant code the charges derive from
	DefaultExpiry time.Duration    // qristest.DefaultExpiry if zero
	MaxAmount     int64            // larger amounts are declined; qristest.DefaultMaxAmount if zero
	Key           string           // API key the till must send; "" accepts any
	WebhookURL    string           // POSTed every change of state; "" for none
	WebhookSecret string           // HMAC-SHA256 key for the signature header
	Logger        *slog.Logger
}

// Faults make the provider API (/v1/) misbehave; the control API is never
// affected.
type Faults struct {
	Down       bool          // close every connection without an answer
	DropBefore int           // close the next n connections before doing the work
	DropAfter  int           // do the work of the next n requests, then close without an answer
	Hang       bool          // hold requests until the client gives up or the fault is cleared
	Delay      time.Duration // wait this long before answering
}

// Sandbox is a payment provider for tests and the demo. It serves the
// provider API under /v1/ and a control API under /sandbox/:
//
//	GET  /sandbox/                    a page listing charges with "pay" buttons (the customer's phone)
//	GET  /sandbox/charges             all charges, JSON
//	POST /sandbox/charges/{id}/pay    pay a charge; after cancel or expiry it is a late payment
//	GET  /sandbox/faults              the current Faults, JSON
//	PUT  /sandbox/faults              set Faults: {"down":…,"drop_before":…,"drop_after":…,"hang":…,"delay_ms":…}
//
// Expiry is applied when a charge is looked at; a webhook for an expiry goes
// out then.
type Sandbox struct {
	engine *qristest.Provider
	opts   SandboxOptions
	log    *slog.Logger
	mux    *http.ServeMux

	mu         sync.Mutex
	faults     Faults
	release    chan struct{} // closed when Hang is cleared
	delivering bool          // the webhook goroutine runs

	stop chan struct{}
	done sync.WaitGroup
}

// NewSandbox makes a sandbox. If opts.WebhookURL is set it starts delivering
// notifications; Close stops that.
func NewSandbox(opts SandboxOptions) *Sandbox {
	s := &Sandbox{
		engine: &qristest.Provider{Static: opts.Static, Now: opts.Now, DefaultExpiry: opts.DefaultExpiry, MaxAmount: opts.MaxAmount},
		opts:   opts,
		log:    opts.Logger,
		mux:    http.NewServeMux(),
		stop:   make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "qris-sandbox")
	s.release = make(chan struct{})
	s.mux.HandleFunc("POST /v1/charges", s.api(s.create))
	s.mux.HandleFunc("GET /v1/charges/{id}", s.api(s.status))
	s.mux.HandleFunc("POST /v1/charges/{id}/cancel", s.api(s.cancel))
	s.mux.HandleFunc("GET /sandbox/{$}", s.page)
	s.mux.HandleFunc("GET /sandbox/charges", s.list)
	s.mux.HandleFunc("POST /sandbox/charges/{id}/pay", s.payHTTP)
	s.mux.HandleFunc("GET /sandbox/faults", s.getFaults)
	s.mux.HandleFunc("PUT /sandbox/faults", s.putFaults)
	if opts.WebhookURL != "" {
		s.SetWebhook(opts.WebhookURL, opts.WebhookSecret)
	}
	return s
}

// SetWebhook points notifications at url, signed with secret, and starts
// delivering them if it does not yet. It is for a receiver whose address is
// known only once it listens (the demo till on a port of its own choosing).
func (s *Sandbox) SetWebhook(url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.WebhookURL, s.opts.WebhookSecret = url, secret
	select {
	case <-s.stop:
		return // closed
	default:
	}
	if url != "" && !s.delivering {
		s.delivering = true
		s.done.Add(1)
		go s.deliver()
	}
}

// webhook is where notifications go now.
func (s *Sandbox) webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.WebhookURL, s.opts.WebhookSecret
}

// ServeHTTP serves the provider and control APIs.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops webhook delivery and releases hung requests. It does not close
// listeners: the server that serves the sandbox does.
func (s *Sandbox) Close() {
	s.mu.Lock()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.mu.Unlock()
	s.done.Wait()
}

// ListenAndServe serves the sandbox on addr (such as "127.0.0.1:8089" for
// `make run`) until ctx ends.
func (s *Sandbox) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("qris sandbox: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves the sandbox on ln until ctx ends, then closes it.
func (s *Sandbox) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.log.Info("serving", "addr", ln.Addr().String())
	served := make(chan struct{})
	defer close(served)
	go func() {
		select {
		case <-served:
			return
		case <-ctx.Done():
		}
		s.Close() // release hung requests first, or Shutdown waits for them
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("qris sandbox: %w", err)
}

// SetFaults replaces the current faults.
func (s *Sandbox) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.Hang && !f.Hang {
		close(s.release)
		s.release = make(chan struct{})
	}
	s.faults = f
}

// Faults returns the current faults (drop counts go down as they are used).
func (s *Sandbox) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Pay is the customer paying charge id; see qristest.Provider.Pay.
func (s *Sandbox) Pay(id string) (qris.Charge, error) { return s.engine.Pay(id) }

// Charges returns every charge, oldest first.
func (s *Sandbox) Charges() []qris.Charge { return s.engine.Charges() }

// api wraps a provider API handler with the key check and the faults.
func (s *Sandbox) api(h func(*http.Request) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.faults
		drop := f.Down || f.DropBefore > 0
		if f.DropBefore > 0 {
			s.faults.DropBefore--
		}
		after := f.DropAfter > 0
		if after && !drop {
			s.faults.DropAfter--
		}
		release := s.release
		s.mu.Unlock()
		if drop {
			s.log.Info("dropping connection", "path", r.URL.Path)
			hangUp(w)
			return
		}
		if f.Hang {
			select {
			case <-r.Context().Done():
				return
			case <-release:
			case <-s.stop:
				hangUp(w)
				return
			}
		}
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if s.opts.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.Key {
			writeJSON(w, http.StatusUnauthorized, apiError{"unauthorized", "wrong or missing API key"})
			return
		}
		code, body := h(r)
		if after {
			s.log.Info("dropping answer", "path", r.URL.Path, "status", code)
			hangUp(w)
			return
		}
		writeJSON(w, code, body)
	}
}

// hangUp closes the connection without an HTTP answer, as a cut line does.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a test recorder: abort the stream
	}
	conn.Close()
}

func (s *Sandbox) create(r *http.Request) (int, any) {
	var req createRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		return http.StatusBadRequest, apiError{"bad_request", "body is not a charge request: " + err.Error()}
	}
	_, existed := s.engine.ByReference(req.Reference)
	c, err := s.engine.Create(r.Context(), qris.ChargeRequest{Reference: req.Reference, Amount: req.Amount,
		Expiry: time.Duration(req.ExpirySeconds) * time.Second, Terminal: req.Terminal})
	if err != nil {
		return errorAnswer(err)
	}
	if existed {
		return http.StatusOK, toWire(c)
	}
	s.log.Info("charge created", "id", c.ID, "reference", c.Reference, "amount", c.Amount)
	return http.StatusCreated, toWire(c)
}

func (s *Sandbox) status(r *http.Request) (int, any) {
	c, err := s.engine.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		return errorAnswer(err)
	}
	return http.StatusOK, toWire(c)
}

func (s *Sandbox) cancel(r *http.Request) (int, any) {
	c, err := s.engine.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		return errorAnswer(err)
	}
	return http.StatusOK, toWire(c)
}

func errorAnswer(err error) (int, any) {
	switch {
	case errors.Is(err, qris.ErrNotFound):
		return http.StatusNotFound, apiError{"not_found", err.Error()}
	case errors.Is(err, qris.ErrConflict):
		return http.StatusConflict, apiError{"conflict", err.Error()}
	case errors.Is(err, qris.ErrDeclined):
		return http.StatusUnprocessableEntity, apiError{"declined", err.Error()}
	}
	return http.StatusInternalServerError, apiError{"internal", err.Error()}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Sandbox) list(w http.ResponseWriter, r *http.Request) {
	out := []charge{}
	for _, c := range s.engine.Charges() {
		out = append(out, toWire(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) payHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := s.engine.Pay(r.PathValue("id"))
	if err != nil {
		code, body := errorAnswer(err)
		writeJSON(w, code, body)
		return
	}
	s.log.Info("charge paid", "id", c.ID, "late", c.Late)
	if r.FormValue("back") != "" { // from the page's button
		http.Redirect(w, r, "/sandbox/", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, toWire(c))
}

type faultsJSON struct {
	Down       bool  `json:"down"`
	DropBefore int   `json:"drop_before"`
	DropAfter  int   `json:"drop_after"`
	Hang       bool  `json:"hang"`
	DelayMS    int64 `json:"delay_ms"`
}

func (s *Sandbox) getFaults(w http.ResponseWriter, r *http.Request) {
	f := s.Faults()
	writeJSON(w, http.StatusOK, faultsJSON{f.Down, f.DropBefore, f.DropAfter, f.Hang, f.Delay.Milliseconds()})
}

func (s *Sandbox) putFaults(w http.ResponseWriter, r *http.Request) {
	var f faultsJSON
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<12)).Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{"bad_request", err.Error()})
		return
	}
	s.SetFaults(Faults{Down: f.Down, DropBefore: f.DropBefore, DropAfter: f.DropAfter, Hang: f.Hang, Delay: time.Duration(f.DelayMS) * time.Millisecond})
	s.getFaults(w, r)
}

// deliver posts each notification to the webhook URL, signed. One attempt
// each: the till polls, so a lost notification only costs time.
func (s *Sandbox) deliver() {
	defer s.done.Done()
	client := &http.Client{Timeout: 10 * time.Second}
	notes := s.engine.Notifications()
	for {
		select {
		case <-s.stop:
			return
		case c := <-notes:
			url, secret := s.webhook()
			body, _ := json.Marshal(toWire(c))
			req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				s.log.Error("webhook", "err", err)
				continue
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(signatureHeader, Sign(secret, body))
			resp, err := client.Do(req)
			if err != nil {
				s.log.Warn("webhook not delivered", "id", c.ID, "err", err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				s.log.Warn("webhook refused", "id", c.ID, "status", resp.StatusCode)
			}
		}
	}
}

// Sign is the signature header value for a webhook body: "sha256=" and the
// hex HMAC-SHA256 of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
