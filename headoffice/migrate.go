package headoffice

import (
	"context"
	"database/sql"
	"fmt"
)

// A migration moves the schema from version i to i+1, where i is its index
// in migrations. Shipped migrations are never edited; add a new step.
type migration struct {
	name string
	sql  string
	// fill, when set, runs after sql in the same transaction: data the
	// new schema derives from what is already stored.
	fill func(ctx context.Context, tx *sql.Tx) error
}

var migrations = []migration{
	{"base schema", baseSchema, nil},
	{"QRIS reconciliation", qrisSchema, qrisBackfill},
	{"till keys and refusals", trustSchema, nil},
}

// migrate brings the schema up to date, one migration per transaction. Two
// processes opening a new file at once are safe: the IMMEDIATE transaction
// makes the second wait, and it then reads the version the first wrote.
func migrate(ctx context.Context, db *sql.DB) error {
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("headoffice: migrate: %w", err)
		}
		var version int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			tx.Rollback()
			return fmt.Errorf("headoffice: migrate: read version: %w", err)
		}
		if version >= len(migrations) {
			return tx.Rollback()
		}
		m := migrations[version]
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("headoffice: migrate to version %d (%s): %w", version+1, m.name, err)
		}
		if m.fill != nil {
			if err := m.fill(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("headoffice: migrate to version %d (%s): %w", version+1, m.name, err)
			}
		}
		// PRAGMA takes no parameters; version is an int we made.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("headoffice: migrate: set version %d: %w", version+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("headoffice: migrate to version %d (%s): commit: %w", version+1, m.name, err)
		}
	}
}

// baseSchema is version 1. Times are Unix nanoseconds (NULL for none); money
// is whole rupiah. Records keep their JSON exactly as the till sent it beside
// the columns that are queried.
const baseSchema = `
-- One row per (store, till, epoch): a till's series of records since its
-- database was made. acked_seq is the applied high-water mark: every seq up
-- to it is in records, none above it is.
CREATE TABLE series (
	store      TEXT NOT NULL,
	till       TEXT NOT NULL,
	epoch      TEXT NOT NULL,
	acked_seq  INTEGER NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL,
	updated    INTEGER NOT NULL,
	PRIMARY KEY (store, till, epoch)
) STRICT;

-- Every applied record, once. kind is the record kind (sale, void, refund,
-- shift_open, cash_move, shift_close, no_sale); number, doc_kind, total and
-- ref are set for sales documents.
CREATE TABLE records (
	store    TEXT NOT NULL,
	till     TEXT NOT NULL,
	epoch    TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	kind     TEXT NOT NULL,
	time     INTEGER NOT NULL,
	number   TEXT,
	doc_kind TEXT,
	total    INTEGER,
	ref      TEXT,
	user_name TEXT,
	body     TEXT NOT NULL,
	applied  INTEGER NOT NULL,
	PRIMARY KEY (store, till, epoch, seq)
) STRICT;
CREATE INDEX records_sales_time ON records(time, store) WHERE doc_kind IS NOT NULL;
CREATE INDEX records_number ON records(number) WHERE number IS NOT NULL;

-- Records that arrived ahead of a missing seq; they move to records, in seq
-- order, once the gap before them is filled.
CREATE TABLE pending (
	store    TEXT NOT NULL,
	till     TEXT NOT NULL,
	epoch    TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	body     TEXT NOT NULL,
	received INTEGER NOT NULL,
	PRIMARY KEY (store, till, epoch, seq)
) STRICT;

-- Z reports taken from shift_close records.
CREATE TABLE z_reports (
	store    TEXT NOT NULL,
	till     TEXT NOT NULL,
	epoch    TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	shift_id INTEGER NOT NULL,
	time     INTEGER NOT NULL,
	report   TEXT NOT NULL,
	PRIMARY KEY (store, till, epoch, seq)
) STRICT;
CREATE INDEX z_reports_time ON z_reports(store, till, time);

-- Each till's presence and versions as it last reported them, and the last
-- config acks it sent. last_seen is head office's clock: when it last heard
-- from the till itself (not from the broker's last will).
CREATE TABLE tills (
	store              TEXT NOT NULL,
	till               TEXT NOT NULL,
	online             INTEGER NOT NULL DEFAULT 0,
	last_seen          INTEGER,
	status_time        INTEGER,
	epoch              TEXT,
	reported_last_seq  INTEGER NOT NULL DEFAULT 0,
	reported_acked_seq INTEGER NOT NULL DEFAULT 0,
	backlog            INTEGER NOT NULL DEFAULT 0,
	oldest_unsynced    INTEGER,
	software           TEXT,
	catalog_version    TEXT,
	config_version     TEXT,
	devices            TEXT,
	last_config_ack    TEXT,
	last_rejection     TEXT,
	PRIMARY KEY (store, till)
) STRICT;

-- A store's time zone, for its business days. A store without a row is in
-- Asia/Jakarta (WIB).
CREATE TABLE stores (
	store     TEXT PRIMARY KEY,
	time_zone TEXT NOT NULL
) STRICT;

-- The last envelope version handed out per kind (catalog, config).
CREATE TABLE versions (
	kind    TEXT PRIMARY KEY,
	version INTEGER NOT NULL
) STRICT;
`
