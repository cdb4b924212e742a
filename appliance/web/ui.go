package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// The UI is plain files embedded in the binary: it loads with no internet
// and needs no build step.
//
//go:embed ui
var uiFiles embed.FS

const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"

func (s *Server) uiRoutes() {
	sub, _ := fs.Sub(uiFiles, "ui")
	files := http.StripPrefix("/ui/", http.FileServerFS(sub))
	s.mux.Handle("GET /ui/", withCSP(files))
	page := func(name string) http.Handler {
		return withCSP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, sub, name)
		}))
	}
	if s.till == nil && s.setup != nil {
		s.mux.Handle("GET /{$}", page("setup.html"))
	} else {
		s.mux.Handle("GET /{$}", page("index.html"))
	}
	s.mux.Handle("GET /setup", page("setup.html"))
	s.mux.Handle("GET /printer", page("printer.html"))
	s.mux.Handle("GET /customer", page("customer.html"))
	s.mux.Handle("GET /favicon.ico", page("favicon.svg"))
}

func withCSP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		h.ServeHTTP(w, r)
	})
}
