package web

import (
	"log/slog"
	"net/http"

	"github.com/kasirpos/kasir/appliance"
)

// Unavailable serves a till that must not sell, such as one whose database
// failed its integrity check: the UI loads and shows why, every API call
// answers with the reason, and /healthz fails.
func Unavailable(reason error, log *slog.Logger) http.Handler {
	s := &Server{log: log.With("component", "web"), mux: http.NewServeMux(), hosts: map[string]bool{}}
	s.uiRoutes()
	code := appliance.ErrorCode(reason)
	s.mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"database": string(code), "message": appliance.Message(reason, lang(r)),
		})
	})
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, reason) })
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, appliance.Message(reason, "en"), http.StatusServiceUnavailable)
	})
	return s
}
