package headoffice

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

//go:embed ui
var uiFiles embed.FS

// Handler serves head office's API and pages on db.
func (db *DB) Handler(log *slog.Logger) http.Handler {
	return NewHandler(db, log)
}

// NewHandler serves head office's API and pages on any Store:
//
//	GET /api/v1/fleet       every till, with online, last_seen_seconds and oldest_unsynced_seconds
//	GET /api/v1/sales       ?day=YYYY-MM-DD (required) &store= &till= &kind= &limit=
//	GET /api/v1/zreports    ?store= &till= &limit=
//	GET /api/v1/qris/reconcile       ?from= &to= (YYYY-MM-DD) &store= &state=open|done|all &limit=
//	POST /api/v1/qris/reconcile/mark {"id","by"}: checked (static) or resolved (late); idempotent
//	GET /                   the fleet page
//	GET /sales              the sales page
//	GET /qris               the QRIS reconciliation page
//
// Errors are {"error":{"code","message"}}; the full chain goes to the log.
func NewHandler(st Store, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{st: st, log: log.With("component", "hq-web"), now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/fleet", h.fleet)
	mux.HandleFunc("GET /api/v1/sales", h.sales)
	mux.HandleFunc("GET /api/v1/zreports", h.zreports)
	mux.HandleFunc("GET /api/v1/qris/reconcile", h.qrisReconcile)
	mux.HandleFunc("POST /api/v1/qris/reconcile/mark", h.qrisMark)
	ui, _ := fs.Sub(uiFiles, "ui")
	static := http.FileServerFS(ui)
	mux.HandleFunc("GET /{$}", h.page(ui, "fleet.html"))
	mux.HandleFunc("GET /sales", h.page(ui, "sales.html"))
	mux.HandleFunc("GET /qris", h.page(ui, "qris.html"))
	mux.Handle("GET /ui/", http.StripPrefix("/ui/", static))
	return securityHeaders(mux)
}

type handler struct {
	st  Store
	log *slog.Logger
	now func() time.Time
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (h *handler) page(ui fs.FS, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(ui, name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	}
}

// FleetRow is a till on GET /api/v1/fleet: its state and ages in seconds,
// computed by head office's clock at the time of the request.
type FleetRow struct {
	TillState
	LastSeenSeconds       *int64 `json:"last_seen_seconds"`       // null when never seen
	OldestUnsyncedSeconds *int64 `json:"oldest_unsynced_seconds"` // null when nothing unsynced
}

func (h *handler) fleet(w http.ResponseWriter, r *http.Request) {
	tills, err := h.st.Fleet(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	age := func(t time.Time) *int64 {
		if t.IsZero() {
			return nil
		}
		s := int64(max(now.Sub(t), 0) / time.Second)
		return &s
	}
	out := make([]FleetRow, 0, len(tills))
	for _, t := range tills {
		out = append(out, FleetRow{TillState: t, LastSeenSeconds: age(t.LastSeen), OldestUnsyncedSeconds: age(t.OldestUnsynced)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) sales(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq := SalesQuery{Store: q.Get("store"), Till: q.Get("till"), Day: q.Get("day"), Kind: appliance.DocKind(q.Get("kind"))}
	if sq.Day == "" {
		h.fail(w, r, appliance.Errorf(appliance.CodeInvalid, "day is required (YYYY-MM-DD)"))
		return
	}
	limit, err := intParam(q.Get("limit"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sq.Limit = limit
	rows, err := h.st.Sales(r.Context(), sq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

func (h *handler) zreports(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	store, till := q.Get("store"), q.Get("till")
	if (store != "" && !wire.ValidCode(store)) || (till != "" && !wire.ValidCode(till)) {
		h.fail(w, r, appliance.Errorf(appliance.CodeInvalid, "store %q or till %q is not a valid code", store, till))
		return
	}
	limit, err := intParam(q.Get("limit"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reports, err := h.st.ZReports(r.Context(), store, till, min(limit, 1000))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, reports)
}

func (h *handler) qrisReconcile(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.st.QRISReconcile(r.Context(), QRISQuery{Store: q.Get("store"), From: q.Get("from"), To: q.Get("to"),
		State: q.Get("state"), Limit: limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// QRISMark is the body of POST /api/v1/qris/reconcile/mark.
type QRISMark struct {
	ID string `json:"id"`
	By string `json:"by"` // who checked it
}

// qrisMark takes JSON only: a cross-site form cannot send it without a
// preflight.
func (h *handler) qrisMark(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		h.fail(w, r, appliance.Errorf(appliance.CodeInvalid, "content type must be application/json"))
		return
	}
	var m QRISMark
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		h.fail(w, r, appliance.Errorf(appliance.CodeInvalid, "body is not {\"id\",\"by\"}"))
		return
	}
	it, err := h.st.MarkQRIS(r.Context(), m.ID, m.By)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

func intParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, appliance.Errorf(appliance.CodeInvalid, "limit %q is not a number", s)
	}
	return n, nil
}

// fail answers with the error's code and a message fit to show; the detail
// of anything but invalid input stays in the log.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := appliance.ErrorCode(err)
	status, msg := http.StatusInternalServerError, "Terjadi kesalahan di server kantor pusat."
	var e *appliance.Error
	if code == appliance.CodeInvalid && errors.As(err, &e) {
		// Our own validation messages: they name the parameter at fault
		// and carry no SQL or paths.
		status, msg = http.StatusBadRequest, e.Detail
	}
	if code == appliance.CodeNotFound && errors.As(err, &e) {
		status, msg = http.StatusNotFound, e.Detail
	}
	if status >= 500 {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": string(code), "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
