package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTill is a till's API and gokrazy's update endpoints, as Push sees
// them: the till reports its version and whether it is busy; gokrazy
// writes what it is sent to the inactive partition and answers its hash.
type fakeTill struct {
	mu       *sync.Mutex
	version  string
	busy     *bool  // nil: the till predates /api/v1/busy
	busySeq  []bool // answers of the first calls, before busy's
	reason   string
	password string
	corrupt  bool // gokrazy writes something else than it was sent
	written  map[string][]byte
	switched bool
	next     string // the version after the reboot
	steps    []string
}

func (f *fakeTill) servers(t *testing.T) (till, gok *httptest.Server) {
	tm := http.NewServeMux()
	tm.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	tm.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		fmt.Fprintf(w, `{"version":%q}`, f.version)
	})
	tm.HandleFunc("GET /api/v1/busy", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.busy == nil {
			http.NotFound(w, r)
			return
		}
		f.steps = append(f.steps, "busy?")
		busy := *f.busy
		if len(f.busySeq) > 0 {
			busy, f.busySeq = f.busySeq[0], f.busySeq[1:]
		}
		fmt.Fprintf(w, `{"busy":%v,"reason":%q}`, busy, f.reason)
	})
	gm := http.NewServeMux()
	gm.HandleFunc("GET /update/features", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "partuuid,updatehash,") })
	for _, p := range []string{"/update/root", "/update/boot"} {
		gm.HandleFunc("PUT "+p, func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.corrupt {
				b = append(b, 0)
			}
			f.written[p] = b
			f.steps = append(f.steps, p)
			fmt.Fprintf(w, "%x", sha256.Sum256(b))
		})
	}
	gm.HandleFunc("POST /update/switch", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.switched = true
		f.steps = append(f.steps, "switch")
	})
	gm.HandleFunc("POST /reboot", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.steps = append(f.steps, "reboot")
		if f.switched {
			f.version = f.next
		}
	})
	auth := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "gokrazy" || p != f.password {
				http.Error(w, "invalid username/password", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	till, gok = httptest.NewServer(tm), httptest.NewServer(auth(gm))
	t.Cleanup(till.Close)
	t.Cleanup(gok.Close)
	return till, gok
}

func testUpdate(t *testing.T) *Update {
	u := &Update{Version: "B"}
	var err error
	if u.Root, err = payload(io.NewSectionReader(bytes.NewReader(bytes.Repeat([]byte("root"), 5000)), 0, 20000)); err != nil {
		t.Fatal(err)
	}
	if u.Boot, err = payload(io.NewSectionReader(strings.NewReader("boot partition"), 0, 14)); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPush(t *testing.T) {
	yes, no := true, false
	for _, tt := range []struct {
		name      string
		till      fakeTill
		password  string
		force     bool
		wantErr   error
		wantSteps string
	}{
		{name: "idle", till: fakeTill{busy: &no}, wantSteps: "busy? /update/root busy? /update/boot switch busy? reboot"},
		{name: "a sale begun during the upload", till: fakeTill{busy: &no, busySeq: []bool{false, false, true}},
			wantSteps: "busy? /update/root busy? /update/boot switch busy? busy? reboot"},
		{name: "a cart opened during the root upload", till: fakeTill{busy: &no, busySeq: []bool{false, true}},
			wantErr: ErrTillBusy, wantSteps: "busy? /update/root busy?"},
		{name: "busy", till: fakeTill{busy: &yes, reason: "a cart is open"}, wantErr: ErrTillBusy, wantSteps: "busy?"},
		{name: "no busy check", till: fakeTill{}, wantErr: ErrNoBusyCheck},
		{name: "no busy check, forced", till: fakeTill{}, force: true, wantSteps: "/update/root /update/boot switch reboot"},
		{name: "wrong password", till: fakeTill{busy: &no}, password: "guess", wantErr: ErrBadPassword, wantSteps: "busy?"},
		{name: "hash differs", till: fakeTill{busy: &no, corrupt: true}, wantErr: ErrHashMismatch, wantSteps: "busy? /update/root"},
		{name: "old version comes back", till: fakeTill{busy: &no, next: "A"}, wantErr: errVersion,
			wantSteps: "busy? /update/root busy? /update/boot switch busy? reboot"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.till
			f.mu, f.version, f.password, f.written = &sync.Mutex{}, "A", "secret", map[string][]byte{}
			if f.next == "" {
				f.next = "B"
			}
			till, gok := (&f).servers(t)
			pw := tt.password
			if pw == "" {
				pw = "secret"
			}
			u := testUpdate(t)
			// A bound, not a threshold: only the case whose till never
			// comes back with the new version waits it out.
			wait := time.Minute
			if tt.wantErr == errVersion {
				wait = time.Second
			}
			_, err := Push(context.Background(), PushConfig{
				Till: strings.TrimPrefix(till.URL, "http://"), Gokrazy: strings.TrimPrefix(gok.URL, "http://"),
				Password: pw, Update: u, Force: tt.force, Wait: wait,
			})
			switch {
			case tt.wantErr == errVersion:
				if err == nil || !strings.Contains(err.Error(), "answers with version A, want B") {
					t.Errorf("err = %v, want the old version reported", err)
				}
			case tt.wantErr == nil && err != nil, tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if got := strings.Join(f.steps, " "); got != tt.wantSteps {
				t.Errorf("steps %q, want %q", got, tt.wantSteps)
			}
			if tt.wantErr == nil {
				if got := hex.EncodeToString(sha256Of(f.written["/update/root"])); got != u.Root.SHA256 {
					t.Errorf("root written with sha256 %s, sent %s", got, u.Root.SHA256)
				}
			}
		})
	}
}

var errVersion = errors.New("version")

func sha256Of(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
