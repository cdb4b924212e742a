package localstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// A catalog import must not hold the one writer for long: a cashier's scan
// saves the cart and a payment commits a sale through it. So the new
// catalog is written to staging tables (products_next and so on) in short
// transactions, and one short transaction then renames the live tables
// aside (_old) and the staged ones in their place. Until that commit the old
// catalog is whole; after it the new one is. The old tables are dropped
// afterwards, one per transaction; what a crash leaves of either kind is
// dropped at the next import or Open.
//
// SQLite cannot rename an index, and a staged table's index must not share
// a name with a live one. So index names alternate between two sets: the
// plain names of the migrations (products_name, products_category,
// barcodes_sku) and the same with indexAltSuffix. Each import uses the set
// the live tables do not.

// catalogTables are the tables the catalog lives in, children before the
// products they refer to: dropped in this order, products is no longer
// referred to when it goes, so SQLite need not delete its rows one by one
// to check foreign keys.
var catalogTables = []string{"price_changes", "barcodes", "products", "product_fts"}

// stagingSuffix marks a table being filled by an import.
const stagingSuffix = "_next"

// oldSuffix marks a replaced table until it is dropped.
const oldSuffix = "_old"

// indexAltSuffix marks the second set of catalog index names.
const indexAltSuffix = "_b"

// importCacheKiB is the page cache for a catalog import, as PRAGMA
// cache_size takes it: negative means KiB.
const importCacheKiB = -64 * 1024

// Staging chunks: a transaction writes products until it has taken
// stageChunkBudget or written stageChunkMax of them. Between chunks the
// writer is free for the till.
const (
	stageChunkBudget = 4 * time.Millisecond
	stageChunkMax    = 2000
)

// stagingSchema makes the staging tables, with the catalog schema of the
// migrations (baseSchema) under other names: a migration that changes a
// catalog table must change this too. TestStagedSchemaMatches holds them
// together.
func stagingSchema(ix string) string {
	return strings.NewReplacer("$N", stagingSuffix, "$I", ix).Replace(`
CREATE TABLE products$N (
	sku       TEXT PRIMARY KEY,
	name      TEXT NOT NULL,
	category  TEXT NOT NULL,
	unit      TEXT NOT NULL,
	price     INTEGER NOT NULL,
	tax_class TEXT NOT NULL,
	active    INTEGER NOT NULL,
	weighed   INTEGER NOT NULL
) STRICT;
CREATE INDEX products_name$I ON products$N(name, sku);
CREATE INDEX products_category$I ON products$N(category, name, sku);

CREATE TABLE barcodes$N (
	code TEXT PRIMARY KEY,
	sku  TEXT NOT NULL REFERENCES products$N(sku),
	pos  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX barcodes_sku$I ON barcodes$N(sku, pos);

CREATE TABLE price_changes$N (
	sku       TEXT NOT NULL REFERENCES products$N(sku),
	pos       INTEGER NOT NULL,
	price     INTEGER NOT NULL,
	from_unix INTEGER NOT NULL,   -- nanoseconds
	PRIMARY KEY (sku, pos)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE product_fts$N USING fts4(name, sku, barcodes, tokenize=unicode61, prefix="2,3");
`)
}

// dropStaging drops the staging tables and the replaced ones, whatever an
// import left, one table per transaction: a big table takes a while to
// drop, and the till may want to write in between.
func (db *DB) dropStaging(ctx context.Context) error {
	for _, suffix := range []string{oldSuffix, stagingSuffix} {
		for _, t := range catalogTables { // children first
			if _, err := db.rw.ExecContext(ctx, "DROP TABLE IF EXISTS "+t+suffix); err != nil {
				return fmt.Errorf("drop %s%s: %w", t, suffix, err)
			}
		}
	}
	return nil
}

// stageCatalog writes products to fresh staging tables in short
// transactions.
func (db *DB) stageCatalog(ctx context.Context, products []appliance.Product) error {
	if err := db.dropStaging(ctx); err != nil {
		return err
	}
	var plain int
	if err := db.rw.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'products_name'").Scan(&plain); err != nil {
		return fmt.Errorf("read index names: %w", err)
	}
	ix := ""
	if plain > 0 {
		ix = indexAltSuffix
	}
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, stagingSchema(ix)); err != nil {
		tx.Rollback()
		return fmt.Errorf("make staging tables: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("make staging tables: %w", err)
	}

	// A big page cache for the import: the name and category indexes and
	// the search index are written in no particular order, and with the
	// default 2 MB cache most inserts would miss it. It is put back
	// afterwards, on the same connection (the writer has only one).
	var cacheSize int64
	if err := db.rw.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cacheSize); err != nil {
		return err
	}
	defer db.rw.ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = %d", cacheSize))
	if _, err := db.rw.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", importCacheKiB)); err != nil {
		return err
	}

	for next := 0; next < len(products); {
		n, err := db.stageChunk(ctx, products, next)
		if err != nil {
			return err
		}
		next += n
		if db.stageHook != nil {
			db.stageHook(next)
		}
	}
	return nil
}

// stageChunk writes products from products[from] on in one transaction,
// for at most stageChunkBudget, and says how many it wrote.
func (db *DB) stageChunk(ctx context.Context, products []appliance.Product, from int) (int, error) {
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	start := time.Now()
	insProduct, err := tx.PrepareContext(ctx, `INSERT INTO products`+stagingSuffix+` (rowid, sku, name, category, unit, price, tax_class, active, weighed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer insProduct.Close()
	insCode, err := tx.PrepareContext(ctx, "INSERT INTO barcodes"+stagingSuffix+" (code, sku, pos) VALUES (?, ?, ?)")
	if err != nil {
		return 0, err
	}
	defer insCode.Close()
	insPrice, err := tx.PrepareContext(ctx, "INSERT INTO price_changes"+stagingSuffix+" (sku, pos, price, from_unix) VALUES (?, ?, ?, ?)")
	if err != nil {
		return 0, err
	}
	defer insPrice.Close()
	insFTS, err := tx.PrepareContext(ctx, "INSERT INTO product_fts"+stagingSuffix+" (docid, name, sku, barcodes) VALUES (?, ?, ?, ?)")
	if err != nil {
		return 0, err
	}
	defer insFTS.Close()

	i := from
	for ; i < len(products) && i-from < stageChunkMax && (i == from || time.Since(start) < stageChunkBudget); i++ {
		p := &products[i]
		id := int64(i + 1) // the rowid of products is the docid of product_fts
		if _, err := insProduct.ExecContext(ctx, id, p.SKU, p.Name, p.Category, p.Unit, int64(p.Price), p.TaxClass,
			boolInt(p.Active), boolInt(p.Weighed)); err != nil {
			return 0, fmt.Errorf("insert product %s: %w", p.SKU, err)
		}
		for k, b := range p.Barcodes {
			if _, err := insCode.ExecContext(ctx, b, p.SKU, k); err != nil {
				return 0, fmt.Errorf("insert barcode %s of %s: %w", b, p.SKU, err)
			}
		}
		for k, c := range p.PriceChanges {
			if _, err := insPrice.ExecContext(ctx, p.SKU, k, int64(c.Price), c.From.UnixNano()); err != nil {
				return 0, fmt.Errorf("insert price change of %s: %w", p.SKU, err)
			}
		}
		if _, err := insFTS.ExecContext(ctx, id, p.Name, p.SKU, strings.Join(p.Barcodes, " ")); err != nil {
			return 0, fmt.Errorf("index product %s: %w", p.SKU, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit staged products: %w", err)
	}
	return i - from, nil
}

// switchCatalog puts the staged tables in place of the live ones and
// stores infoJSON as catalog_info, in one transaction. The old tables are
// renamed aside rather than dropped there, since dropping a big table takes
// tens of milliseconds; dropOld drops them afterwards, each in its own
// transaction. swap runs after the commit, holding catalogMu, so that no
// search sees the new rows with the old in-memory index.
func (db *DB) switchCatalog(ctx context.Context, infoJSON string, swap func()) error {
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Renaming products rewrites the references of the tables that refer
	// to it (legacy_alter_table is off): the old children follow the old
	// products aside, and the staged children, once products_next is
	// renamed, refer to products.
	for _, t := range catalogTables {
		if _, err := tx.ExecContext(ctx, "ALTER TABLE "+t+" RENAME TO "+t+oldSuffix); err != nil {
			return fmt.Errorf("rename old %s: %w", t, err)
		}
	}
	for _, t := range catalogTables {
		if _, err := tx.ExecContext(ctx, "ALTER TABLE "+t+stagingSuffix+" RENAME TO "+t); err != nil {
			return fmt.Errorf("rename %s%s: %w", t, stagingSuffix, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('catalog_info', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, infoJSON); err != nil {
		return fmt.Errorf("store catalog info: %w", err)
	}
	if db.switchHook != nil {
		if err := db.switchHook(tx); err != nil {
			return err
		}
	}
	db.catalogMu.Lock()
	defer db.catalogMu.Unlock()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	swap()
	return nil
}
