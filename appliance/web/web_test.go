package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kasirpos/kasir/appliance"
)

func TestCrossOrigin(t *testing.T) {
	tests := []struct {
		name    string
		host    string
		headers map[string]string
		want    bool
	}{
		{"no origin (curl, integrations)", "till:8080", nil, false},
		{"same origin", "till:8080", map[string]string{"Origin": "http://till:8080"}, false},
		{"same origin, case", "TILL:8080", map[string]string{"Origin": "http://till:8080"}, false},
		{"other site", "till:8080", map[string]string{"Origin": "http://evil.example"}, true},
		{"other port", "till:8080", map[string]string{"Origin": "http://till:9090"}, true},
		{"opaque origin", "till:8080", map[string]string{"Origin": "null"}, true},
		{"fetch metadata cross-site", "till:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"fetch metadata same-site", "till:8080", map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		{"fetch metadata same-origin", "till:8080", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://till:8080"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://"+tt.host+"/api/v1/login", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := crossOrigin(r); got != tt.want {
				t.Errorf("crossOrigin = %v, want %v", got, tt.want)
			}
		})
	}
}

// Errors reach the cashier as a code and a sentence; the detail (SQL, Go
// errors) stays in the log.
func TestFailHidesDetail(t *testing.T) {
	s := New(Options{})
	tests := []struct {
		err    error
		lang   string
		status int
		code   string
		text   string
	}{
		{appliance.Wrap(appliance.CodeStoreFailed, errors.New("sqlite3: database or disk is full"), "commit sale"), "", 503, "store_failed", "Gagal menyimpan"},
		{appliance.Errorm(appliance.CodeNotFound, "unknown_code", []any{"123"}, "lookup"), "en", 404, "not_found", "Item not found: 123"},
		{errors.New("boom: nil pointer in handler"), "", 500, "internal", "Terjadi kesalahan"},
		{&appliance.Error{Code: appliance.CodeLocked, Args: []any{300}}, "", 429, "locked", "300 detik"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/api/v1/x", nil)
		if tt.lang != "" {
			r.Header.Set("Accept-Language", tt.lang)
		}
		s.fail(w, r, tt.err)
		body := w.Body.String()
		if w.Code != tt.status || !strings.Contains(body, `"code":"`+tt.code+`"`) || !strings.Contains(body, tt.text) {
			t.Errorf("%v: %d %s", tt.err, w.Code, body)
		}
		for _, leak := range []string{"sqlite3", "nil pointer", "commit sale"} {
			if strings.Contains(body, leak) {
				t.Errorf("%v: body leaks %q: %s", tt.err, leak, body)
			}
		}
		if tt.code == "locked" && w.Header().Get("Retry-After") != "300" {
			t.Errorf("Retry-After = %q", w.Header().Get("Retry-After"))
		}
	}
}

func TestOversizedBodyRefused(t *testing.T) {
	big := strings.NewReader(`{"code":"` + strings.Repeat("9", 2<<20) + `"}`)
	r := httptest.NewRequest("POST", "/api/v1/cart/lines", big)
	var v struct{ Code string }
	err := decode(r, &v)
	if appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Fatalf("decode of 2 MiB = %v, want invalid", err)
	}
}

func TestUIServedWithCSP(t *testing.T) {
	s := New(Options{})
	for _, path := range []string{"/", "/printer", "/ui/app.js", "/ui/app.css"} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil))
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", path, w.Code)
			continue
		}
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: CSP %q", path, w.Header().Get("Content-Security-Policy"))
		}
	}
	// The UI must load with no internet: nothing from another host.
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1:8080/", nil))
	if strings.Contains(w.Body.String(), "http://") || strings.Contains(w.Body.String(), "https://") {
		t.Error("index.html refers to another host")
	}
}

// A page on another site that rebinds its DNS name to the till's address
// sends requests for its own name: they are refused, reads included.
func TestDNSRebindingRefused(t *testing.T) {
	s := New(Options{AllowedHosts: []string{"kasir-s001-t01"}})
	tests := []struct {
		host string
		want int
	}{
		{"127.0.0.1:8080", 200},
		{"192.168.1.20:8080", 200},
		{"[::1]:8080", 200},
		{"localhost:8080", 200},
		{"KASIR-S001-T01:8080", 200},
		{"evil.example:8080", 403},
		{"evil.example", 403},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = tt.host
		s.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("Host %s: %d, want %d", tt.host, w.Code, tt.want)
		}
	}
}
