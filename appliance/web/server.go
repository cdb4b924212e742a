package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// Server is the till's HTTP handler.
type Server struct {
	till    *appliance.Till
	catalog appliance.Catalog
	paper   appliance.PrintArchive // nil when the printer keeps nothing
	log     *slog.Logger
	// Health reports whether the database is usable; nil means always.
	health       func(context.Context) error
	hosts        map[string]bool
	mux          *http.ServeMux
	uplinkSwitch func(bool)
	// eventEvery is how often the event stream looks at the status.
	eventEvery time.Duration
	scans      scanHub
	version    string
	setup      *Setup // nil: no setup screen
	// qrisWebhook receives the QRIS provider's notifications; nil: none.
	qrisWebhook http.Handler
}

// Options configure a Server.
type Options struct {
	Till    *appliance.Till
	Catalog appliance.Catalog
	Paper   appliance.PrintArchive
	Log     *slog.Logger
	Health  func(context.Context) error
	// UplinkSwitch, set in demo mode, lets the user cut and restore the
	// link to head office to watch the backlog grow and drain.
	UplinkSwitch func(on bool)
	// AllowedHosts are the names the till answers to besides IP addresses
	// and localhost (its hostname, say). A request for any other name is
	// refused: that is what a DNS-rebinding page on another site sends.
	AllowedHosts []string
	// Version is the software version /healthz reports.
	Version string
	// Setup, when set, serves the setup screen (/setup): the first
	// supervisor of a till without users.
	Setup *Setup
	// QRISWebhook, when set, receives the QRIS provider's signed push
	// notifications at POST /api/v1/qris/webhook, without a login (it
	// checks the provider's signature itself).
	QRISWebhook http.Handler
}

const sessionCookie = "kasir_session"

// New returns the till's HTTP handler.
func New(o Options) *Server {
	s := newServer(o)
	s.routes()
	return s
}

// newServer is a Server with no routes yet.
func newServer(o Options) *Server {
	s := &Server{till: o.Till, catalog: o.Catalog, paper: o.Paper, log: o.Log, health: o.Health, mux: http.NewServeMux(),
		hosts: map[string]bool{}, eventEvery: time.Second, uplinkSwitch: o.UplinkSwitch, version: o.Version, setup: o.Setup}
	s.qrisWebhook = o.QRISWebhook
	for _, h := range o.AllowedHosts {
		s.hosts[strings.ToLower(h)] = true
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "web")
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /api/v1/busy", s.busy)
	if s.setup != nil {
		s.setup.routes(m, s)
	}
	m.HandleFunc("POST /api/v1/login", s.login)
	m.HandleFunc("POST /api/v1/logout", s.logout)
	m.HandleFunc("GET /api/v1/me", s.auth(s.me))
	m.HandleFunc("GET /api/v1/status", s.status)
	m.HandleFunc("GET /api/v1/events", s.events)
	m.HandleFunc("GET /api/v1/config", s.config)
	m.HandleFunc("GET /api/v1/customer", s.customer)
	m.HandleFunc("GET /api/v1/customer/events", s.customerEvents)

	m.HandleFunc("GET /api/v1/products", s.auth(s.products))
	m.HandleFunc("GET /api/v1/products/{code}", s.auth(s.product))
	m.HandleFunc("GET /api/v1/categories", s.auth(s.categories))

	m.HandleFunc("GET /api/v1/cart", s.auth(s.cart))
	m.HandleFunc("DELETE /api/v1/cart", s.auth(s.clearCart))
	m.HandleFunc("POST /api/v1/cart/lines", s.auth(s.addLine))
	m.HandleFunc("PATCH /api/v1/cart/lines/{id}", s.auth(s.setQty))
	m.HandleFunc("DELETE /api/v1/cart/lines/{id}", s.auth(s.removeLine))
	m.HandleFunc("POST /api/v1/cart/lines/{id}/discount", s.auth(s.lineDiscount))
	m.HandleFunc("POST /api/v1/cart/lines/{id}/price", s.auth(s.overridePrice))
	m.HandleFunc("POST /api/v1/cart/discount", s.auth(s.orderDiscount))
	m.HandleFunc("POST /api/v1/cart/park", s.auth(s.park))
	m.HandleFunc("GET /api/v1/carts/parked", s.auth(s.parked))
	m.HandleFunc("POST /api/v1/carts/{id}/recall", s.auth(s.recall))
	m.HandleFunc("POST /api/v1/cart/pay", s.auth(s.pay))
	m.HandleFunc("POST /api/v1/cart/qris/static", s.auth(s.staticQRIS))
	m.HandleFunc("DELETE /api/v1/cart/qris", s.auth(s.hideQRIS))
	m.HandleFunc("POST /api/v1/cart/qris", s.auth(s.startQRIS))
	m.HandleFunc("GET /api/v1/qris/late", s.auth(s.lateQRIS))
	m.HandleFunc("GET /api/v1/qris/{ref}", s.auth(s.checkQRIS))
	m.HandleFunc("POST /api/v1/qris/{ref}/cancel", s.auth(s.cancelQRIS))
	s.qrisRoutes(m)

	m.HandleFunc("GET /api/v1/sales", s.auth(s.sales))
	m.HandleFunc("GET /api/v1/sales/{number}", s.auth(s.sale))
	m.HandleFunc("GET /api/v1/sales/{number}/receipt", s.auth(s.receipt))
	m.HandleFunc("POST /api/v1/sales/{number}/reprint", s.auth(s.reprint))
	m.HandleFunc("POST /api/v1/sales/{number}/void", s.auth(s.void))
	m.HandleFunc("POST /api/v1/sales/{number}/refund", s.auth(s.refund))

	m.HandleFunc("GET /api/v1/shift", s.auth(s.shift))
	m.HandleFunc("POST /api/v1/shift/open", s.auth(s.openShift))
	m.HandleFunc("POST /api/v1/shift/cash", s.auth(s.cashMove))
	m.HandleFunc("GET /api/v1/shift/x", s.auth(s.xReport))
	m.HandleFunc("POST /api/v1/shift/x/print", s.auth(s.printX))
	m.HandleFunc("POST /api/v1/shift/close", s.auth(s.closeShift))
	m.HandleFunc("POST /api/v1/drawer/open", s.auth(s.noSale))

	m.HandleFunc("GET /api/v1/printer", s.auth(s.printed))
	m.HandleFunc("POST /api/v1/demo/uplink", s.auth(s.demoUplink))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, appliance.Errorm(appliance.CodeNotFound, "no_endpoint", nil, "%s %s", r.Method, r.URL.Path))
	})
	s.uiRoutes()
}

// ServeHTTP refuses state changes from other sites, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !s.hostAllowed(r.Host) {
		s.fail(w, r, appliance.Errorm(appliance.CodeForbidden, "cross_origin", nil, "host %q not allowed", r.Host))
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if crossOrigin(r) {
			s.fail(w, r, appliance.Errorm(appliance.CodeForbidden, "cross_origin", nil, "origin %q for host %q", r.Header.Get("Origin"), r.Host))
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// crossOrigin reports a request that a browser sent on behalf of another
// site. Requests without an Origin (curl, integrations on the LAN) pass; the
// session cookie's SameSite=Strict covers browsers that omit it.
func crossOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true
	}
	return !strings.EqualFold(u.Host, r.Host)
}

// hostAllowed accepts IP addresses, localhost and the configured names.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || net.ParseIP(host) != nil {
		return true
	}
	return s.hosts[host]
}

func (s *Server) auth(h func(http.ResponseWriter, *http.Request, appliance.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			s.fail(w, r, appliance.Errorf(appliance.CodeUnauthorized, "no session cookie"))
			return
		}
		u, err := s.till.Session(c.Value)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r, u)
	}
}

func lang(r *http.Request) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language"))), "en") {
		return "en"
	}
	return "id"
}

var statusOf = map[appliance.Code]int{
	appliance.CodeInvalid:      http.StatusBadRequest,
	appliance.CodeNotFound:     http.StatusNotFound,
	appliance.CodeUnauthorized: http.StatusUnauthorized,
	appliance.CodeForbidden:    http.StatusForbidden,
	appliance.CodeApproval:     http.StatusForbidden,
	appliance.CodeLocked:       http.StatusTooManyRequests,
	appliance.CodeConflict:     http.StatusConflict,
	appliance.CodeNoShift:      http.StatusConflict,
	appliance.CodeUnderpaid:    http.StatusUnprocessableEntity,
	appliance.CodeCatalogStale: http.StatusConflict,
	appliance.CodeStoreFailed:  http.StatusServiceUnavailable,
	appliance.CodeCorrupt:      http.StatusServiceUnavailable,
	appliance.CodeUnreachable:  http.StatusBadGateway,
	appliance.CodeInternal:     http.StatusInternalServerError,
}

type apiError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after_seconds,omitempty"`
}

// fail writes err for the client and logs the whole chain.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := appliance.ErrorCode(err)
	status := statusOf[code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	body := apiError{Code: string(code), Message: appliance.Message(err, lang(r))}
	var e *appliance.Error
	if errors.As(err, &e) && e.Key == "cross_origin" {
		body.Code = "cross_origin"
	}
	if code == appliance.CodeLocked {
		if errors.As(err, &e) && len(e.Args) > 0 {
			if n, ok := e.Args[0].(int); ok {
				body.RetryAfter = n
				w.Header().Set("Retry-After", strings.TrimSpace(itoa(n)))
			}
		}
	}
	lvl := slog.LevelInfo
	if status >= 500 {
		lvl = slog.LevelError
	}
	s.log.Log(r.Context(), lvl, "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	writeJSON(w, status, map[string]apiError{"error": body})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decode reads a JSON body of at most 1 MiB into v.
func decode(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, 1<<20)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return appliance.Errorm(appliance.CodeInvalid, "bad_request", nil, "empty body")
		}
		return appliance.Errorm(appliance.CodeInvalid, "bad_request", nil, "decode body: %v", err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.health(ctx); err != nil {
			s.log.Error("health check failed", "err", err)
			http.Error(w, "database not usable", http.StatusServiceUnavailable)
			return
		}
	}
	// An update tool checks the version after a switch; setup says the
	// till waits for its provisioning file.
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "version": s.version, "setup": s.till == nil})
}

type busyJSON struct {
	Busy   bool   `json:"busy"`
	Reason string `json:"reason"`
}

// busy tells an update tool whether a cashier is mid-sale. It needs no
// login: it says nothing but yes or no and why.
func (s *Server) busy(w http.ResponseWriter, r *http.Request) {
	busy, reason, err := s.till.Busy(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, busyJSON{Busy: busy, Reason: reason})
}
