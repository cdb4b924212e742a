package headoffice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PG is head office's database on PostgreSQL: the same Store as DB, for a
// head office whose workers run in several processes or on several
// machines. Its methods are safe for concurrent use, and any number of PGs
// may share one database.
//
// Every Ingest is one READ COMMITTED transaction that first locks its
// series' row (store, till, epoch) with SELECT … FOR UPDATE, so ingests of
// one series take turns while other series go in parallel; the high-water
// mark it reads cannot move before it commits.
type PG struct {
	// Now gives head office's bookkeeping times (when a message arrived,
	// the ack's time). Set it before use, if at all; it defaults to time.Now.
	Now func() time.Time

	db  *sql.DB
	log *slog.Logger
	url string // without its password
}

var _ Store = (*PG)(nil)

// pgMaxConns bounds each PG's connections. The worker writes from one
// goroutine; the rest serve the HTTP handler's reads.
const pgMaxConns = 8

// OpenPostgres connects to the PostgreSQL database at url
// (postgres://user:password@host:port/db?sslmode=…) and brings its schema
// up to date. A database made by a newer program is refused with ErrTooNew.
func OpenPostgres(ctx context.Context, url string, log *slog.Logger) (*PG, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "headoffice")
	p := &PG{Now: time.Now, log: log, url: redactURL(url)}
	var err error
	p.db, err = sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("headoffice: open %s: %w", p.url, err)
	}
	p.db.SetMaxOpenConns(pgMaxConns)
	p.db.SetMaxIdleConns(pgMaxConns)
	p.db.SetConnMaxIdleTime(5 * time.Minute)
	if err := p.db.PingContext(ctx); err != nil {
		p.db.Close()
		return nil, fmt.Errorf("headoffice: connect to %s: %w", p.url, err)
	}
	version, err := pgMigrate(ctx, p.db)
	if err != nil {
		p.db.Close()
		return nil, fmt.Errorf("headoffice: %s: %w", p.url, err)
	}
	log.Info("database open", "url", p.url, "schema", version)
	return p, nil
}

// Close closes the connections.
func (p *PG) Close() error { return p.db.Close() }

// URL is the database's URL without its password.
func (p *PG) URL() string { return p.url }

// Handler serves head office's API and pages on p.
func (p *PG) Handler(log *slog.Logger) http.Handler { return NewHandler(p, log) }

func (p *PG) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "postgres database"
	}
	return u.Redacted()
}

// pgRetryable says whether a transaction failed only because it lost a race
// with another (serialization failure, deadlock) and may simply be run again.
func pgRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// pgTime is a time for a TIMESTAMPTZ column; the zero time is NULL.
// PostgreSQL keeps microseconds.
func pgTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func fromPGTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// pgText makes a string PostgreSQL's TEXT takes: it holds no NUL, which a
// JSON string from a till might.
func pgText(s string) string {
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func pgNullText(s string) any {
	if s == "" {
		return nil
	}
	return pgText(s)
}

// pgMigrations move the schema from version i to i+1, where i is the index.
// Shipped migrations are never edited; add a new step.
var pgMigrations = []migration{
	{"base schema", pgBaseSchema, nil},
	{"QRIS reconciliation", pgQRISSchema, pgQRISBackfill},
	{"till keys and refusals", pgTrustSchema, nil},
}

// pgMigrateLock is the advisory lock key that makes processes opening one
// database take turns at migrating it.
const pgMigrateLock = 0x6b617369722d6871 // "kasir-hq"

// pgMigrate brings the schema up to date, one migration per transaction,
// each under an advisory lock so that two processes starting at once do not
// both apply it. It returns the schema version.
func pgMigrate(ctx context.Context, db *sql.DB) (int, error) {
	for {
		version, done, err := pgMigrateStep(ctx, db)
		if err != nil || done {
			return version, err
		}
	}
}

func pgMigrateStep(ctx context.Context, db *sql.DB) (version int, done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgMigrateLock)); err != nil {
		return 0, false, fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER PRIMARY KEY,
			name    TEXT NOT NULL,
			applied TIMESTAMPTZ NOT NULL DEFAULT now()
		)`); err != nil {
		return 0, false, fmt.Errorf("migrate: schema_version: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&version); err != nil {
		return 0, false, fmt.Errorf("migrate: read version: %w", err)
	}
	if version > len(pgMigrations) {
		return version, false, fmt.Errorf("%w: it is at version %d, this program knows %d", ErrTooNew, version, len(pgMigrations))
	}
	if version == len(pgMigrations) {
		return version, true, tx.Commit()
	}
	m := pgMigrations[version]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return version, false, fmt.Errorf("migrate to version %d (%s): %w", version+1, m.name, err)
	}
	if m.fill != nil {
		if err := m.fill(ctx, tx); err != nil {
			return version, false, fmt.Errorf("migrate to version %d (%s): %w", version+1, m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, $2)`, version+1, m.name); err != nil {
		return version, false, fmt.Errorf("migrate: set version %d: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return version, false, fmt.Errorf("migrate to version %d (%s): commit: %w", version+1, m.name, err)
	}
	return version + 1, false, nil
}

// pgBaseSchema is version 1: SQLite's base schema in PostgreSQL's terms.
// Times are TIMESTAMPTZ (microseconds; NULL for none); money is whole rupiah
// in BIGINT. A record's body is BYTEA: the bytes exactly as the till sent
// them, whatever they hold. JSON head office makes itself is TEXT.
const pgBaseSchema = `
-- One row per (store, till, epoch): a till's series of records since its
-- database was made. acked_seq is the applied high-water mark: every seq up
-- to it is in records, none above it is. Ingest locks this row.
CREATE TABLE series (
	store      TEXT NOT NULL,
	till       TEXT NOT NULL,
	epoch      TEXT NOT NULL,
	acked_seq  BIGINT NOT NULL DEFAULT 0,
	first_seen TIMESTAMPTZ NOT NULL,
	updated    TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (store, till, epoch)
);

-- Every applied record, once. kind is the record kind (sale, void, refund,
-- shift_open, cash_move, shift_close, no_sale); number, doc_kind, total and
-- ref are set for sales documents. id rises in the order records were
-- applied (within a series, seq order).
CREATE TABLE records (
	id        BIGINT GENERATED ALWAYS AS IDENTITY,
	store     TEXT NOT NULL,
	till      TEXT NOT NULL,
	epoch     TEXT NOT NULL,
	seq       BIGINT NOT NULL,
	kind      TEXT NOT NULL,
	time      TIMESTAMPTZ NOT NULL,
	number    TEXT,
	doc_kind  TEXT,
	total     BIGINT,
	ref       TEXT,
	user_name TEXT,
	body      BYTEA NOT NULL,
	applied   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (store, till, epoch, seq)
);
CREATE INDEX records_sales_time ON records (time, store) WHERE doc_kind IS NOT NULL;
CREATE INDEX records_number ON records (number) WHERE number IS NOT NULL;

-- Records that arrived ahead of a missing seq; they move to records, in seq
-- order, once the gap before them is filled.
CREATE TABLE pending (
	store    TEXT NOT NULL,
	till     TEXT NOT NULL,
	epoch    TEXT NOT NULL,
	seq      BIGINT NOT NULL,
	body     BYTEA NOT NULL,
	received TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (store, till, epoch, seq)
);

-- Z reports taken from shift_close records.
CREATE TABLE z_reports (
	store    TEXT NOT NULL,
	till     TEXT NOT NULL,
	epoch    TEXT NOT NULL,
	seq      BIGINT NOT NULL,
	shift_id BIGINT NOT NULL,
	time     TIMESTAMPTZ NOT NULL,
	report   TEXT NOT NULL,
	PRIMARY KEY (store, till, epoch, seq)
);
CREATE INDEX z_reports_time ON z_reports (store, till, time);

-- Each till's presence and versions as it last reported them, and the last
-- config acks it sent. last_seen is head office's clock: when it last heard
-- from the till itself (not from the broker's last will).
CREATE TABLE tills (
	store              TEXT NOT NULL,
	till               TEXT NOT NULL,
	online             BOOLEAN NOT NULL DEFAULT false,
	last_seen          TIMESTAMPTZ,
	status_time        TIMESTAMPTZ,
	epoch              TEXT,
	reported_last_seq  BIGINT NOT NULL DEFAULT 0,
	reported_acked_seq BIGINT NOT NULL DEFAULT 0,
	backlog            BIGINT NOT NULL DEFAULT 0,
	oldest_unsynced    TIMESTAMPTZ,
	software           TEXT,
	catalog_version    TEXT,
	config_version     TEXT,
	devices            TEXT,
	last_config_ack    TEXT,
	last_rejection     TEXT,
	PRIMARY KEY (store, till)
);

-- A store's time zone, for its business days. A store without a row is in
-- Asia/Jakarta (WIB).
CREATE TABLE stores (
	store     TEXT PRIMARY KEY,
	time_zone TEXT NOT NULL
);

-- The last envelope version handed out per kind (catalog, config).
CREATE TABLE versions (
	kind    TEXT PRIMARY KEY,
	version BIGINT NOT NULL
);
`
