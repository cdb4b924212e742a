package appliance

import "context"

// HasUsers reports whether the till has any user. A till without one
// cannot be logged into: the setup screen then offers to create the first
// supervisor.
func (t *Till) HasUsers(ctx context.Context) (bool, error) {
	users, err := t.store.Users(ctx)
	if err != nil {
		return false, Wrap(CodeStoreFailed, err, "load users")
	}
	return len(users) > 0, nil
}

// AddFirstSupervisor creates the till's first user, a supervisor. It fails
// with CodeConflict once the till has any user: from then on users are
// managed by a supervisor, not by whoever holds the setup PIN.
func (t *Till) AddFirstSupervisor(ctx context.Context, u User, pin string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	users, err := t.store.Users(ctx)
	if err != nil {
		return Wrap(CodeStoreFailed, err, "load users")
	}
	if len(users) > 0 {
		return Errorm(CodeConflict, "setup_users_exist", nil, "the till already has %d users", len(users))
	}
	u.Role = RoleSupervisor
	if !ValidPIN(pin) {
		return Errorm(CodeInvalid, "bad_pin", nil, "PIN must be 4 to 8 digits")
	}
	if err := t.addUser(ctx, u, pin); err != nil {
		return err
	}
	t.log.Info("first supervisor added", "user", u.ID)
	return nil
}
