package headoffice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver
)

// FileName is the database's name inside the directory given to Open.
const FileName = "hq.db"

// ErrTooNew is returned by Open for a database whose schema was made by a
// newer program.
var ErrTooNew = errors.New("headoffice: database schema is newer than this program")

// DB is head office's SQLite database. Its methods are safe for concurrent
// use, and several DBs (in one process or several) may share one file: every
// write is one IMMEDIATE transaction, so writers take turns.
type DB struct {
	// Now gives head office's bookkeeping times (when a message arrived,
	// the ack's time). Set it before use, if at all; it defaults to time.Now.
	Now func() time.Time

	path string
	log  *slog.Logger
	// rw is the one connection that writes: SQLite has one writer at a time
	// anyway, and queuing in database/sql keeps this process from spinning
	// on SQLITE_BUSY against itself. Other processes are waited for by the
	// busy timeout.
	rw *sql.DB
	// ro reads a consistent WAL snapshot while the writer works.
	ro *sql.DB
}

// synchronous=FULL: go-sqlite3 builds with WAL synchronous NORMAL, which may
// lose the last commits on power loss, and an ack published for a commit
// that was lost would make the till delete sales head office no longer has.
// _txlock=immediate takes the write lock at BEGIN, so the high-water mark an
// Ingest reads cannot change before it writes.
const (
	rwParams = "_synchronous=FULL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate"
	roParams = "_synchronous=FULL&_foreign_keys=on&_busy_timeout=10000&_txlock=deferred&_query_only=on"
)

// Open opens dir/hq.db, creating the directory and the database when they
// do not exist, and brings its schema up to date. A database made by a newer
// program is refused with ErrTooNew.
func Open(ctx context.Context, dir string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "headoffice")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("headoffice: create directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)

	db := &DB{Now: time.Now, path: path, log: log}
	if err := db.open(ctx, created); err != nil {
		db.Close()
		return nil, err
	}
	log.Info("database open", "path", path, "created", created, "schema", len(migrations))
	return db, nil
}

func (db *DB) open(ctx context.Context, created bool) error {
	var err error
	db.rw, err = sql.Open("sqlite3", db.path+"?"+rwParams)
	if err != nil {
		return fmt.Errorf("headoffice: open %s: %w", db.path, err)
	}
	db.rw.SetMaxOpenConns(1)
	db.rw.SetMaxIdleConns(1)
	db.rw.SetConnMaxLifetime(0)

	var version int
	if err := db.rw.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("headoffice: read schema version of %s: %w", db.path, err)
	}
	if version > len(migrations) {
		return fmt.Errorf("%w: %s is at version %d, this program knows %d", ErrTooNew, db.path, version, len(migrations))
	}
	var mode string
	if err := db.rw.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("headoffice: set WAL mode: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("headoffice: journal mode is %q, want wal", mode)
	}
	if err := migrate(ctx, db.rw); err != nil {
		return err
	}
	if created {
		// The new file's directory entry must reach the disk too.
		if err := syncDir(filepath.Dir(db.path)); err != nil {
			return fmt.Errorf("headoffice: sync directory: %w", err)
		}
	}
	db.ro, err = sql.Open("sqlite3", db.path+"?"+roParams)
	if err != nil {
		return fmt.Errorf("headoffice: open readers: %w", err)
	}
	db.ro.SetMaxOpenConns(4)
	db.ro.SetMaxIdleConns(4)
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	var errs []error
	if db.ro != nil {
		errs = append(errs, db.ro.Close())
	}
	if db.rw != nil {
		errs = append(errs, db.rw.Close())
	}
	return errors.Join(errs...)
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

func (db *DB) now() time.Time {
	if db.Now != nil {
		return db.Now()
	}
	return time.Now()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Times are stored as Unix nanoseconds: exact, and they sort. The zero time
// is NULL.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
