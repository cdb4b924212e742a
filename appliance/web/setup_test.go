package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/wire"
)

type setupClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *setupClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *setupClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setupRequest(t *testing.T, h http.Handler, method, path, body, client string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, strings.NewReader(body))
	r.RemoteAddr = client + ":40000"
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Wrong setup PINs lock the client out like wrong login PINs do, per
// client, for a while; the right PIN opens a session that expires when idle.
func TestSetupPINLockout(t *testing.T) {
	clock := &setupClock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	st := NewSetup(SetupOptions{PIN: "12345678", PINFile: "/boot/kasir-setup-pin.txt", Now: clock.now})
	st.NeedProvision(nil, nil, func(context.Context, *wire.Provision) error { return nil })
	h := SetupOnly(st, "v1", nil, nil)

	for i := 1; i < setupAttempts; i++ {
		if w := setupRequest(t, h, "POST", "/api/v1/setup/unlock", `{"pin":"00000000"}`, "10.0.0.9"); w.Code != 401 || !strings.Contains(w.Body.String(), "wrong_setup_pin") && !strings.Contains(w.Body.String(), "PIN setup salah") {
			t.Fatalf("wrong PIN %d: %d %s", i, w.Code, w.Body)
		}
	}
	if w := setupRequest(t, h, "POST", "/api/v1/setup/unlock", `{"pin":"00000000"}`, "10.0.0.9"); w.Code != 429 {
		t.Fatalf("wrong PIN %d: %d, want 429", setupAttempts, w.Code)
	}
	if w := setupRequest(t, h, "POST", "/api/v1/setup/unlock", `{"pin":"12345678"}`, "10.0.0.9"); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("right PIN while locked: %d (Retry-After %q), want 429", w.Code, w.Header().Get("Retry-After"))
	}
	// Another device (the till's own screen) is not locked out.
	if w := setupRequest(t, h, "POST", "/api/v1/setup/unlock", `{"pin":"12345678"}`, "127.0.0.1"); w.Code != 200 {
		t.Fatalf("right PIN from another client: %d %s", w.Code, w.Body)
	}
	clock.add(setupLockFor)
	w := setupRequest(t, h, "POST", "/api/v1/setup/unlock", `{"pin":"12345678"}`, "10.0.0.9")
	if w.Code != 200 {
		t.Fatalf("right PIN after the lockout: %d %s", w.Code, w.Body)
	}
	cookie := w.Result().Cookies()[0]
	if w := setupRequest(t, h, "GET", "/api/v1/setup/provision", "", "10.0.0.9", cookie); w.Code != 200 {
		t.Fatalf("provision form with a session: %d %s", w.Code, w.Body)
	}
	clock.add(setupIdleAfter + time.Second)
	if w := setupRequest(t, h, "GET", "/api/v1/setup/provision", "", "10.0.0.9", cookie); w.Code != 401 {
		t.Fatalf("provision form after the session idled out: %d, want 401", w.Code)
	}
}

// Before provisioning the till answers only setup, health and busy; the
// password never comes back in the form.
func TestSetupOnly(t *testing.T) {
	st := NewSetup(SetupOptions{PIN: "12345678", PINFile: "pin.txt"})
	var saved *wire.Provision
	cur := &wire.Provision{Store: "S001", Till: "T 1", Password: "secret"}
	st.NeedProvision(cur, nil, func(_ context.Context, p *wire.Provision) error { saved = p; return nil })
	h := SetupOnly(st, "v1.2.3", nil, nil)

	w := setupRequest(t, h, "GET", "/healthz", "", "127.0.0.1")
	var hz struct {
		OK      bool   `json:"ok"`
		Version string `json:"version"`
		Setup   bool   `json:"setup"`
	}
	if json.Unmarshal(w.Body.Bytes(), &hz); w.Code != 200 || hz.Version != "v1.2.3" || !hz.Setup {
		t.Errorf("healthz %d %s", w.Code, w.Body)
	}
	if w := setupRequest(t, h, "GET", "/api/v1/busy", "", "127.0.0.1"); w.Code != 200 || !strings.Contains(w.Body.String(), `"busy":false`) {
		t.Errorf("busy %d %s", w.Code, w.Body)
	}
	if w := setupRequest(t, h, "GET", "/api/v1/cart", "", "127.0.0.1"); w.Code != 409 {
		t.Errorf("cart before provisioning: %d %s", w.Code, w.Body)
	}
	if w := setupRequest(t, h, "GET", "/", "", "127.0.0.1"); w.Code != 200 || !strings.Contains(w.Body.String(), "setup.js") {
		t.Errorf("/ before provisioning is not the setup page: %d", w.Code)
	}
	w = setupRequest(t, h, "GET", "/api/v1/setup", "", "127.0.0.1")
	var state struct {
		Mode     string
		Problems []wire.Problem
		PINFile  string `json:"pin_file"`
	}
	json.Unmarshal(w.Body.Bytes(), &state)
	if state.Mode != SetupProvision || len(state.Problems) == 0 || state.Problems[0].ID == "" || state.Problems[0].EN == "" || state.PINFile != "pin.txt" {
		t.Errorf("setup state %s", w.Body)
	}
	cookie := setupRequest(t, h, "POST", "/api/v1/setup/unlock", `{"pin":"12345678"}`, "127.0.0.1").Result().Cookies()[0]
	w = setupRequest(t, h, "GET", "/api/v1/setup/provision", "", "127.0.0.1", cookie)
	if strings.Contains(w.Body.String(), "secret") || !strings.Contains(w.Body.String(), `"password_set":true`) {
		t.Errorf("provision form %s: the password must not come back", w.Body)
	}
	w = setupRequest(t, h, "POST", "/api/v1/setup/provision", `{"store":"S001","till":"T 1","username":"u","devices":{"printer":{"transport":"carrier-pigeon"}}}`, "127.0.0.1", cookie)
	if w.Code != 400 {
		t.Fatalf("bad form: %d %s", w.Code, w.Body)
	}
	var bad struct{ Problems []wire.Problem }
	json.Unmarshal(w.Body.Bytes(), &bad)
	fields := map[string]bool{}
	for _, p := range bad.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"till", "broker", "hq_public_key", "devices"} {
		if !fields[f] {
			t.Errorf("no problem for %s in %s", f, w.Body)
		}
	}
	if fields["username"] {
		t.Errorf("kept password reported missing: %s", w.Body)
	}
	if saved != nil {
		t.Error("a bad form was saved")
	}
}
