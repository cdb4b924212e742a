package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// Users returns every user, active or not, by ID.
func (db *DB) Users(ctx context.Context) ([]appliance.User, error) {
	rows, err := db.ro.QueryContext(ctx, "SELECT id, name, role, pin_hash, active FROM users ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	defer rows.Close()
	var out []appliance.User
	for rows.Next() {
		var u appliance.User
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &u.PINHash, &u.Active); err != nil {
			return nil, fmt.Errorf("read users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	return out, nil
}

// PutUser adds a user or replaces the one with the same ID.
func (db *DB) PutUser(ctx context.Context, u appliance.User) error {
	if u.ID == "" {
		return appliance.Errorf(appliance.CodeInvalid, "put user: no ID")
	}
	_, err := db.rw.ExecContext(ctx, `INSERT INTO users (id, name, role, pin_hash, active) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,
			pin_hash = excluded.pin_hash, active = excluded.active`,
		u.ID, u.Name, string(u.Role), u.PINHash, boolInt(u.Active))
	if err != nil {
		return fmt.Errorf("put user %s: %w", u.ID, err)
	}
	return nil
}

// SaveCart stores a cart in progress or parked, replacing its last save.
func (db *DB) SaveCart(ctx context.Context, c *appliance.Cart) error {
	if c == nil || c.ID == "" {
		return appliance.Errorf(appliance.CodeInvalid, "save cart: no ID")
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("save cart %s: encode: %w", c.ID, err)
	}
	_, err = db.rw.ExecContext(ctx, `INSERT INTO carts (id, parked, started, updated, doc) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET parked = excluded.parked, started = excluded.started,
			updated = excluded.updated, doc = excluded.doc`,
		c.ID, boolInt(c.Parked), nanos(c.Started), nanos(c.Updated), string(doc))
	if err != nil {
		return fmt.Errorf("save cart %s: %w", c.ID, err)
	}
	return nil
}

// DeleteCart removes a cart; removing one that is not there is not an error.
func (db *DB) DeleteCart(ctx context.Context, id string) error {
	if _, err := db.rw.ExecContext(ctx, "DELETE FROM carts WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete cart %s: %w", id, err)
	}
	return nil
}

// Carts returns every saved cart, oldest first.
func (db *DB) Carts(ctx context.Context) ([]appliance.Cart, error) {
	rows, err := db.ro.QueryContext(ctx, "SELECT doc FROM carts ORDER BY started, id")
	if err != nil {
		return nil, fmt.Errorf("read carts: %w", err)
	}
	defer rows.Close()
	var out []appliance.Cart
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("read carts: %w", err)
		}
		var c appliance.Cart
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return nil, fmt.Errorf("read carts: decode: %w", err)
		}
		c.Started, c.Updated, c.ParkedAt = utc(c.Started), utc(c.Updated), utc(c.ParkedAt)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read carts: %w", err)
	}
	return out, nil
}

// Config returns the stored config, or ErrNotFound when none was stored.
func (db *DB) Config(ctx context.Context) (appliance.Config, error) {
	var c appliance.Config
	var doc string
	err := db.ro.QueryRowContext(ctx, "SELECT doc FROM config WHERE id = 1").Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("config")
	}
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return c, fmt.Errorf("read config: decode: %w", err)
	}
	return c, nil
}

// PutConfig stores the config the till runs on and keeps it in the history.
func (db *DB) PutConfig(ctx context.Context, c appliance.Config) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("put config %s: encode: %w", c.Version, err)
	}
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put config %s: %w", c.Version, err)
	}
	defer tx.Rollback()
	now := nanos(db.now())
	if _, err := tx.ExecContext(ctx, `INSERT INTO config (id, version, stored, doc) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, stored = excluded.stored, doc = excluded.doc`,
		c.Version, now, string(doc)); err != nil {
		return fmt.Errorf("put config %s: %w", c.Version, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO config_history (version, stored, doc) VALUES (?, ?, ?)",
		c.Version, now, string(doc)); err != nil {
		return fmt.Errorf("put config %s: history: %w", c.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put config %s: commit: %w", c.Version, err)
	}
	return nil
}

// ConfigVersion is one entry of the config history.
type ConfigVersion struct {
	Version string
	Stored  time.Time
	Config  appliance.Config
}

// ConfigHistory returns the configs stored so far, newest first, at most
// limit (all when limit <= 0).
func (db *DB) ConfigHistory(ctx context.Context, limit int) ([]ConfigVersion, error) {
	rows, err := db.ro.QueryContext(ctx, "SELECT version, stored, doc FROM config_history ORDER BY id DESC LIMIT ?",
		limitOrAll(limit))
	if err != nil {
		return nil, fmt.Errorf("read config history: %w", err)
	}
	defer rows.Close()
	var out []ConfigVersion
	for rows.Next() {
		var v ConfigVersion
		var t sql.NullInt64
		var doc string
		if err := rows.Scan(&v.Version, &t, &doc); err != nil {
			return nil, fmt.Errorf("read config history: %w", err)
		}
		if err := json.Unmarshal([]byte(doc), &v.Config); err != nil {
			return nil, fmt.Errorf("read config history: decode: %w", err)
		}
		v.Stored = fromNanos(t)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read config history: %w", err)
	}
	return out, nil
}
