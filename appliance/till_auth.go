package appliance

import (
	"context"
	"time"
)

// Login finds the active user whose PIN this is and opens a session. Wrong
// PINs in a row lock login for the configured time.
//
// client names where the attempt comes from (the web layer passes the
// remote address): the lockout is per client, so a stranger on the shop's
// network guessing PINs cannot lock the cashier's own screen.
func (t *Till) Login(ctx context.Context, pin, client string) (token string, u User, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	user, err := t.checkPIN(ctx, pin, false, "client:"+client)
	if err != nil {
		return "", User{}, err
	}
	token = newID("")
	t.sessions[token] = &session{user: *user, lastSeen: t.now()}
	t.log.Info("login", "user", user.ID, "role", user.Role)
	return token, *user, nil
}

// Logout ends a session.
func (t *Till) Logout(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.sessions, token)
}

// Session returns the user of a session token.
func (t *Till) Session(token string) (User, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sessions[token]
	now := t.now()
	if !ok || (t.cfg.SessionIdle.Duration > 0 && now.Sub(s.lastSeen) > t.cfg.SessionIdle.Duration) {
		delete(t.sessions, token)
		return User{}, Errorf(CodeUnauthorized, "no session")
	}
	s.lastSeen = now
	return s.user, nil
}

// lockout counts wrong PINs in a row from one source.
type lockout struct {
	failed int
	until  time.Time
}

// maxLockouts bounds the lockout table; a flood of sources cannot grow it.
const maxLockouts = 1024

// checkPIN returns the user with pin, counting failures towards the lockout
// of key: a client for logins, a logged-in user for approvals. Callers hold
// t.mu.
func (t *Till) checkPIN(ctx context.Context, pin string, supervisor bool, key string) (*User, error) {
	now := t.now()
	lk := t.lockouts[key]
	if lk == nil {
		if len(t.lockouts) >= maxLockouts {
			for k, v := range t.lockouts {
				if now.After(v.until) {
					delete(t.lockouts, k)
				}
			}
		}
		lk = &lockout{}
		if len(t.lockouts) < maxLockouts {
			t.lockouts[key] = lk
		}
	}
	if now.Before(lk.until) {
		secs := int(lk.until.Sub(now).Seconds() + 0.999)
		return nil, &Error{Code: CodeLocked, Args: []any{secs}, Detail: "pin lockout of " + key}
	}
	users, err := t.store.Users(ctx)
	if err != nil {
		return nil, Wrap(CodeStoreFailed, err, "load users")
	}
	if ValidPIN(pin) {
		for i := range users {
			u := &users[i]
			if u.Active && CheckPIN(u.PINHash, pin) {
				if supervisor && !u.Supervisor() {
					continue
				}
				lk.failed = 0
				return u, nil
			}
		}
	}
	lk.failed++
	code, msg := CodeUnauthorized, "wrong_pin"
	if supervisor {
		// Still asking for approval: a wrong supervisor PIN must not look
		// like an expired session to the UI.
		code, msg = CodeApproval, "wrong_supervisor"
	}
	if lk.failed >= max(t.cfg.PINAttempts, 1) {
		lk.failed = 0
		lk.until = now.Add(t.cfg.LockoutFor.Duration)
		t.log.Warn("pin lockout", "source", key, "until", lk.until)
		secs := int(t.cfg.LockoutFor.Seconds())
		return nil, &Error{Code: CodeLocked, Args: []any{secs}, Detail: "pin lockout started for " + key}
	}
	return nil, Errorm(code, msg, nil, "wrong PIN from %s (%d in a row)", key, lk.failed)
}

// approve returns who approves an action that needs a supervisor: the user
// if they are one, else the supervisor whose PIN was given. Callers hold t.mu.
func (t *Till) approve(ctx context.Context, u User, pin string) (*User, error) {
	if u.Supervisor() {
		return &u, nil
	}
	if pin == "" {
		return nil, Errorf(CodeApproval, "supervisor approval needed")
	}
	return t.checkPIN(ctx, pin, true, "user:"+u.ID)
}

// AddUser creates or replaces a user with a new PIN. PINs are unique: login
// identifies the user by PIN alone.
func (t *Till) AddUser(ctx context.Context, u User, pin string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addUser(ctx, u, pin)
}

// addUser is AddUser with t.mu held.
func (t *Till) addUser(ctx context.Context, u User, pin string) error {
	if u.ID == "" || u.Name == "" || (u.Role != RoleCashier && u.Role != RoleSupervisor) {
		return Errorf(CodeInvalid, "user needs id, name and role cashier or supervisor")
	}
	users, err := t.store.Users(ctx)
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.ID != u.ID && CheckPIN(o.PINHash, pin) {
			return Errorf(CodeConflict, "PIN already used by %s", o.ID)
		}
	}
	h, err := HashPIN(pin)
	if err != nil {
		return err
	}
	u.PINHash = h
	u.Active = true
	return t.store.PutUser(ctx, u)
}
