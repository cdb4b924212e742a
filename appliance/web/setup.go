package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

// Setup is the technician's screen at /setup, behind the setup PIN: it
// fills in a missing or invalid provisioning file, and creates the first
// supervisor of a till that has no users. It outlives the handlers it is
// mounted on: the setup-only handler before provisioning and the till's
// Server after it share one Setup, so that the PIN lockout and the
// technician's session carry over.
type Setup struct {
	pin     string
	pinFile string
	// updatePassword reads the update password; nil when there is none.
	updatePassword func() (string, error)
	now            func() time.Time
	log            *slog.Logger

	mu        sync.Mutex
	lockouts  map[string]*setupLockout
	sessions  map[string]time.Time // token → last seen
	current   *wire.Provision      // what the file held, to start the form from
	problems  []wire.Problem       // nil: provisioned
	save      func(context.Context, *wire.Provision) error
	saved     bool
	till      *appliance.Till
	setupIdle time.Duration
}

// SetupOptions configure a Setup.
type SetupOptions struct {
	// PIN is the setup PIN; PINFile tells the technician where to read it.
	PIN     string
	PINFile string
	// UpdatePassword, when set, reads the till's update password (the
	// one `kasir-image push` needs), shown to whoever unlocked setup.
	UpdatePassword func() (string, error)
	// Now defaults to time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Setup PIN lockout: like the login's, per client.
const (
	setupAttempts  = 5
	setupLockFor   = 5 * time.Minute
	setupIdleAfter = 30 * time.Minute
	setupCookie    = "kasir_setup"
)

type setupLockout struct {
	failed int
	until  time.Time
}

// NewSetup returns the setup screen's state.
func NewSetup(o SetupOptions) *Setup {
	st := &Setup{pin: o.PIN, pinFile: o.PINFile, now: o.Now, log: o.Log, updatePassword: o.UpdatePassword,
		lockouts: map[string]*setupLockout{}, sessions: map[string]time.Time{}, setupIdle: setupIdleAfter}
	if st.now == nil {
		st.now = time.Now
	}
	if st.log == nil {
		st.log = slog.New(slog.DiscardHandler)
	}
	st.log = st.log.With("component", "setup")
	return st
}

// PINFile is where the setup PIN is written.
func (st *Setup) PINFile() string { return st.pinFile }

// NeedProvision puts the screen in provisioning mode: current is what the
// file held (nil when there was none), problems what is wrong with it, and
// save writes a checked provisioning and starts the till; its error is
// shown to the technician.
func (st *Setup) NeedProvision(current *wire.Provision, problems []wire.Problem, save func(context.Context, *wire.Provision) error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if current == nil {
		current = &wire.Provision{}
	}
	if len(problems) == 0 {
		problems = current.Check()
	}
	st.current, st.problems, st.save, st.saved = current, problems, save, false
}

// SetTill hands the running till to the screen: provisioning is done, and
// the first supervisor can be created when it has no users.
func (st *Setup) SetTill(t *appliance.Till) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.till, st.problems, st.save = t, nil, nil
}

// Modes of the setup screen.
const (
	SetupProvision = "provision"  // kasir.json is missing or wrong
	SetupStarting  = "starting"   // saved; the till is starting
	SetupFirstUser = "first_user" // the till runs and has no users
	SetupDone      = "done"
)

// Mode says what the screen asks for now.
func (st *Setup) Mode(ctx context.Context) string {
	st.mu.Lock()
	till, problems, saved := st.till, st.problems, st.saved
	st.mu.Unlock()
	switch {
	case till == nil && saved:
		return SetupStarting
	case till == nil || problems != nil:
		return SetupProvision
	}
	if has, err := till.HasUsers(ctx); err == nil && !has {
		return SetupFirstUser
	}
	return SetupDone
}

func (st *Setup) routes(m *http.ServeMux, s *Server) {
	m.HandleFunc("GET /api/v1/setup", st.state(s))
	m.HandleFunc("POST /api/v1/setup/unlock", st.unlock(s))
	m.HandleFunc("GET /api/v1/setup/provision", st.session(s, st.getProvision))
	m.HandleFunc("POST /api/v1/setup/provision", st.session(s, st.putProvision))
	m.HandleFunc("POST /api/v1/setup/user", st.session(s, st.addUser))
}

func (st *Setup) state(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mode := st.Mode(r.Context())
		st.mu.Lock()
		problems := st.problems
		unlocked := st.validSession(r)
		st.mu.Unlock()
		if problems == nil {
			problems = []wire.Problem{}
		}
		out := map[string]any{
			"mode": mode, "problems": problems, "pin_file": st.pinFile, "unlocked": unlocked,
		}
		if unlocked && st.updatePassword != nil {
			// Printed once on the console at first boot; here the
			// technician finds it again, behind the setup PIN.
			if pw, err := st.updatePassword(); err == nil {
				out["update_password"] = pw
			} else {
				st.log.Warn("update password", "err", err)
			}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (st *Setup) unlock(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			PIN string `json:"pin"`
		}
		if err := decode(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		token, err := st.check(strings.TrimSpace(req.PIN), clientOf(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: setupCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
}

// check compares pin with the setup PIN, counting wrong ones per client,
// and opens a setup session.
func (st *Setup) check(pin, client string) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	lk := st.lockouts[client]
	if lk == nil {
		if len(st.lockouts) >= maxSetupLockouts {
			for k, v := range st.lockouts {
				if now.After(v.until) {
					delete(st.lockouts, k)
				}
			}
		}
		lk = &setupLockout{}
		if len(st.lockouts) < maxSetupLockouts {
			st.lockouts[client] = lk
		}
	}
	if now.Before(lk.until) {
		secs := int(lk.until.Sub(now).Seconds() + 0.999)
		return "", &appliance.Error{Code: appliance.CodeLocked, Args: []any{secs}, Detail: "setup pin lockout of " + client}
	}
	if st.pin == "" || subtle.ConstantTimeCompare([]byte(pin), []byte(st.pin)) != 1 {
		lk.failed++
		if lk.failed >= setupAttempts {
			lk.failed = 0
			lk.until = now.Add(setupLockFor)
			st.log.Warn("setup pin lockout", "client", client, "until", lk.until)
			return "", &appliance.Error{Code: appliance.CodeLocked, Args: []any{int(setupLockFor.Seconds())}, Detail: "setup pin lockout started for " + client}
		}
		return "", appliance.Errorm(appliance.CodeUnauthorized, "wrong_setup_pin", nil, "wrong setup PIN from %s (%d in a row)", client, lk.failed)
	}
	lk.failed = 0
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	for k, seen := range st.sessions {
		if now.Sub(seen) > st.setupIdle {
			delete(st.sessions, k)
		}
	}
	st.sessions[token] = now
	st.log.Info("setup unlocked", "client", client)
	return token, nil
}

// maxSetupLockouts bounds the lockout table against a flood of clients.
const maxSetupLockouts = 1024

// validSession reports whether r carries a live setup session, and keeps
// it alive. Callers hold st.mu.
func (st *Setup) validSession(r *http.Request) bool {
	c, err := r.Cookie(setupCookie)
	if err != nil {
		return false
	}
	seen, ok := st.sessions[c.Value]
	now := st.now()
	if !ok || now.Sub(seen) > st.setupIdle {
		delete(st.sessions, c.Value)
		return false
	}
	st.sessions[c.Value] = now
	return true
}

func (st *Setup) session(s *Server, h func(http.ResponseWriter, *http.Request, *Server)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		ok := st.validSession(r)
		st.mu.Unlock()
		if !ok {
			s.fail(w, r, appliance.Errorm(appliance.CodeUnauthorized, "setup_no_session", nil, "no setup session"))
			return
		}
		h(w, r, s)
	}
}

// provisionForm is the form's view of kasir.json. The broker password is
// never sent back: an empty one on save keeps the file's.
type provisionForm struct {
	Store       string           `json:"store"`
	Till        string           `json:"till"`
	Broker      string           `json:"broker"`
	Username    string           `json:"username"`
	Password    string           `json:"password,omitempty"`
	PasswordSet bool             `json:"password_set"`
	CA          string           `json:"ca"`
	HQPublicKey string           `json:"hq_public_key"`
	TimeZone    string           `json:"time_zone"`
	Devices     *json.RawMessage `json:"devices,omitempty"`
}

func (st *Setup) getProvision(w http.ResponseWriter, r *http.Request, s *Server) {
	st.mu.Lock()
	p := st.current
	st.mu.Unlock()
	if p == nil {
		p = &wire.Provision{}
	}
	f := provisionForm{Store: p.Store, Till: p.Till, Broker: p.Broker, Username: p.Username, PasswordSet: p.Password != "",
		CA: p.CA, HQPublicKey: p.HQPublicKey, TimeZone: p.TimeZone}
	if p.Devices != nil {
		b, _ := json.Marshal(p.Devices)
		raw := json.RawMessage(b)
		f.Devices = &raw
	}
	writeJSON(w, http.StatusOK, f)
}

func (st *Setup) putProvision(w http.ResponseWriter, r *http.Request, s *Server) {
	var f provisionForm
	if err := decode(r, &f); err != nil {
		s.fail(w, r, err)
		return
	}
	st.mu.Lock()
	cur, save, saved := st.current, st.save, st.saved
	st.mu.Unlock()
	if save == nil || saved {
		s.fail(w, r, appliance.Errorm(appliance.CodeConflict, "setup_provisioned", nil, "provisioning through setup while the till runs"))
		return
	}
	p := &wire.Provision{Store: strings.TrimSpace(f.Store), Till: strings.TrimSpace(f.Till), Broker: strings.TrimSpace(f.Broker),
		Username: strings.TrimSpace(f.Username), Password: f.Password, CA: strings.TrimSpace(f.CA),
		HQPublicKey: strings.TrimSpace(f.HQPublicKey), TimeZone: strings.TrimSpace(f.TimeZone)}
	if p.CA != "" {
		p.CA += "\n"
	}
	if p.Password == "" && cur != nil {
		p.Password = cur.Password
	}
	var problems []wire.Problem
	if f.Devices != nil && strings.TrimSpace(string(*f.Devices)) != "null" {
		var d wire.Devices
		dec := json.NewDecoder(strings.NewReader(string(*f.Devices)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			problems = append(problems, wire.Problem{Field: "devices", ID: "perangkat: bukan JSON perangkat (" + err.Error() + ")", EN: "devices: not a devices object (" + err.Error() + ")"})
		} else {
			p.Devices = &d
		}
	}
	problems = append(problems, p.Check()...)
	if len(problems) > 0 {
		st.mu.Lock()
		st.current, st.problems = p, problems
		st.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error":    apiError{Code: string(appliance.CodeInvalid), Message: appliance.Message(appliance.Errorm(appliance.CodeInvalid, "setup_invalid", nil, "setup form"), lang(r))},
			"problems": problems,
		})
		return
	}
	if err := save(r.Context(), p); err != nil {
		s.fail(w, r, appliance.Wrap(appliance.CodeStoreFailed, err, "save provisioning"))
		return
	}
	st.mu.Lock()
	st.current, st.problems, st.saved = p, nil, true
	st.mu.Unlock()
	st.log.Info("provisioning saved", "store", p.Store, "till", p.Till, "client", clientOf(r))
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "mode": st.Mode(r.Context())})
}

func (st *Setup) addUser(w http.ResponseWriter, r *http.Request, s *Server) {
	var req struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		PIN  string `json:"pin"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	st.mu.Lock()
	till := st.till
	st.mu.Unlock()
	if till == nil {
		s.fail(w, r, appliance.Errorm(appliance.CodeConflict, "setup_required", nil, "first user before the till runs"))
		return
	}
	name := strings.TrimSpace(req.Name)
	id := strings.TrimSpace(req.ID)
	if id == "" {
		id = userID(name)
	}
	if name == "" || id == "" {
		s.fail(w, r, appliance.Errorm(appliance.CodeInvalid, "bad_request", nil, "first user without a name"))
		return
	}
	u := appliance.User{ID: id, Name: name, Role: appliance.RoleSupervisor}
	if err := till.AddFirstSupervisor(r.Context(), u, strings.TrimSpace(req.PIN)); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userJSON{u.ID, u.Name, u.Role}})
}

// userID makes an id from a name: "Budi Santoso" → "budi-santoso".
func userID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// SetupOnly serves a till that cannot start yet because its provisioning
// file is missing or invalid: the setup screen at / and /setup, /healthz
// (up, in setup mode), /api/v1/busy (never busy) and, for every other API
// call, the reason.
func SetupOnly(st *Setup, version string, hosts []string, log *slog.Logger) *Server {
	s := newServer(Options{Log: log, AllowedHosts: hosts, Version: version, Setup: st})
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /api/v1/busy", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, busyJSON{Busy: false, Reason: ""})
	})
	st.routes(m, s)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, appliance.Errorm(appliance.CodeConflict, "setup_required", nil, "%s %s before provisioning", r.Method, r.URL.Path))
	})
	s.uiRoutes()
	return s
}
