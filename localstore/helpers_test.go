package localstore

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// wib is the shop's zone; records are made in it to show that the store
// keeps the instant and hands it back in UTC.
var wib = time.FixedZone("WIB", 7*3600)

// clock hands out increasing times with a nanosecond part, so round trips
// that lose precision show.
type clock struct{ t time.Time }

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 1, 8, 0, 0, 123456789, wib)}
}

func (c *clock) next() time.Time {
	c.t = c.t.Add(time.Minute + time.Nanosecond)
	return c.t
}

func openTest(t testing.TB, dir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func commit(t testing.TB, db *DB, rec *appliance.Record) {
	t.Helper()
	if err := db.Commit(context.Background(), rec); err != nil {
		t.Fatalf("Commit(%s): %v", rec.Kind, err)
	}
}

func record(kind appliance.RecordKind, c *clock) *appliance.Record {
	return &appliance.Record{Kind: kind, Store: "S001", Till: "T01", Time: c.next(), UserID: "u1", UserName: "Kasir Demo"}
}

func shiftOpenRec(c *clock) *appliance.Record {
	r := record(appliance.RecShiftOpen, c)
	r.Shift = &appliance.Shift{OpenedAt: r.Time, OpenedBy: "u1", Float: 200000}
	return r
}

func shiftCloseRec(c *clock, sh appliance.Shift) *appliance.Record {
	r := record(appliance.RecShiftClose, c)
	sh.ClosedAt, sh.ClosedBy = r.Time, "u2"
	sh.Counted = map[string]appliance.Rupiah{"cash": 250000, "card": 43000}
	r.Shift = &sh
	r.Report = &appliance.ShiftReport{Kind: "Z", ShiftID: sh.ID, Store: "S001", Till: "T01", Time: r.Time,
		User: "u2", OpenedAt: sh.OpenedAt, OpenedBy: sh.OpenedBy, Float: sh.Float, Sales: 2, Gross: 80000,
		Methods: []appliance.MethodCount{{Method: "cash", Name: "Tunai", Sales: 37000, Expected: 237000,
			Counted: 250000, Diff: 13000, HasCount: true}}}
	return r
}

func cashMoveRec(c *clock, shiftID int64, in bool, amount appliance.Rupiah) *appliance.Record {
	r := record(appliance.RecCashMove, c)
	r.Move = &appliance.CashMove{ShiftID: shiftID, User: "u1", In: in, Amount: amount, Reason: "modal tambahan"}
	return r
}

func noSaleRec(c *clock) *appliance.Record {
	r := record(appliance.RecNoSale, c)
	r.Reason = "tukar uang"
	return r
}

// saleRec is a two-line document paid as kind says: cash with change, or
// card.
func saleRec(c *clock, shiftID int64, kind appliance.DocKind, ref string, card bool) *appliance.Record {
	r := record(appliance.RecordKind(kind), c)
	s := &appliance.Sale{
		Kind: kind, UserID: r.UserID, UserName: r.UserName, ShiftID: shiftID, CatalogVersion: "2025-03-01",
		Lines: []appliance.SaleLine{
			{LineNo: 1, SKU: "IDM-GRG", Barcode: "8998866200301", Name: "Indomie Goreng 85g", Unit: "pcs",
				TaxClass: "PPN", Qty: 3000, ListPrice: 3500, UnitPrice: 3500, Gross: 10500, Net: 10500},
			{LineNo: 2, SKU: "BRS-5KG", Name: "Beras Pandan Wangi", Unit: "kg", TaxClass: "BEBAS",
				Qty: 1250, ListPrice: 14000, UnitPrice: 14000, Gross: 17500, Discount: 500, Net: 17000},
		},
		Subtotal: 28000, Discount: 500, Total: 27500,
		Ref: ref,
	}
	if card {
		s.Payments = []appliance.Payment{{Method: "card", Amount: 27500, Bank: "BCA", ApprovalCode: "A1B2C3", CardLast4: "4242"}}
		s.Paid = 27500
	} else {
		s.Payments = []appliance.Payment{{Method: "cash", Amount: 50000}}
		s.Rounding, s.Paid, s.Change = 0, 50000, 22500
	}
	if ref != "" {
		s.Reason, s.ApprovedBy = "salah input", "u2"
		if kind == appliance.DocRefund {
			s.Lines = s.Lines[:1]
			s.Lines[0].RefLine = 1
		}
	}
	r.Sale = s
	return r
}

// count returns the number of rows of a table, read through the writer so
// it sees everything committed.
func count(t testing.TB, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.rw.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func metaInt(t testing.TB, q interface {
	QueryRow(string, ...any) *sql.Row
}, key string) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRow("SELECT value FROM meta WHERE key = ?", key).Scan(&n); err != nil {
		t.Fatalf("meta %s: %v", key, err)
	}
	return n
}

func allJournal(t testing.TB, db *DB) []appliance.JournalEntry {
	t.Helper()
	js, err := db.Journal(context.Background(), 0, 0)
	if err != nil {
		t.Fatalf("Journal: %v", err)
	}
	return js
}
