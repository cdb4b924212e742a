package appliance

import (
	"context"
	"time"
)

// Login finds the active user whose PIN this is and opens a session. Wrong
// PINs in a row lock login for the configured time.
func (t *Till) Login(ctx context.Context, pin string) (token string, u User, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	user, err := t.checkPIN(ctx, pin, false)
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

// checkPIN returns the user with pin, counting failures towards the lockout.
// Callers hold t.mu.
func (t *Till) checkPIN(ctx context.Context, pin string, supervisor bool) (*User, error) {
	now := t.now()
	if now.Before(t.lockedUntil) {
		secs := int(t.lockedUntil.Sub(now).Seconds() + 0.999)
		return nil, &Error{Code: CodeLocked, Args: []any{secs}, Detail: "pin lockout"}
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
				t.failedPINs = 0
				return u, nil
			}
		}
	}
	t.failedPINs++
	code, key := CodeUnauthorized, "wrong_pin"
	if supervisor {
		// Still asking for approval: a wrong supervisor PIN must not look
		// like an expired session to the UI.
		code, key = CodeApproval, "wrong_supervisor"
	}
	if t.failedPINs >= max(t.cfg.PINAttempts, 1) {
		t.failedPINs = 0
		t.lockedUntil = now.Add(t.cfg.LockoutFor.Duration)
		t.log.Warn("pin lockout", "until", t.lockedUntil)
		secs := int(t.cfg.LockoutFor.Seconds())
		return nil, &Error{Code: CodeLocked, Args: []any{secs}, Detail: "pin lockout started"}
	}
	return nil, Errorm(code, key, nil, "wrong PIN (%d in a row)", t.failedPINs)
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
	return t.checkPIN(ctx, pin, true)
}

// LockedFor reports how long login stays locked.
func (t *Till) LockedFor() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.lockedUntil.Sub(t.now()), 0)
}

// AddUser creates or replaces a user with a new PIN. PINs are unique: login
// identifies the user by PIN alone.
func (t *Till) AddUser(ctx context.Context, u User, pin string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
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
