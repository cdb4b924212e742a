package localstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/mattn/go-sqlite3"
)

// FileName is the database's name inside the directory given to Open.
const FileName = "kasir.db"

// ErrTooNew is returned by Open for a database whose schema was made by a
// newer program: running old code on it could lose what the new code wrote.
var ErrTooNew = errors.New("localstore: database schema is newer than this program")

var (
	_ appliance.Store        = (*DB)(nil)
	_ appliance.CatalogStore = (*DB)(nil)
	_ appliance.Outbox       = (*DB)(nil)
)

// DB is the till's SQLite database. Its methods are safe for concurrent use.
type DB struct {
	// Now gives bookkeeping times (config history, catalog load time). Set
	// it before use, if at all; it defaults to time.Now.
	Now func() time.Time

	path  string
	epoch string
	log   *slog.Logger

	// rw holds the one connection that writes. SQLite allows a single writer
	// at a time anyway; queuing in database/sql rather than spinning on
	// SQLITE_BUSY keeps commits in arrival order.
	rw *sql.DB
	// ro is a pool of read-only connections: in WAL mode they read a
	// consistent snapshot while the writer works.
	ro *sql.DB

	// catalogMu orders catalog swaps against searches, so a search never
	// sees the new catalog's rows with the old in-memory index.
	catalogMu sync.RWMutex
	catalog   *catalogIndex

	// replaceMu lets one catalog import at a time use the staging tables.
	replaceMu sync.Mutex
	// Test hooks: stageHook runs after each staged chunk commits, with the
	// number of products staged so far; switchHook runs inside the switch
	// transaction before its commit, and an error from it aborts the switch.
	stageHook  func(staged int)
	switchHook func(tx *sql.Tx) error
}

// Connection settings. synchronous=FULL because go-sqlite3 is built with
// SQLITE_DEFAULT_WAL_SYNCHRONOUS=1 (NORMAL), which may lose the last
// commits on power loss; FULL fsyncs the WAL on every commit, so a commit
// that returned is on disk. journal_mode is not here: it is persistent in
// the file and Open sets it only after the integrity check, because
// switching a file to WAL writes to it.
const (
	rwParams = "_synchronous=FULL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate"
	roParams = "_synchronous=FULL&_foreign_keys=on&_busy_timeout=5000&_txlock=deferred&_query_only=on"
)

// Open opens dir/kasir.db, creating the directory and the database when they
// do not exist, checks its integrity and brings its schema up to date.
//
// A database that fails its integrity check is left untouched and Open
// returns an error with code appliance.CodeCorrupt. A database made by a
// newer program is refused with ErrTooNew.
func Open(ctx context.Context, dir string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "localstore")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("localstore: create directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)

	db := &DB{Now: time.Now, path: path, log: log}
	if err := db.open(ctx, created); err != nil {
		db.Close()
		if isCorrupt(err) && appliance.ErrorCode(err) != appliance.CodeCorrupt {
			err = appliance.Wrap(appliance.CodeCorrupt, err, "open %s", path)
		}
		return nil, err
	}
	info := db.catalogIndex().info
	log.Info("database open", "path", path, "created", created, "epoch", db.epoch,
		"schema", len(migrations), "catalog", info.Version, "products", info.Products)
	return db, nil
}

func (db *DB) open(ctx context.Context, created bool) error {
	var err error
	db.rw, err = sql.Open("sqlite3", db.path+"?"+rwParams)
	if err != nil {
		return fmt.Errorf("localstore: open %s: %w", db.path, err)
	}
	db.rw.SetMaxOpenConns(1)
	db.rw.SetMaxIdleConns(1)
	db.rw.SetConnMaxLifetime(0)

	var version int
	if err := db.rw.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("localstore: read schema version of %s: %w", db.path, err)
	}
	if version > len(migrations) {
		return fmt.Errorf("%w: %s is at version %d, this program knows %d; run a newer Kasir or restore a backup",
			ErrTooNew, db.path, version, len(migrations))
	}
	// Check before anything writes: a damaged file must stay as it was
	// found so that it can be recovered.
	if !created {
		if err := check(ctx, db.rw); err != nil {
			return err
		}
	}
	var mode string
	if err := db.rw.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("localstore: set WAL mode: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("localstore: journal mode is %q, want wal", mode)
	}
	if err := migrate(ctx, db.rw, len(migrations)); err != nil {
		return err
	}
	// A catalog import cut short by a crash left its staging tables.
	if err := db.dropStaging(ctx); err != nil {
		return fmt.Errorf("localstore: clear catalog staging: %w", err)
	}
	if created {
		// The new file's directory entry must reach the disk too, or a
		// power cut could take the whole database with it.
		if err := syncDir(filepath.Dir(db.path)); err != nil {
			return fmt.Errorf("localstore: sync directory: %w", err)
		}
	}
	if err := db.rw.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'epoch'").Scan(&db.epoch); err != nil {
		return fmt.Errorf("localstore: read epoch: %w", err)
	}

	db.ro, err = sql.Open("sqlite3", db.path+"?"+roParams)
	if err != nil {
		return fmt.Errorf("localstore: open readers: %w", err)
	}
	db.ro.SetMaxOpenConns(4)
	db.ro.SetMaxIdleConns(4)
	return db.loadCatalog(ctx)
}

// check runs SQLite's integrity and foreign key checks.
func check(ctx context.Context, q *sql.DB) error {
	rows, err := q.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("localstore: integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("localstore: integrity check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("localstore: integrity check: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("localstore: integrity check: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		return appliance.Errorf(appliance.CodeCorrupt, "integrity check: %s", strings.Join(problems, "; "))
	}

	rows, err = q.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("localstore: foreign key check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return fmt.Errorf("localstore: foreign key check: %w", err)
		}
		return appliance.Errorf(appliance.CodeCorrupt, "foreign key check: %s row %d points at a missing %s", table, rowid.Int64, parent)
	}
	return rows.Err()
}

// IntegrityCheck runs SQLite's integrity and foreign key checks on the open
// database. A failure has code appliance.CodeCorrupt.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	err := check(ctx, db.ro)
	if err != nil && isCorrupt(err) && appliance.ErrorCode(err) != appliance.CodeCorrupt {
		err = appliance.Wrap(appliance.CodeCorrupt, err, "integrity check %s", db.path)
	}
	return err
}

// Close closes the database. Closing the last connection checkpoints the
// WAL into the main file.
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

// Epoch is the database's random identity, made when it was created.
func (db *DB) Epoch() string { return db.epoch }

func (db *DB) now() time.Time {
	if db.Now != nil {
		return db.Now()
	}
	return time.Now()
}

// isCorrupt reports whether SQLite said the file is damaged or not a
// database at all.
func isCorrupt(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB)
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

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func notFound(format string, args ...any) error {
	return appliance.Wrap(appliance.CodeNotFound, appliance.ErrNotFound, format, args...)
}
