package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/wire"
)

// startTill runs `kasir serve` in-process with exactly these arguments
// (plus a loopback port), unlike startServer, which adds --demo.
func startTill(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	logw := &lockedWriter{w: &strings.Builder{}}
	done := make(chan error, 1)
	args = append([]string{"serve", "--http", "127.0.0.1:0", "--log-level", "warn"}, args...)
	go func() {
		err := run(ctx, args, pw, logw)
		pw.CloseWithError(fmt.Errorf("kasir exited: %v", err))
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	var url string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "kasir: serving on "); ok {
			url = a
			break
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("kasir did not start: %v (%v)", sc.Err(), <-done)
	}
	go io.Copy(io.Discard, pr)
	s := &server{URL: url}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("kasir: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("kasir did not stop")
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

func hqKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pub)
}

// waitMode polls the setup state until it leaves "starting"; bounded.
func waitMode(t *testing.T, c *client) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct{ Mode string }
		c.must(200, "GET", "/api/v1/setup", nil, &st)
		if st.Mode != "starting" {
			return st.Mode
		}
		if time.Now().After(deadline) {
			t.Fatal("the till did not start within 30 s of saving its provisioning")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type healthz struct {
	OK      bool   `json:"ok"`
	Version string `json:"version"`
	Setup   bool   `json:"setup"`
}

// A till started with --provision pointing at no file does not exit: it
// serves the setup screen behind the setup PIN, writes kasir.json when the
// technician saves a good one, starts selling without a restart, and lets
// the technician create the first supervisor. The next start goes straight
// to the till, with the same setup PIN.
func TestSetupProvisionsAndCreatesFirstSupervisor(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "kasir")
	prov := filepath.Join(dir, "kasir.json")
	pinFile := filepath.Join(dir, "boot", "kasir-setup-pin.txt")
	pwFile := filepath.Join(dir, "gokr-pw.txt")
	if err := os.WriteFile(pwFile, []byte("update-secret-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startTill(t, "--data", data, "--provision", prov, "--setup-pin-file", pinFile, "--update-password-file", pwFile)
	c := newClient(t, s.URL)

	var hz healthz
	c.must(200, "GET", "/healthz", nil, &hz)
	if !hz.OK || !hz.Setup || hz.Version != version {
		t.Errorf("healthz in setup mode: %+v", hz)
	}
	var st struct {
		Mode     string
		Problems []wire.Problem
		PINFile  string `json:"pin_file"`
		Unlocked bool
	}
	c.must(200, "GET", "/api/v1/setup", nil, &st)
	if st.Mode != "provision" || len(st.Problems) != 1 || !strings.Contains(st.Problems[0].EN, "kasir.json is missing") || st.PINFile != pinFile || st.Unlocked {
		t.Fatalf("setup state %+v", st)
	}
	var busy struct {
		Busy   bool
		Reason string
	}
	c.must(200, "GET", "/api/v1/busy", nil, &busy)
	if busy.Busy {
		t.Errorf("busy in setup mode: %+v", busy)
	}
	if code, b := c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil); code != 409 || errCode(b) != "conflict" {
		t.Errorf("login before provisioning: %d %s", code, b)
	}

	text, err := os.ReadFile(pinFile)
	if err != nil {
		t.Fatalf("setup PIN file: %v", err)
	}
	pin := wire.ParseSetupPIN(string(text))
	if len(pin) != setupPINDigits || !strings.Contains(string(text), "ID: Ini PIN setup") || !strings.Contains(string(text), "EN: This is this till's setup PIN") {
		t.Fatalf("setup PIN file:\n%s", text)
	}

	form := map[string]any{"store": "S001", "till": "T01", "broker": "tcp://127.0.0.1:1", "username": "s001-t01",
		"password": "pw", "hq_public_key": hqKey(t), "time_zone": "Asia/Makassar"}
	if code, b := c.do("POST", "/api/v1/setup/provision", form, nil); code != 401 {
		t.Fatalf("save without the setup PIN: %d %s", code, b)
	}
	if code, b := c.do("POST", "/api/v1/setup/unlock", map[string]string{"pin": "00000000"}, nil); code != 401 {
		t.Fatalf("wrong setup PIN: %d %s", code, b)
	}
	var locked map[string]any
	c.must(200, "GET", "/api/v1/setup", nil, &locked)
	if _, shown := locked["update_password"]; shown {
		t.Error("the update password shows before the setup PIN")
	}
	c.must(200, "POST", "/api/v1/setup/unlock", map[string]string{"pin": pin}, nil)
	var unlocked struct {
		UpdatePassword string `json:"update_password"`
	}
	c.must(200, "GET", "/api/v1/setup", nil, &unlocked)
	if unlocked.UpdatePassword != "update-secret-123" {
		t.Errorf("update password on the unlocked setup screen: %q", unlocked.UpdatePassword)
	}

	bad := map[string]any{"store": "S 001", "till": "T01"}
	code, b := c.do("POST", "/api/v1/setup/provision", bad, nil)
	if code != 400 || !strings.Contains(string(b), `"field":"store"`) || !strings.Contains(string(b), "pakai huruf") {
		t.Fatalf("bad form: %d %s", code, b)
	}
	if _, err := os.Stat(prov); err == nil {
		t.Fatal("a bad form was written")
	}
	c.must(200, "POST", "/api/v1/setup/provision", form, nil)
	if mode := waitMode(t, c); mode != "first_user" {
		t.Fatalf("after provisioning: mode %q, want first_user", mode)
	}
	p, err := wire.ReadProvision(prov)
	if err != nil || p.Store != "S001" || p.Till != "T01" || p.TimeZone != "Asia/Makassar" || p.Password != "pw" {
		t.Fatalf("kasir.json: %+v, %v", p, err)
	}
	if fi, _ := os.Stat(prov); fi.Mode().Perm() != 0o600 {
		t.Errorf("kasir.json mode %v, want 0600: it holds the broker password", fi.Mode().Perm())
	}
	c.must(200, "GET", "/healthz", nil, &hz)
	if hz.Setup {
		t.Errorf("healthz after provisioning still says setup")
	}
	if code, b := c.do("POST", "/api/v1/login", map[string]string{"pin": "2468"}, nil); code != 401 {
		t.Errorf("login with no users: %d %s", code, b)
	}

	c.must(200, "POST", "/api/v1/setup/user", map[string]string{"name": "Budi Santoso", "pin": "2468"}, nil)
	if code, b := c.do("POST", "/api/v1/setup/user", map[string]string{"name": "Mallory", "pin": "1357"}, nil); code != 409 {
		t.Errorf("a second first user: %d %s", code, b)
	}
	if mode := waitMode(t, c); mode != "done" {
		t.Errorf("after the first user: mode %q", mode)
	}
	spv := newClient(t, s.URL)
	spv.login("2468")
	var me struct{ User struct{ ID, Role string } }
	spv.must(200, "GET", "/api/v1/me", nil, &me)
	if me.User.ID != "budi-santoso" || me.User.Role != "supervisor" {
		t.Errorf("first user %+v", me.User)
	}
	var status struct {
		Store, Till string
		TimeZone    string `json:"time_zone"`
	}
	spv.must(200, "GET", "/api/v1/status", nil, &status)
	if status.Store != "S001" || status.Till != "T01" || status.TimeZone != "Asia/Makassar" {
		t.Errorf("status after setup: %+v", status)
	}
	s.stop()

	// The next start reads the saved file: no setup screen, same PIN.
	s2 := startTill(t, "--data", data, "--provision", prov, "--setup-pin-file", pinFile)
	c2 := newClient(t, s2.URL)
	c2.must(200, "GET", "/healthz", nil, &hz)
	if hz.Setup {
		t.Error("second start in setup mode")
	}
	c2.login("2468")
	if text2, _ := os.ReadFile(pinFile); string(text2) != string(text) {
		t.Errorf("setup PIN file changed on restart:\n%s", text2)
	}
}

// A provisioning file that is there but wrong opens the setup screen with
// what is wrong and the form filled from the file.
func TestSetupStartsFromInvalidFile(t *testing.T) {
	dir := t.TempDir()
	prov := filepath.Join(dir, "kasir.json")
	os.WriteFile(prov, []byte(`{"store":"S002","till":"T09","broker":"mqtt.example:1883","username":"u","password":"secret"}`), 0o600)
	s := startTill(t, "--data", filepath.Join(dir, "kasir"), "--provision", prov)
	c := newClient(t, s.URL)
	var st struct {
		Mode     string
		Problems []wire.Problem
		PINFile  string `json:"pin_file"`
	}
	c.must(200, "GET", "/api/v1/setup", nil, &st)
	fields := map[string]bool{}
	for _, p := range st.Problems {
		fields[p.Field] = true
	}
	if st.Mode != "provision" || !fields["broker"] || !fields["hq_public_key"] || fields["store"] {
		t.Fatalf("setup state %+v", st)
	}
	if want := filepath.Join(dir, setupPINName); st.PINFile != want {
		t.Errorf("PIN file %s, want %s beside kasir.json", st.PINFile, want)
	}
	text, _ := os.ReadFile(st.PINFile)
	c.must(200, "POST", "/api/v1/setup/unlock", map[string]string{"pin": wire.ParseSetupPIN(string(text))}, nil)
	var form map[string]any
	c.must(200, "GET", "/api/v1/setup/provision", nil, &form)
	if form["store"] != "S002" || form["till"] != "T09" || form["password_set"] != true || form["password"] != nil {
		t.Errorf("form %v", form)
	}
}

// `kasir-image push` asks /api/v1/busy before it updates, and /healthz for
// the version after.
func TestBusyAndVersion(t *testing.T) {
	s := startServer(t, "")
	c := newClient(t, s.URL)
	var hz healthz
	c.must(200, "GET", "/healthz", nil, &hz)
	if !hz.OK || hz.Version != version || hz.Setup {
		t.Errorf("healthz %+v", hz)
	}
	type busyJSON struct {
		Busy   bool   `json:"busy"`
		Reason string `json:"reason"`
	}
	var b busyJSON
	c.must(200, "GET", "/api/v1/busy", nil, &b)
	if b.Busy || b.Reason != "" {
		t.Errorf("idle: %+v", b)
	}
	c.login("1111")
	c.do("POST", "/api/v1/shift/open", map[string]any{"float": 0}, nil)
	p := barcodes(t, c, 1)[0]
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": p.Barcodes[0]}, nil)
	anon := newClient(t, s.URL) // no login: the update tool has none
	anon.must(200, "GET", "/api/v1/busy", nil, &b)
	if !b.Busy || b.Reason != "cart_open" {
		t.Errorf("with a line in the cart: %+v", b)
	}
	c.must(200, "DELETE", "/api/v1/cart", nil, nil)
	anon.must(200, "GET", "/api/v1/busy", nil, &b)
	if b.Busy {
		t.Errorf("after clearing the cart: %+v", b)
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/busy", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("busy for a foreign host: %d, want 403", resp.StatusCode)
	}
}
