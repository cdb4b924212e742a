package localstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// A migration moves the schema from version i to i+1, where i is its index
// in migrations. Migrations are never edited once shipped: a till in a shop
// may hold a database at any earlier version, and each step must bring it
// forward exactly as it did on every other till. Add a new step instead.
type migration struct {
	name string
	up   func(ctx context.Context, tx *sql.Tx) error
}

var migrations = []migration{
	{"base schema", migrateBase},
	{"print queue and reporting indexes", execSQL(`
		-- The schema the printer-driver issue will use for a print queue.
		-- Nothing writes or reads it yet: until that lands, a print lost to
		-- a paper-out or a restart is not retried from here.
		CREATE TABLE print_queue (
			id         INTEGER PRIMARY KEY,
			created    INTEGER NOT NULL,
			kind       TEXT NOT NULL,     -- receipt, report, reprint
			ref        TEXT NOT NULL,     -- receipt number or shift
			body       BLOB NOT NULL,
			attempts   INTEGER NOT NULL DEFAULT 0,
			last_error TEXT,
			done       INTEGER            -- printed at, NULL while pending
		) STRICT;
		CREATE INDEX print_queue_pending ON print_queue(id) WHERE done IS NULL;
		-- Head office reporting and refunds look lines up by product, and
		-- the back office lists documents by day.
		CREATE INDEX sale_lines_sku ON sale_lines(sku);
		CREATE INDEX sales_time ON sales(time);
	`)},
	{"append-only journal", execSQL(`
		-- The hash chain shows tampering; these make the ordinary kind
		-- (a stray UPDATE from a shell) fail outright.
		CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
		BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
		CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
		BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
	`)},
	{"sale guards: one sale per cart, one void per sale, void or refunds", migrateSaleGuards},
	{"dynamic QRIS attempts", execSQL(`
		-- One row per charge the till asked a QRIS provider for, written
		-- before the provider is asked (so a crash cannot forget a charge)
		-- and kept until the charge is settled: by a sale, by a qris_late
		-- record, or closed past the time a late payment can come.
		CREATE TABLE qris_attempts (
			reference TEXT PRIMARY KEY, -- cart id and attempt number; the provider's idempotency key
			cart_id   TEXT NOT NULL,
			amount    INTEGER NOT NULL CHECK (amount > 0),
			charge_id TEXT,             -- NULL until the provider answered
			state     TEXT NOT NULL,    -- '' before the provider answered, then pending, paid, expired, cancelled
			sale      TEXT,             -- receipt number of the sale it paid
			late_seq  INTEGER,          -- seq of its qris_late record
			done      INTEGER NOT NULL DEFAULT 0,
			created   INTEGER NOT NULL,
			updated   INTEGER NOT NULL,
			doc       TEXT NOT NULL     -- the attempt as JSON
		) STRICT;
		CREATE INDEX qris_attempts_open ON qris_attempts(created) WHERE done = 0;
		CREATE INDEX qris_attempts_cart ON qris_attempts(cart_id);
		CREATE UNIQUE INDEX qris_attempts_charge ON qris_attempts(charge_id) WHERE charge_id IS NOT NULL;
		CREATE INDEX qris_attempts_late ON qris_attempts(late_seq) WHERE late_seq IS NOT NULL;
	`)},
}

func execSQL(stmts string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, stmts)
		return err
	}
}

// migrate brings the database up to version target, one migration per
// transaction, so a power cut mid-way leaves it at a version it can resume
// from.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("localstore: migrate: %w", err)
		}
		var version int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			tx.Rollback()
			return fmt.Errorf("localstore: migrate: read version: %w", err)
		}
		if version >= target {
			return tx.Rollback()
		}
		m := migrations[version]
		if err := m.up(ctx, tx); err != nil {
			tx.Rollback()
			return fmt.Errorf("localstore: migrate to version %d (%s): %w", version+1, m.name, err)
		}
		// PRAGMA takes no parameters; version is an int we made.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("localstore: migrate: set version %d: %w", version+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("localstore: migrate to version %d (%s): commit: %w", version+1, m.name, err)
		}
	}
}

func migrateBase(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, baseSchema); err != nil {
		return err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("make epoch: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES
		('epoch', ?), ('last_seq', 0), ('acked_seq', 0)`, hex.EncodeToString(b))
	return err
}

// baseSchema is version 1. Times are Unix nanoseconds (NULL for none);
// money is whole rupiah; quantities are thousandths. Documents keep their
// full JSON beside the columns that are queried, so what was committed is
// what is read back.
const baseSchema = `
-- epoch: the database's identity; last_seq: the last sequence number given
-- out (outbox rows are deleted on ack, so the counter cannot live there);
-- acked_seq, last_ack: head office's high-water mark; catalog_info.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value ANY
) STRICT, WITHOUT ROWID;

CREATE TABLE shifts (
	id        INTEGER PRIMARY KEY,
	opened_at INTEGER NOT NULL,
	opened_by TEXT NOT NULL,
	float     INTEGER NOT NULL,
	open_seq  INTEGER NOT NULL UNIQUE,
	closed_at INTEGER,
	closed_by TEXT,
	counted   TEXT,             -- JSON: method → amount
	report    TEXT,             -- JSON: the Z report
	close_seq INTEGER UNIQUE
) STRICT;
-- One open shift at a time: CurrentShift would be ambiguous otherwise.
CREATE UNIQUE INDEX shifts_one_open ON shifts((closed_at IS NULL)) WHERE closed_at IS NULL;

CREATE TABLE sales (
	number   TEXT PRIMARY KEY,
	seq      INTEGER NOT NULL UNIQUE,
	kind     TEXT NOT NULL CHECK (kind IN ('sale', 'void', 'refund')),
	shift_id INTEGER REFERENCES shifts(id),
	ref      TEXT,              -- the sale a void or refund reverses
	time     INTEGER NOT NULL,
	user_id  TEXT NOT NULL,
	total    INTEGER NOT NULL,
	doc      TEXT NOT NULL      -- the document as JSON
) STRICT;
CREATE INDEX sales_ref ON sales(ref) WHERE ref IS NOT NULL;
CREATE INDEX sales_shift ON sales(shift_id, seq);

CREATE TABLE sale_lines (
	number      TEXT NOT NULL REFERENCES sales(number),
	idx         INTEGER NOT NULL,
	line_no     INTEGER NOT NULL,
	sku         TEXT NOT NULL,
	barcode     TEXT,
	name        TEXT NOT NULL,
	unit        TEXT NOT NULL,
	tax_class   TEXT NOT NULL,
	qty         INTEGER NOT NULL,
	list_price  INTEGER NOT NULL,
	unit_price  INTEGER NOT NULL,
	gross       INTEGER NOT NULL,
	discount    INTEGER NOT NULL,
	order_share INTEGER NOT NULL,
	net         INTEGER NOT NULL,
	ref_line    INTEGER,
	PRIMARY KEY (number, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE payments (
	number        TEXT NOT NULL REFERENCES sales(number),
	idx           INTEGER NOT NULL,
	method        TEXT NOT NULL,
	amount        INTEGER NOT NULL,
	bank          TEXT,
	approval_code TEXT,
	card_last4    TEXT,
	reference     TEXT,
	PRIMARY KEY (number, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE cash_moves (
	id       INTEGER PRIMARY KEY,
	shift_id INTEGER NOT NULL REFERENCES shifts(id),
	seq      INTEGER NOT NULL UNIQUE,
	time     INTEGER NOT NULL,
	user     TEXT NOT NULL,
	cash_in  INTEGER NOT NULL,
	amount   INTEGER NOT NULL,
	reason   TEXT NOT NULL
) STRICT;
CREATE INDEX cash_moves_shift ON cash_moves(shift_id, id);

CREATE TABLE journal (
	id        INTEGER PRIMARY KEY,
	time      INTEGER NOT NULL,
	user      TEXT NOT NULL,
	kind      TEXT NOT NULL,
	ref       TEXT NOT NULL,
	seq       INTEGER NOT NULL UNIQUE,
	body      BLOB NOT NULL,
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL
) STRICT;

-- Rows wait here until head office acknowledges them.
CREATE TABLE outbox (
	seq     INTEGER PRIMARY KEY,
	topic   TEXT NOT NULL,
	created INTEGER NOT NULL,
	body    BLOB NOT NULL
) STRICT;

CREATE TABLE users (
	id       TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	role     TEXT NOT NULL,
	pin_hash TEXT NOT NULL,
	active   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE carts (
	id      TEXT PRIMARY KEY,
	parked  INTEGER NOT NULL,
	started INTEGER,
	updated INTEGER,
	doc     TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE config (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version TEXT NOT NULL,
	stored  INTEGER NOT NULL,
	doc     TEXT NOT NULL
) STRICT;

CREATE TABLE config_history (
	id      INTEGER PRIMARY KEY,
	version TEXT NOT NULL,
	stored  INTEGER NOT NULL,
	doc     TEXT NOT NULL
) STRICT;

-- The rowid of products is the docid of product_fts.
CREATE TABLE products (
	sku       TEXT PRIMARY KEY,
	name      TEXT NOT NULL,
	category  TEXT NOT NULL,
	unit      TEXT NOT NULL,
	price     INTEGER NOT NULL,
	tax_class TEXT NOT NULL,
	active    INTEGER NOT NULL,
	weighed   INTEGER NOT NULL
) STRICT;
CREATE INDEX products_name ON products(name, sku);
CREATE INDEX products_category ON products(category, name, sku);

CREATE TABLE barcodes (
	code TEXT PRIMARY KEY,
	sku  TEXT NOT NULL REFERENCES products(sku),
	pos  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX barcodes_sku ON barcodes(sku, pos);

CREATE TABLE price_changes (
	sku       TEXT NOT NULL REFERENCES products(sku),
	pos       INTEGER NOT NULL,
	price     INTEGER NOT NULL,
	from_unix INTEGER NOT NULL,   -- nanoseconds
	PRIMARY KEY (sku, pos)
) STRICT, WITHOUT ROWID;

-- FTS4 rather than FTS5: go-sqlite3 compiles FTS5 only with a build tag.
CREATE VIRTUAL TABLE product_fts USING fts4(name, sku, barcodes, tokenize=unicode61, prefix="2,3");
`

// Messages of the sale guard triggers; commit recognises them.
const (
	msgRefundOfVoided  = "sales: refund of a voided sale"
	msgVoidOfRefunded  = "sales: void of a refunded sale"
	saleGuardsSchemaV4 = `
		-- A cart can be sold only once: a payment retried after a lost
		-- answer must find the first sale (SaleByCart), never make a second.
		-- Only sales carry cart_id; a void copies its sale's document but
		-- not this column.
		CREATE UNIQUE INDEX sales_cart ON sales(cart_id) WHERE cart_id IS NOT NULL;
		-- A sale has at most one void, and a voided sale is not refunded,
		-- nor a refunded one voided. Package appliance checks these first;
		-- the database holds them against a race or a bug.
		CREATE UNIQUE INDEX sales_one_void ON sales(ref) WHERE kind = 'void';
		CREATE TRIGGER sales_no_refund_after_void BEFORE INSERT ON sales
		WHEN NEW.kind = 'refund' AND EXISTS (SELECT 1 FROM sales WHERE ref = NEW.ref AND kind = 'void')
		BEGIN SELECT RAISE(ABORT, '` + msgRefundOfVoided + `'); END;
		CREATE TRIGGER sales_no_void_after_refund BEFORE INSERT ON sales
		WHEN NEW.kind = 'void' AND EXISTS (SELECT 1 FROM sales WHERE ref = NEW.ref AND kind = 'refund')
		BEGIN SELECT RAISE(ABORT, '` + msgVoidOfRefunded + `'); END;
	`
)

// migrateSaleGuards is version 4: sales.cart_id and the guards against a
// second sale of one cart, a second void of one sale, and a void and a
// refund of the same sale.
func migrateSaleGuards(ctx context.Context, tx *sql.Tx) error {
	// Older rows get the cart from their document when it names one
	// (NULL otherwise). Should two old sales name the same cart, only the
	// first keeps it, so that the unique index can be built.
	if _, err := tx.ExecContext(ctx, `
		ALTER TABLE sales ADD COLUMN cart_id TEXT;
		UPDATE sales SET cart_id = nullif(CASE WHEN json_valid(doc) THEN json_extract(doc, '$.cart_id') END, '')
			WHERE kind = 'sale';
		UPDATE sales SET cart_id = NULL
			WHERE cart_id IS NOT NULL
			AND seq NOT IN (SELECT min(seq) FROM sales WHERE cart_id IS NOT NULL GROUP BY cart_id);
	`); err != nil {
		return err
	}
	// Two voids of one sale cannot be mended here: both are committed
	// facts in the journal. Say which, rather than the bare unique error.
	var ref, numbers string
	err := tx.QueryRowContext(ctx, `SELECT ref, group_concat(number, ', ') FROM sales
		WHERE kind = 'void' GROUP BY ref HAVING count(*) > 1 LIMIT 1`).Scan(&ref, &numbers)
	switch {
	case err == nil:
		return fmt.Errorf("sale %s has more than one void (%s); the database needs repair before this version can run", ref, numbers)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("look for double voids: %w", err)
	}
	_, err = tx.ExecContext(ctx, saleGuardsSchemaV4)
	return err
}
