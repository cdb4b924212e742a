package localstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/kasirpos/kasir/appliance"
)

func TestOpenSettings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "perm", "kasir") // Open makes missing directories
	db := openTest(t, dir)
	if got, want := db.Path(), filepath.Join(dir, "kasir.db"); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(db.Epoch()) {
		t.Errorf("Epoch() = %q, want 32 hex digits", db.Epoch())
	}
	for name, pool := range map[string]*sql.DB{"writer": db.rw, "reader": db.ro} {
		for _, tc := range []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"synchronous", "2"}, // FULL
			{"foreign_keys", "1"},
			{"busy_timeout", "5000"},
			{"user_version", fmt.Sprint(len(migrations))},
		} {
			var got string
			if err := pool.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, tc.pragma, got, tc.want)
			}
		}
	}
	if _, err := db.ro.Exec("INSERT INTO users (id, name, role, pin_hash, active) VALUES ('x', 'x', 'x', 'x', 1)"); err == nil {
		t.Error("reader pool accepted a write")
	}
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := newClock()
	db := openTest(t, dir)
	epoch := db.Epoch()
	op := shiftOpenRec(c)
	commit(t, db, op)
	sale := saleRec(c, op.Shift.ID, appliance.DocSale, "", false)
	commit(t, db, sale)
	if err := db.PutUser(ctx, appliance.User{ID: "u1", Name: "Kasir Demo", Role: appliance.RoleCashier, PINHash: "h", Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutConfig(ctx, appliance.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "c1"}, sampleProducts()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = openTest(t, dir)
	if got := db.Epoch(); got != epoch {
		t.Errorf("Epoch after reopen = %s, want %s", got, epoch)
	}
	got, err := db.Sale(ctx, sale.Sale.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sale.Sale) {
		t.Errorf("Sale after reopen = %+v, want %+v", got, sale.Sale)
	}
	sh, err := db.CurrentShift(ctx)
	if err != nil || sh.ID != op.Shift.ID {
		t.Errorf("CurrentShift after reopen = %+v, %v; want shift %d", sh, err, op.Shift.ID)
	}
	if users, _ := db.Users(ctx); len(users) != 1 {
		t.Errorf("Users after reopen = %v, want one", users)
	}
	if cfg, err := db.Config(ctx); err != nil || cfg.Version != "default" {
		t.Errorf("Config after reopen = %v, %v", cfg.Version, err)
	}
	if p, err := db.Lookup("8991001100015"); err != nil || p.SKU != "KOPI-1" {
		t.Errorf("Lookup after reopen = %v, %v", p, err)
	}
	st, err := db.SyncState(ctx)
	if err != nil || st.LastSeq != 2 || st.Unsynced != 2 {
		t.Errorf("SyncState after reopen = %+v, %v; want LastSeq 2, Unsynced 2", st, err)
	}
	next := noSaleRec(c)
	commit(t, db, next)
	if next.Seq != 3 {
		t.Errorf("seq after reopen = %d, want 3", next.Seq)
	}
	if _, err := appliance.VerifyJournal(appliance.GenesisHash, allJournal(t, db)); err != nil {
		t.Errorf("VerifyJournal after reopen: %v", err)
	}
}

// TestUpgradeFromEveryVersion builds a database at each earlier schema
// version with rows that were valid then, opens it with the current code and
// checks that it is brought up to date with nothing lost.
func TestUpgradeFromEveryVersion(t *testing.T) {
	for k := 0; k < len(migrations); k++ {
		t.Run(fmt.Sprintf("from_v%d", k), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			raw, err := sql.Open("sqlite3", path+"?_journal_mode=WAL&"+rwParams)
			if err != nil {
				t.Fatal(err)
			}
			raw.SetMaxOpenConns(1)
			if err := migrate(ctx, raw, k); err != nil {
				t.Fatalf("migrate to %d: %v", k, err)
			}
			var fx *fixture
			if k >= 1 {
				fx = seedV1(t, raw)
			}
			if k >= 4 {
				// From version 4 the code writes the cart column itself.
				if _, err := raw.Exec(`UPDATE sales SET cart_id = json_extract(doc, '$.cart_id') WHERE kind = 'sale'`); err != nil {
					t.Fatal(err)
				}
			}
			if k >= 2 {
				if _, err := raw.Exec(`INSERT INTO print_queue (created, kind, ref, body) VALUES (1, 'receipt', 'S001-T01-000002', x'1b40')`); err != nil {
					t.Fatal(err)
				}
			}
			var epoch string
			if k >= 1 {
				raw.QueryRow("SELECT value FROM meta WHERE key = 'epoch'").Scan(&epoch)
			}
			if err := raw.Close(); err != nil {
				t.Fatal(err)
			}

			db := openTest(t, dir)
			var version int
			db.rw.QueryRow("PRAGMA user_version").Scan(&version)
			if version != len(migrations) {
				t.Fatalf("user_version = %d, want %d", version, len(migrations))
			}
			if err := db.IntegrityCheck(ctx); err != nil {
				t.Fatalf("IntegrityCheck: %v", err)
			}
			if k == 0 {
				return
			}
			if db.Epoch() != epoch {
				t.Errorf("Epoch = %s, want %s", db.Epoch(), epoch)
			}
			got, err := db.Sale(ctx, fx.sale.Number)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, fx.sale) {
				t.Errorf("Sale = %+v, want %+v", got, fx.sale)
			}
			if p, err := db.Lookup("8991001100015"); err != nil || p.Name != "Kopi Kapal Api 165g" {
				t.Errorf("Lookup = %+v, %v", p, err)
			}
			if ps, err := db.Search("kapal", "", 10); err != nil || len(ps) != 1 {
				t.Errorf("Search(kapal) = %v, %v; want one product", ps, err)
			}
			if users, err := db.Users(ctx); err != nil || len(users) != 1 {
				t.Errorf("Users = %v, %v", users, err)
			}
			if carts, err := db.Carts(ctx); err != nil || len(carts) != 1 {
				t.Errorf("Carts = %v, %v", carts, err)
			}
			if k >= 2 && count(t, db, "print_queue") != 1 {
				t.Errorf("print_queue lost its row")
			}
			// The chain continues where the old code left it.
			c := newClock()
			c.t = c.t.Add(24 * 60 * 60 * 1e9)
			rec := saleRec(c, fx.shiftID, appliance.DocSale, "", true)
			commit(t, db, rec)
			if rec.Seq != 3 {
				t.Errorf("next seq = %d, want 3", rec.Seq)
			}
			// Version 4: the old sale's cart came over from its document,
			// and the guards hold for old rows too.
			if got, err := db.SaleByCart(ctx, fx.sale.CartID); err != nil || !reflect.DeepEqual(got, fx.sale) {
				t.Errorf("SaleByCart(%s) = %+v, %v; want the old sale", fx.sale.CartID, got, err)
			}
			again := saleRec(c, fx.shiftID, appliance.DocSale, "", false)
			again.Sale.CartID = fx.sale.CartID
			if err := db.Commit(ctx, again); appliance.ErrorCode(err) != appliance.CodeConflict {
				t.Errorf("second sale of the old cart = %v, want a conflict", err)
			}
			void := saleRec(c, fx.shiftID, appliance.DocVoid, fx.sale.Number, false)
			commit(t, db, void)
			if void.Seq != 4 {
				t.Errorf("seq of the void = %d, want 4", void.Seq)
			}
			refund := saleRec(c, fx.shiftID, appliance.DocRefund, fx.sale.Number, false)
			if err := db.Commit(ctx, refund); appliance.ErrorCode(err) != appliance.CodeConflict {
				t.Errorf("refund of the voided old sale = %v, want a conflict", err)
			}
			if _, err := appliance.VerifyJournal(appliance.GenesisHash, allJournal(t, db)); err != nil {
				t.Errorf("VerifyJournal: %v", err)
			}
			st, _ := db.SyncState(ctx)
			if st.Unsynced != 4 || st.LastSeq != 4 {
				t.Errorf("SyncState = %+v, want 4 unsynced, last 4", st)
			}
		})
	}
}

type fixture struct {
	shiftID int64
	sale    *appliance.Sale
}

// seedV1 writes, in raw SQL, the rows a version-1 program would have
// written: a shift, a sale with its lines, payments, journal and outbox,
// a user, a cart, a config and a product.
func seedV1(t *testing.T, raw *sql.DB) *fixture {
	t.Helper()
	var epoch string
	if err := raw.QueryRow("SELECT value FROM meta WHERE key = 'epoch'").Scan(&epoch); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	open := shiftOpenRec(c)
	open.Shift.ID = 1
	open.Finalize(epoch, 1)
	sale := saleRec(c, 1, appliance.DocSale, "", false)
	// Only documents carry the cart before version 4; the migration
	// copies it into sales.cart_id.
	sale.Sale.CartID = "c-old"
	sale.Finalize(epoch, 2)
	sale.Sale.Time = sale.Sale.Time.UTC()
	sale.Time = sale.Time.UTC()
	doc, _ := json.Marshal(sale.Sale)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("UPDATE meta SET value = 2 WHERE key = 'last_seq'")
	exec("INSERT INTO shifts (id, opened_at, opened_by, float, open_seq) VALUES (1, ?, 'u1', 200000, 1)", open.Time.UnixNano())
	exec("INSERT INTO sales (number, seq, kind, shift_id, time, user_id, total, doc) VALUES (?, 2, 'sale', 1, ?, 'u1', 27500, ?)",
		sale.Sale.Number, sale.Time.UnixNano(), string(doc))
	for i, l := range sale.Sale.Lines {
		exec(`INSERT INTO sale_lines (number, idx, line_no, sku, name, unit, tax_class, qty, list_price, unit_price,
			gross, discount, order_share, net) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
			sale.Sale.Number, i, l.LineNo, l.SKU, l.Name, l.Unit, l.TaxClass, l.Qty, l.ListPrice, l.UnitPrice,
			l.Gross, l.Discount, l.Net)
	}
	exec("INSERT INTO payments (number, idx, method, amount) VALUES (?, 0, 'cash', 50000)", sale.Sale.Number)
	prev := appliance.GenesisHash
	for i, r := range []*appliance.Record{open, sale} {
		body, _ := r.Body()
		e := appliance.JournalEntry{ID: int64(i + 1), Time: r.Time, User: "u1 Kasir Demo", Kind: string(r.Kind),
			Ref: r.Ref(), Seq: r.Seq, Body: body, PrevHash: prev}
		e.Hash = e.ChainHash()
		prev = e.Hash
		exec("INSERT INTO journal (id, time, user, kind, ref, seq, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			e.ID, e.Time.UnixNano(), e.User, e.Kind, e.Ref, e.Seq, e.Body, e.PrevHash, e.Hash)
		exec("INSERT INTO outbox (seq, topic, created, body) VALUES (?, ?, ?, ?)", r.Seq, r.Topic(), r.Time.UnixNano(), body)
	}
	exec("INSERT INTO users (id, name, role, pin_hash, active) VALUES ('u1', 'Kasir Demo', 'cashier', 'h', 1)")
	exec(`INSERT INTO carts (id, parked, started, updated, doc) VALUES ('c1', 1, 1, 2, '{"id":"c1","parked":true,"lines":[]}')`)
	cfg, _ := json.Marshal(appliance.DefaultConfig())
	exec("INSERT INTO config (id, version, stored, doc) VALUES (1, 'default', 1, ?)", string(cfg))
	exec("INSERT INTO config_history (version, stored, doc) VALUES ('default', 1, ?)", string(cfg))
	exec("INSERT INTO products (rowid, sku, name, category, unit, price, tax_class, active, weighed) VALUES (1, 'KOPI-1', 'Kopi Kapal Api 165g', 'Minuman', 'pcs', 14500, 'PPN', 1, 0)")
	exec("INSERT INTO barcodes (code, sku, pos) VALUES ('8991001100015', 'KOPI-1', 0)")
	exec("INSERT INTO product_fts (docid, name, sku, barcodes) VALUES (1, 'Kopi Kapal Api 165g', 'KOPI-1', '8991001100015')")
	exec(`INSERT INTO meta (key, value) VALUES ('catalog_info', '{"version":"c1","products":1}')`)
	return &fixture{shiftID: 1, sale: sale.Sale}
}

// openAt makes a database at schema version k holding seedV1's rows, and
// hands back the raw connection to add more before it is opened.
func openAt(t *testing.T, dir string, k int) (*sql.DB, *fixture) {
	t.Helper()
	raw, err := sql.Open("sqlite3", filepath.Join(dir, FileName)+"?_journal_mode=WAL&"+rwParams)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	t.Cleanup(func() { raw.Close() })
	if err := migrate(context.Background(), raw, k); err != nil {
		t.Fatalf("migrate to %d: %v", k, err)
	}
	return raw, seedV1(t, raw)
}

// insertOldDoc writes a sales row as a version-3 program would have: no
// cart_id column, the cart only in the document.
func insertOldDoc(t *testing.T, raw *sql.DB, seq int64, kind appliance.DocKind, ref, cartID string) string {
	t.Helper()
	s := appliance.Sale{Number: appliance.ReceiptNumber("S001", "T01", seq), Kind: kind, Seq: seq, Ref: ref, CartID: cartID,
		ShiftID: 1, UserID: "u1", Total: 1000}
	doc, _ := json.Marshal(s)
	if _, err := raw.Exec(`INSERT INTO sales (number, seq, kind, shift_id, ref, time, user_id, total, doc)
		VALUES (?, ?, ?, 1, ?, ?, 'u1', 1000, ?)`, s.Number, seq, string(kind), sql.NullString{String: ref, Valid: ref != ""},
		seq, string(doc)); err != nil {
		t.Fatal(err)
	}
	return s.Number
}

// TestMigrateCartBackfill: the cart goes to the first sale that names it;
// a later sale naming the same cart, a void copying it and documents naming
// none keep NULL, so the unique index can be built.
func TestMigrateCartBackfill(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	raw, fx := openAt(t, dir, 3)
	dup := insertOldDoc(t, raw, 3, appliance.DocSale, "", fx.sale.CartID)
	void := insertOldDoc(t, raw, 4, appliance.DocVoid, fx.sale.Number, fx.sale.CartID)
	plain := insertOldDoc(t, raw, 5, appliance.DocSale, "", "")
	other := insertOldDoc(t, raw, 6, appliance.DocSale, "", "c-other")
	if _, err := raw.Exec("UPDATE meta SET value = 6 WHERE key = 'last_seq'"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db := openTest(t, dir)
	want := map[string]sql.NullString{
		fx.sale.Number: {String: fx.sale.CartID, Valid: true},
		dup:            {}, void: {}, plain: {},
		other: {String: "c-other", Valid: true},
	}
	for number, w := range want {
		var got sql.NullString
		if err := db.rw.QueryRow("SELECT cart_id FROM sales WHERE number = ?", number).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("cart_id of %s = %+v, want %+v", number, got, w)
		}
	}
	if got, err := db.SaleByCart(ctx, fx.sale.CartID); err != nil || got.Number != fx.sale.Number {
		t.Errorf("SaleByCart(%s) = %v, %v; want %s", fx.sale.CartID, got, err, fx.sale.Number)
	}
	if got, err := db.SaleByCart(ctx, "c-other"); err != nil || got.Number != other {
		t.Errorf("SaleByCart(c-other) = %v, %v; want %s", got, err, other)
	}
}

// TestMigrateRefusesDoubleVoid: two voids of one sale already in the
// database cannot be mended by a migration (both are in the journal). Open
// says which and leaves the file at its old version.
func TestMigrateRefusesDoubleVoid(t *testing.T) {
	dir := t.TempDir()
	raw, fx := openAt(t, dir, 3)
	v1 := insertOldDoc(t, raw, 3, appliance.DocVoid, fx.sale.Number, "")
	v2 := insertOldDoc(t, raw, 4, appliance.DocVoid, fx.sale.Number, "")
	raw.Close()

	_, err := Open(context.Background(), dir, nil)
	if err == nil {
		t.Fatal("Open succeeded")
	}
	for _, s := range []string{fx.sale.Number, v1, v2, "version 4"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Open error %q does not name %s", err, s)
		}
	}
	raw, err = sql.Open("sqlite3", filepath.Join(dir, FileName)+"?"+rwParams)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var version int
	if err := raw.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != 3 {
		t.Errorf("user_version after the refused migration = %d, %v; want 3", version, err)
	}
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM pragma_table_info('sales') WHERE name = 'cart_id'").Scan(&n); err != nil || n != 0 {
		t.Errorf("cart_id column after the refused migration: %d, %v; want none", n, err)
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir)
	if _, err := db.rw.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(context.Background(), dir, nil)
	if !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open of a newer database: %v, want ErrTooNew", err)
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %q does not say why", err)
	}
}

func TestCorruptDatabaseRefusedAndKept(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir)
	ps := make([]appliance.Product, 3000)
	for i := range ps {
		ps[i] = appliance.Product{SKU: fmt.Sprintf("SKU-%05d", i), Name: fmt.Sprintf("Barang nomor %d dengan nama panjang", i),
			Category: "Umum", Unit: "pcs", Price: appliance.Rupiah(1000 + i), TaxClass: "PPN", Active: true}
	}
	if err := db.ReplaceCatalog(context.Background(), appliance.CatalogInfo{Version: "big"}, ps); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	pages := len(data) / pageSize
	if pages < 50 {
		t.Fatalf("database has %d pages, want many", pages)
	}
	// Scribble over the middle of a page in the middle of the file, header
	// and cells both.
	off := (pages/2)*pageSize + 0
	for i := range 1024 {
		data[off+i] = byte(0xA5 ^ i)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	_, err = Open(context.Background(), dir, nil)
	if err == nil {
		t.Fatal("Open of a corrupt database succeeded")
	}
	if got := appliance.ErrorCode(err); got != appliance.CodeCorrupt {
		t.Errorf("ErrorCode = %s, want %s (err: %v)", got, appliance.CodeCorrupt, err)
	}
	t.Logf("Open of the damaged file: %v", err)
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("database file gone: %v", err)
	}
	if !bytes.Equal(after, data) {
		t.Error("Open changed the corrupt database file")
	}
}

func TestIntegrityCheckOfOpenDatabase(t *testing.T) {
	db := openTest(t, t.TempDir())
	// A dangling reference is what a foreign key check catches.
	if _, err := db.rw.Exec("PRAGMA foreign_keys = off"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.rw.Exec("INSERT INTO barcodes (code, sku, pos) VALUES ('123', 'NOPE', 0)"); err != nil {
		t.Fatal(err)
	}
	db.rw.Exec("PRAGMA foreign_keys = on")
	err := db.IntegrityCheck(context.Background())
	if got := appliance.ErrorCode(err); got != appliance.CodeCorrupt {
		t.Errorf("IntegrityCheck = %v, want code %s", err, appliance.CodeCorrupt)
	}
}
