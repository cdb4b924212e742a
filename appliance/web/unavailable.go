package web

import (
	"log/slog"
	"net/http"

	"github.com/kasirpos/kasir/appliance"
)

// Unavailable serves a till that must not sell, such as one whose database
// failed its integrity check: the UI loads and shows why, every API call
// answers with the reason, and /healthz fails (saying the version). It is
// never busy: nothing can be sold, and an update may be the cure.
func Unavailable(reason error, version string, log *slog.Logger) http.Handler {
	s := &Server{log: log.With("component", "web"), mux: http.NewServeMux(), hosts: map[string]bool{}, version: version}
	s.uiRoutes()
	code := appliance.ErrorCode(reason)
	s.mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"database": string(code), "message": appliance.Message(reason, lang(r)),
		})
	})
	s.mux.HandleFunc("GET /api/v1/busy", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, busyJSON{})
	})
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, reason) })
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "version": version, "error": appliance.Message(reason, "en")})
	})
	return s
}
