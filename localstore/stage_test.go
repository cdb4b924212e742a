package localstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/demo"
)

// leftovers lists the staging and replaced catalog tables in the database.
func leftovers(t testing.TB, db *DB) []string {
	t.Helper()
	rows, err := db.rw.Query(`SELECT name FROM sqlite_schema WHERE type = 'table'
		AND (name LIKE '%\_next%' ESCAPE '\' OR name LIKE '%\_old%' ESCAPE '\')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return names
}

// checkCatalog checks that the database and the in-memory index hold
// exactly products as catalog version.
func checkCatalog(t *testing.T, db *DB, version string, products []appliance.Product) {
	t.Helper()
	if info, _ := db.Info(); info.Version != version || info.Products != len(products) {
		t.Errorf("Info = %+v, want version %s with %d products", info, version, len(products))
	}
	var codes, changes int
	for _, p := range products {
		codes += len(p.Barcodes)
		changes += len(p.PriceChanges)
	}
	for table, want := range map[string]int{"products": len(products), "barcodes": codes,
		"price_changes": changes, "product_fts": len(products)} {
		if got := count(t, db, table); got != want {
			t.Errorf("%s has %d rows, want %d", table, got, want)
		}
	}
	for _, i := range []int{0, len(products) / 2, len(products) - 1} {
		p := products[i]
		if got, err := db.Lookup(p.SKU); err != nil || got.Name != p.Name {
			t.Errorf("Lookup(%s) = %v, %v", p.SKU, got, err)
		}
		for _, b := range p.Barcodes {
			if got, err := db.Lookup(b); err != nil || got.SKU != p.SKU {
				t.Errorf("Lookup(%s) = %v, %v; want %s", b, got, err, p.SKU)
			}
		}
		if !p.Active {
			continue
		}
		// The SKU as a search term finds the product through the search
		// index, which must agree with products on rowid = docid.
		got, err := db.Search(p.SKU, "", 5)
		if err != nil || len(got) == 0 || got[0].SKU != p.SKU {
			t.Errorf("Search(%s) = %v, %v", p.SKU, skus(got), err)
		}
		got, err = db.Search(p.Name, p.Category, 500)
		if err != nil || !strings.Contains(" "+strings.Join(skus(got), " ")+" ", " "+p.SKU+" ") {
			t.Errorf("Search(%q, %q) = %v, %v; want %s among them", p.Name, p.Category, skus(got), err, p.SKU)
		}
	}
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
	if l := leftovers(t, db); len(l) > 0 {
		t.Errorf("tables left behind: %v", l)
	}
}

// TestReplaceCatalogLetsSellingThrough replaces a big catalog while a
// cashier keeps saving carts and committing sales. Times are logged, not
// asserted (the machine is shared); what is asserted is that sales
// committed while the import was under way, between its chunks, and that
// the new catalog is then whole.
func TestReplaceCatalogLetsSellingThrough(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c1"}, sampleProducts()); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	open := shiftOpenRec(c)
	commit(t, db, open)

	big := demo.Generate(50_000, 1)
	var chunks atomic.Int64
	var switching atomic.Bool
	db.stageHook = func(int) { chunks.Add(1) }
	db.switchHook = func(*sql.Tx) error { switching.Store(true); return nil }
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c2"}, big) }()

	var longest time.Duration
	var longestOp string
	ops, during := 0, 0
	var replaceErr error
selling:
	for {
		select {
		case replaceErr = <-done:
			break selling
		default:
		}
		cart := &appliance.Cart{ID: fmt.Sprintf("cart-%d", ops), User: "u1", Started: c.next()}
		t0 := time.Now()
		if err := db.SaveCart(ctx, cart); err != nil {
			t.Fatalf("SaveCart during import: %v", err)
		}
		if d := time.Since(t0); d > longest {
			longest, longestOp = d, "SaveCart"
		}
		rec := saleRec(c, open.Shift.ID, appliance.DocSale, "", ops%2 == 0)
		rec.CartID = cart.ID
		t0 = time.Now()
		if err := db.Commit(ctx, rec); err != nil {
			t.Fatalf("Commit during import: %v", err)
		}
		if d := time.Since(t0); d > longest {
			longest, longestOp = d, "Commit"
		}
		ops++
		// Between the first staged chunk and the switch: the import held
		// the writer before this sale and would again after it.
		if chunks.Load() > 0 && !switching.Load() {
			during++
		}
		time.Sleep(time.Millisecond)
	}
	if replaceErr != nil {
		t.Fatalf("ReplaceCatalog: %v", replaceErr)
	}
	t.Logf("ReplaceCatalog of %d products took %v in %d chunks; %d cart saves and sales, %d of them mid-import; longest single wait %v (%s)",
		len(big), time.Since(start), chunks.Load(), ops, during, longest, longestOp)
	if during < 5 {
		t.Errorf("only %d sales committed while the catalog was being staged; the import holds the writer", during)
	}
	if chunks.Load() < 2 {
		t.Errorf("import staged in %d chunks", chunks.Load())
	}
	if got := count(t, db, "sales"); got != ops {
		t.Errorf("%d sales stored, want %d", got, ops)
	}
	if got := count(t, db, "carts"); got != 0 {
		t.Errorf("%d carts left after their sales, want 0", got)
	}
	checkCatalog(t, db, "c2", big)
	db.Close()
	checkCatalog(t, openTest(t, dirOf(db.Path())), "c2", big)
}

// TestReplaceCatalogFailsMidway cuts imports short while staging and at
// the switch: the old catalog stays, whole and usable, and nothing staged
// stays behind.
func TestReplaceCatalogFailsMidway(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTest(t, dir)
	old := sampleProducts()
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c1"}, old); err != nil {
		t.Fatal(err)
	}
	big := demo.Generate(20_000, 2)

	t.Run("cancelled while staging", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var staged []int
		db.stageHook = func(n int) {
			staged = append(staged, n)
			if len(staged) == 2 {
				cancel()
			}
		}
		defer func() { db.stageHook = nil }()
		err := db.ReplaceCatalog(cctx, appliance.CatalogInfo{Version: "c2"}, big)
		if err == nil {
			t.Fatal("ReplaceCatalog with its context cancelled mid-way succeeded")
		}
		if len(staged) < 2 || staged[len(staged)-1] >= len(big) {
			t.Fatalf("staged %v of %d before failing; the test wants a failure mid-way", staged, len(big))
		}
		checkCatalog(t, db, "c1", old)
	})

	t.Run("switch fails", func(t *testing.T) {
		db.switchHook = func(*sql.Tx) error { return fmt.Errorf("power cut") }
		defer func() { db.switchHook = nil }()
		err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c2"}, big)
		if err == nil || !strings.Contains(err.Error(), "power cut") {
			t.Fatalf("ReplaceCatalog = %v, want the switch's failure", err)
		}
		checkCatalog(t, db, "c1", old)
	})

	// A crash leaves staged tables, or replaced ones, with the index
	// names the next import wants to use (those the live tables do not).
	// The next import, or Open, clears them first.
	free := func(t *testing.T, db *DB) string {
		var n int
		db.rw.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'products_name'").Scan(&n)
		if n > 0 {
			return indexAltSuffix
		}
		return ""
	}
	leave := func(t *testing.T, db *DB, nextIx, oldIx string) {
		t.Helper()
		old := strings.ReplaceAll(stagingSchema(oldIx), stagingSuffix, oldSuffix)
		for _, schema := range []string{stagingSchema(nextIx), old} {
			if _, err := db.rw.Exec(schema); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.rw.Exec(`INSERT INTO products_next (sku, name, category, unit, price, tax_class, active, weighed)
			VALUES ('HALF', 'half staged', 'X', 'pcs', 1, 'PPN', 1, 0)`); err != nil {
			t.Fatal(err)
		}
		if l := leftovers(t, db); len(l) != 18 { // 4 tables and 5 search index shadow tables, each twice
			t.Fatalf("left %v, want 18 tables", l)
		}
	}
	t.Run("leftovers cleared by the next import", func(t *testing.T) {
		leave(t, db, "_x", free(t, db))
		if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c3"}, old); err != nil {
			t.Fatal(err)
		}
		checkCatalog(t, db, "c3", old)
	})
	t.Run("leftovers cleared by Open", func(t *testing.T) {
		leave(t, db, free(t, db), "_x")
		db.Close()
		db = openTest(t, dir)
		checkCatalog(t, db, "c3", old)
		if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c4"}, big); err != nil {
			t.Fatal(err)
		}
		checkCatalog(t, db, "c4", big)
	})
}

// TestStagedSchemaMatches holds stagingSchema to the catalog schema the
// migrations make: after imports, under either set of index names, the
// catalog tables have the same columns, keys, indexes and references as
// in a new database.
func TestStagedSchemaMatches(t *testing.T) {
	db := openTest(t, t.TempDir())
	describe := func() string {
		var b strings.Builder
		for _, table := range catalogTables {
			for _, q := range []string{"PRAGMA table_xinfo(%s)", "PRAGMA foreign_key_list(%s)", "PRAGMA index_list(%s)"} {
				rows, err := db.rw.Query(fmt.Sprintf(q, table))
				if err != nil {
					t.Fatal(err)
				}
				cols, _ := rows.Columns()
				var indexes []string
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					rows.Scan(ptrs...)
					if strings.HasPrefix(q, "PRAGMA index_list") {
						name := fmt.Sprint(vals[1])
						indexes = append(indexes, name)
						vals[1] = strings.TrimSuffix(name, indexAltSuffix)
					}
					fmt.Fprintf(&b, "%s %s %v\n", table, q, vals)
				}
				rows.Close()
				for _, ix := range indexes {
					rows, err := db.rw.Query(fmt.Sprintf("PRAGMA index_xinfo(%q)", ix))
					if err != nil {
						t.Fatal(err)
					}
					for rows.Next() {
						var seqno, cid, desc, key int
						var name, coll any
						rows.Scan(&seqno, &cid, &name, &desc, &coll, &key)
						fmt.Fprintf(&b, "%s index %s: %d %d %v %d %v %d\n", table, strings.TrimSuffix(ix, indexAltSuffix), seqno, cid, name, desc, coll, key)
					}
					rows.Close()
				}
			}
		}
		var fts string
		db.rw.QueryRow("SELECT sql FROM sqlite_schema WHERE name = 'product_fts'").Scan(&fts)
		fmt.Fprintln(&b, strings.NewReplacer(`"product_fts"`, "product_fts").Replace(fts))
		return b.String()
	}
	want := describe()
	var last string
	for i := range 3 {
		if err := db.ReplaceCatalog(context.Background(), appliance.CatalogInfo{}, sampleProducts()); err != nil {
			t.Fatal(err)
		}
		if got := describe(); got != want {
			t.Errorf("catalog schema after import %d:\n%s\nwant, as migrated:\n%s", i+1, got, want)
		}
		var ix string
		db.rw.QueryRow("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'products' AND name LIKE 'products_name%'").Scan(&ix)
		if ix == last {
			t.Errorf("import %d kept index name %s", i+1, ix)
		}
		last = ix
	}
}
