package localstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/mattn/go-sqlite3"
)

// TestCommitEveryKind runs a whole shift through Commit and reads it back.
func TestCommitEveryKind(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()

	if _, err := db.CurrentShift(ctx); !errors.Is(err, appliance.ErrNotFound) {
		t.Errorf("CurrentShift before any = %v, want ErrNotFound", err)
	}
	if got, err := db.LastRecordTime(ctx); err != nil || !got.IsZero() {
		t.Errorf("LastRecordTime before any = %v, %v; want zero", got, err)
	}

	open := shiftOpenRec(c)
	commit(t, db, open)
	shiftID := open.Shift.ID
	if shiftID == 0 {
		t.Fatal("shift_open did not assign Shift.ID")
	}
	cashIn := cashMoveRec(c, shiftID, true, 50000)
	sale1 := saleRec(c, shiftID, appliance.DocSale, "", false)
	sale2 := saleRec(c, shiftID, appliance.DocSale, "", true)
	recs := []*appliance.Record{cashIn, sale1, sale2}
	for _, r := range recs {
		commit(t, db, r)
	}
	void := saleRec(c, shiftID, appliance.DocVoid, sale1.Sale.Number, false)
	refund := saleRec(c, shiftID, appliance.DocRefund, sale2.Sale.Number, true)
	noSale := noSaleRec(c)
	for _, r := range []*appliance.Record{void, refund, noSale} {
		commit(t, db, r)
	}
	sh, err := db.CurrentShift(ctx)
	if err != nil {
		t.Fatalf("CurrentShift: %v", err)
	}
	closeRec := shiftCloseRec(c, *sh)
	commit(t, db, closeRec)
	all := []*appliance.Record{open, cashIn, sale1, sale2, void, refund, noSale, closeRec}

	for i, r := range all {
		if want := int64(i + 1); r.Seq != want || r.Epoch != db.Epoch() {
			t.Errorf("%s: seq %d epoch %s, want %d %s", r.Kind, r.Seq, r.Epoch, want, db.Epoch())
		}
		if r.Time.Location() != time.UTC {
			t.Errorf("%s: time %v not in UTC", r.Kind, r.Time)
		}
	}
	if got, want := sale1.Sale.Number, "S001-T01-000003"; got != want {
		t.Errorf("sale number = %s, want %s", got, want)
	}

	t.Run("documents", func(t *testing.T) {
		for _, r := range []*appliance.Record{sale1, sale2, void, refund} {
			got, err := db.Sale(ctx, r.Sale.Number)
			if err != nil {
				t.Fatalf("Sale(%s): %v", r.Sale.Number, err)
			}
			if !reflect.DeepEqual(got, r.Sale) {
				t.Errorf("Sale(%s)\n got %+v\nwant %+v", r.Sale.Number, got, r.Sale)
			}
		}
		if _, err := db.Sale(ctx, "S001-T01-999999"); !errors.Is(err, appliance.ErrNotFound) ||
			appliance.ErrorCode(err) != appliance.CodeNotFound {
			t.Errorf("Sale(unknown) = %v, want ErrNotFound with code not_found", err)
		}
		refs, err := db.SalesReferencing(ctx, sale1.Sale.Number)
		if err != nil || len(refs) != 1 || refs[0].Number != void.Sale.Number {
			t.Errorf("SalesReferencing(%s) = %v, %v; want the void", sale1.Sale.Number, refs, err)
		}
		recent, err := db.RecentSales(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := numbers(recent), []string{refund.Sale.Number, void.Sale.Number, sale2.Sale.Number}; !reflect.DeepEqual(got, want) {
			t.Errorf("RecentSales(3) = %v, want %v", got, want)
		}
		docs, err := db.ShiftDocs(ctx, shiftID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := numbers(docs), []string{sale1.Sale.Number, sale2.Sale.Number, void.Sale.Number, refund.Sale.Number}; !reflect.DeepEqual(got, want) {
			t.Errorf("ShiftDocs = %v, want %v", got, want)
		}
		// Lines and payments are in their own tables for reporting.
		if got, want := count(t, db, "sale_lines"), 2+2+2+1; got != want {
			t.Errorf("sale_lines rows = %d, want %d", got, want)
		}
		var bank, last4 string
		if err := db.rw.QueryRow("SELECT bank, card_last4 FROM payments WHERE number = ?", sale2.Sale.Number).Scan(&bank, &last4); err != nil || bank != "BCA" || last4 != "4242" {
			t.Errorf("card payment row = %q %q %v", bank, last4, err)
		}
	})

	t.Run("shift", func(t *testing.T) {
		moves, err := db.CashMoves(ctx, shiftID)
		if err != nil {
			t.Fatal(err)
		}
		if want := []appliance.CashMove{*cashIn.Move}; !reflect.DeepEqual(moves, want) {
			t.Errorf("CashMoves = %+v, want %+v", moves, want)
		}
		if cashIn.Move.ID == 0 {
			t.Error("cash move got no ID")
		}
		if _, err := db.CurrentShift(ctx); !errors.Is(err, appliance.ErrNotFound) {
			t.Errorf("CurrentShift after close = %v, want ErrNotFound", err)
		}
		got, rep, err := db.Shift(ctx, shiftID)
		if err != nil {
			t.Fatal(err)
		}
		want := *closeRec.Shift
		want.OpenedAt, want.ClosedAt = want.OpenedAt.UTC(), want.ClosedAt.UTC()
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("Shift = %+v, want %+v", *got, want)
		}
		wantRep := *closeRec.Report
		wantRep.Time, wantRep.OpenedAt = wantRep.Time.UTC(), wantRep.OpenedAt.UTC()
		if rep == nil || !reflect.DeepEqual(*rep, wantRep) {
			t.Errorf("Shift report = %+v, want %+v", rep, wantRep)
		}
		if _, _, err := db.Shift(ctx, 99); !errors.Is(err, appliance.ErrNotFound) {
			t.Errorf("Shift(99) = %v, want ErrNotFound", err)
		}
		if got, err := db.LastRecordTime(ctx); err != nil || !got.Equal(closeRec.Time) {
			t.Errorf("LastRecordTime = %v, %v; want %v", got, err, closeRec.Time)
		}
	})

	t.Run("journal and outbox", func(t *testing.T) {
		js := allJournal(t, db)
		if len(js) != len(all) {
			t.Fatalf("journal has %d entries, want %d", len(js), len(all))
		}
		if _, err := appliance.VerifyJournal(appliance.GenesisHash, js); err != nil {
			t.Errorf("VerifyJournal: %v", err)
		}
		rows, err := db.Outbox(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range all {
			e, o := js[i], rows[i]
			body, _ := r.Body()
			if e.Seq != r.Seq || e.Kind != string(r.Kind) || e.Ref != r.Ref() || string(e.Body) != string(body) || !e.Time.Equal(r.Time) {
				t.Errorf("journal %d = %+v, want record %s seq %d ref %s", e.ID, e, r.Kind, r.Seq, r.Ref())
			}
			if e.User != "u1 Kasir Demo" {
				t.Errorf("journal %d user = %q", e.ID, e.User)
			}
			if o.Seq != r.Seq || o.Topic != r.Topic() || string(o.Body) != string(body) || !o.Created.Equal(r.Time) {
				t.Errorf("outbox %d = %d %s %v, want %s", i, o.Seq, o.Topic, o.Created, r.Topic())
			}
			var msg appliance.OutboxMessage
			if err := json.Unmarshal(o.Body, &msg); err != nil || msg.Seq != r.Seq || msg.Epoch != db.Epoch() {
				t.Errorf("outbox %d body = %+v, %v", o.Seq, msg, err)
			}
		}
		if page, _ := db.Journal(ctx, 3, 2); len(page) != 2 || page[0].ID != 4 || page[1].ID != 5 {
			t.Errorf("Journal(3, 2) = %d entries, want 4 and 5", len(page))
		}
		st, err := db.SyncState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := appliance.SyncState{LastSeq: 8, Unsynced: 8, OldestUnsynced: open.Time}
		if st != want {
			t.Errorf("SyncState = %+v, want %+v", st, want)
		}
	})
}

func numbers(ss []appliance.Sale) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Number)
	}
	return out
}

func TestJournalChainAndTampering(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	open := shiftOpenRec(c)
	commit(t, db, open)
	for i := range 300 {
		commit(t, db, saleRec(c, open.Shift.ID, appliance.DocSale, "", i%3 == 0))
	}
	js := allJournal(t, db)
	if len(js) != 301 {
		t.Fatalf("journal has %d entries, want 301", len(js))
	}
	// Verifying in pages gives the same answer as all at once.
	prev := appliance.GenesisHash
	for after := int64(0); ; {
		page, err := db.Journal(ctx, after, 64)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if prev, err = appliance.VerifyJournal(prev, page); err != nil {
			t.Fatalf("VerifyJournal page after %d: %v", after, err)
		}
		after = page[len(page)-1].ID
	}

	if _, err := db.rw.Exec("UPDATE journal SET body = x'7b7d' WHERE id = 150"); err == nil {
		t.Error("journal accepted an UPDATE")
	}
	if _, err := db.rw.Exec("DELETE FROM journal WHERE id = 150"); err == nil {
		t.Error("journal accepted a DELETE")
	}
	// Someone with a shell and the trigger out of the way.
	if _, err := db.rw.Exec(`DROP TRIGGER journal_no_update;
		UPDATE journal SET body = CAST(replace(body, '27500', '2750') AS BLOB) WHERE id = 150`); err != nil {
		t.Fatal(err)
	}
	_, err := appliance.VerifyJournal(appliance.GenesisHash, allJournal(t, db))
	if err == nil || appliance.ErrorCode(err) != appliance.CodeCorrupt {
		t.Errorf("VerifyJournal after tampering = %v, want a corrupt error", err)
	}
}

// TestFailedCommitWritesNothing makes commits fail at different steps and
// checks that nothing of them stays and the sequence has no gap.
func TestFailedCommitWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	open := shiftOpenRec(c)
	commit(t, db, open)
	shiftID := open.Shift.ID

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		rec      func() *appliance.Record
		setup    func() // before the commit
		teardown func()
		code     appliance.Code
	}{
		{name: "cancelled context", ctx: cancelled,
			rec: func() *appliance.Record { return saleRec(c, shiftID, appliance.DocSale, "", false) }, code: appliance.CodeStoreFailed},
		{name: "cash move in unknown shift",
			rec: func() *appliance.Record { return cashMoveRec(c, 77, false, 1000) }, code: appliance.CodeStoreFailed},
		{name: "sale in unknown shift",
			rec: func() *appliance.Record { return saleRec(c, 77, appliance.DocSale, "", false) }, code: appliance.CodeStoreFailed},
		{name: "close a shift that is not open",
			rec: func() *appliance.Record { return shiftCloseRec(c, appliance.Shift{ID: 77}) }, code: appliance.CodeConflict},
		{name: "second open shift",
			rec: shiftOpenRecFunc(c), code: appliance.CodeConflict},
		{name: "sale without document",
			rec: func() *appliance.Record { return record(appliance.RecSale, c) }, code: appliance.CodeInvalid},
		{name: "outbox insert fails after everything else",
			rec: func() *appliance.Record { return saleRec(c, shiftID, appliance.DocSale, "", true) },
			// A stray row where the next outbox row must go: the sale, its
			// lines and its journal entry are written before it fails.
			setup: func() {
				if _, err := db.rw.Exec("INSERT INTO outbox (seq, topic, created, body) VALUES (2, 'x', 0, x'00')"); err != nil {
					t.Fatal(err)
				}
			},
			teardown: func() {
				if _, err := db.rw.Exec("DELETE FROM outbox WHERE seq = 2 AND topic = 'x'"); err != nil {
					t.Fatal(err)
				}
			},
			code: appliance.CodeStoreFailed},
	}
	tables := []string{"sales", "sale_lines", "payments", "shifts", "cash_moves", "journal", "outbox"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			before := map[string]int{}
			for _, tb := range tables {
				before[tb] = count(t, db, tb)
			}
			seqBefore := metaInt(t, db.rw, "last_seq")
			rec := tc.rec()
			want := *rec
			var wantSale appliance.Sale
			if rec.Sale != nil {
				wantSale = *rec.Sale
			}
			cctx := tc.ctx
			if cctx == nil {
				cctx = ctx
			}
			err := db.Commit(cctx, rec)
			if err == nil {
				t.Fatal("Commit succeeded")
			}
			if got := appliance.ErrorCode(err); got != tc.code {
				t.Errorf("ErrorCode = %s, want %s (%v)", got, tc.code, err)
			}
			for _, tb := range tables {
				if got := count(t, db, tb); got != before[tb] {
					t.Errorf("%s: %d rows after failed commit, want %d", tb, got, before[tb])
				}
			}
			if got := metaInt(t, db.rw, "last_seq"); got != seqBefore {
				t.Errorf("last_seq = %d after failed commit, want %d", got, seqBefore)
			}
			if rec.Seq != want.Seq || rec.Epoch != want.Epoch || !rec.Time.Equal(want.Time) || rec.Time.Location() != want.Time.Location() {
				t.Errorf("record fields not restored: seq %d epoch %q time %v", rec.Seq, rec.Epoch, rec.Time)
			}
			if rec.Sale != nil && !reflect.DeepEqual(*rec.Sale, wantSale) {
				t.Errorf("sale not restored: %+v", rec.Sale)
			}
			if tc.teardown != nil {
				tc.teardown()
			}
		})
	}

	next := saleRec(c, shiftID, appliance.DocSale, "", false)
	commit(t, db, next)
	if next.Seq != 2 {
		t.Errorf("seq after failed commits = %d, want 2", next.Seq)
	}
	if _, err := appliance.VerifyJournal(appliance.GenesisHash, allJournal(t, db)); err != nil {
		t.Errorf("VerifyJournal: %v", err)
	}
}

func shiftOpenRecFunc(c *clock) func() *appliance.Record {
	return func() *appliance.Record { return shiftOpenRec(c) }
}

func TestAck(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	open := shiftOpenRec(c)
	commit(t, db, open)
	var recs []*appliance.Record
	for range 5 {
		r := saleRec(c, open.Shift.ID, appliance.DocSale, "", false)
		commit(t, db, r)
		recs = append(recs, r)
	}
	ackTime := time.Date(2025, 3, 1, 12, 0, 0, 5, wib)
	tests := []struct {
		name    string
		seq     int64
		wantErr appliance.Code
		want    appliance.SyncState
	}{
		{"first ack", 3, "", appliance.SyncState{LastSeq: 6, AckedSeq: 3, Unsynced: 3, OldestUnsynced: recs[2].Time, LastAck: ackTime.UTC()}},
		{"older ack changes nothing", 2, "", appliance.SyncState{LastSeq: 6, AckedSeq: 3, Unsynced: 3, OldestUnsynced: recs[2].Time, LastAck: ackTime.UTC()}},
		{"ack beyond last record", 7, appliance.CodeConflict, appliance.SyncState{LastSeq: 6, AckedSeq: 3, Unsynced: 3, OldestUnsynced: recs[2].Time, LastAck: ackTime.UTC()}},
		{"ack everything", 6, "", appliance.SyncState{LastSeq: 6, AckedSeq: 6, Unsynced: 0, LastAck: ackTime.UTC()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Ack(ctx, tc.seq, ackTime)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && appliance.ErrorCode(err) != tc.wantErr {
				t.Errorf("Ack(%d) = %v, want code %q", tc.seq, err, tc.wantErr)
			}
			got, err := db.SyncState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("SyncState = %+v, want %+v", got, tc.want)
			}
		})
	}
	rows, _ := db.Outbox(ctx, 0, 0)
	if len(rows) != 0 {
		t.Errorf("outbox has %d rows after acking all", len(rows))
	}
	// The counter does not live in the outbox: an empty outbox still
	// continues the sequence.
	r := noSaleRec(c)
	commit(t, db, r)
	if r.Seq != 7 {
		t.Errorf("seq after ack of all = %d, want 7", r.Seq)
	}
	if got := len(allJournal(t, db)); got != 7 {
		t.Errorf("journal has %d entries, want 7: acks never delete it", got)
	}
}

// TestConcurrentCommits commits from several goroutines, as the web layer
// may, and checks the sequence stays gapless and the chain whole.
func TestConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	open := shiftOpenRec(c)
	commit(t, db, open)
	const workers, each = 4, 25
	recs := make([]*appliance.Record, workers*each)
	for i := range recs {
		recs[i] = saleRec(c, open.Shift.ID, appliance.DocSale, "", i%2 == 0)
	}
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for _, r := range recs[w*each : (w+1)*each] {
				if err := db.Commit(ctx, r); err != nil {
					errs <- err
					return
				}
				if _, err := db.SyncState(ctx); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	for _, r := range recs {
		if r.Seq < 2 || r.Seq > workers*each+1 || seen[r.Seq] {
			t.Errorf("seq %d out of range or repeated", r.Seq)
		}
		seen[r.Seq] = true
	}
	if _, err := appliance.VerifyJournal(appliance.GenesisHash, allJournal(t, db)); err != nil {
		t.Errorf("VerifyJournal: %v", err)
	}
}

// TestDiskFull fills the database up to a page limit, as a full SD card
// would, and checks the cashier gets store_failed with nothing written.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	open := shiftOpenRec(c)
	commit(t, db, open)
	var pages int
	if err := db.rw.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.rw.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	big := saleRec(c, open.Shift.ID, appliance.DocSale, "", false)
	for i := range 400 {
		l := big.Sale.Lines[0]
		l.LineNo = i + 3
		big.Sale.Lines = append(big.Sale.Lines, l)
	}
	err := db.Commit(ctx, big)
	if got := appliance.ErrorCode(err); got != appliance.CodeStoreFailed {
		t.Fatalf("Commit on a full disk = %v, want code %s", err, appliance.CodeStoreFailed)
	}
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrFull {
		t.Errorf("Commit on a full disk = %v, want SQLITE_FULL in the chain", err)
	}
	if big.Seq != 0 || big.Sale.Number != "" {
		t.Errorf("failed commit left seq %d number %q on the record", big.Seq, big.Sale.Number)
	}
	if _, err := db.rw.Exec("PRAGMA max_page_count = 4294967294"); err != nil {
		t.Fatal(err)
	}
	commit(t, db, big)
	if big.Seq != 2 {
		t.Errorf("seq after the disk had room again = %d, want 2", big.Seq)
	}
}

// A sale deletes the cart it completes in its own transaction: a restart
// right after the commit must not bring the sold cart back.
func TestCommitDeletesSoldCart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTest(t, dir)
	c := newClock()
	open := shiftOpenRec(c)
	commit(t, db, open)
	sold := &appliance.Cart{ID: "c-sold", Started: c.next(), Updated: c.next(), Lines: []appliance.Line{{ID: 1, SKU: "A", Name: "A", Qty: appliance.QtyOne, UnitPrice: 1000}}}
	kept := &appliance.Cart{ID: "c-kept", Parked: true, Started: c.next(), Updated: c.next()}
	for _, cart := range []*appliance.Cart{sold, kept} {
		if err := db.SaveCart(ctx, cart); err != nil {
			t.Fatal(err)
		}
	}
	rec := saleRec(c, open.Shift.ID, appliance.DocSale, "", false)
	rec.CartID = sold.ID
	commit(t, db, rec)
	db.Close()

	db = openTest(t, dir)
	carts, err := db.Carts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(carts) != 1 || carts[0].ID != kept.ID {
		t.Fatalf("carts after the sale: %+v, want only %s", carts, kept.ID)
	}
}

// TestSaleGuards checks the database's own refusals (migration 4): a cart
// sold twice, a sale voided twice, a voided sale refunded and a refunded
// sale voided. Each is a conflict that writes nothing, uses no sequence
// number and puts the record back as it was.
func TestSaleGuards(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	open := shiftOpenRec(c)
	commit(t, db, open)
	shiftID := open.Shift.ID
	lastSeq := open.Seq

	ok := func(rec *appliance.Record) {
		t.Helper()
		commit(t, db, rec)
		lastSeq++
		if rec.Seq != lastSeq {
			t.Errorf("%s got seq %d, want %d", rec.Kind, rec.Seq, lastSeq)
		}
	}
	tables := []string{"sales", "sale_lines", "payments", "journal", "outbox", "carts"}
	refused := func(rec *appliance.Record, key string) {
		t.Helper()
		before := map[string]int{}
		for _, tb := range tables {
			before[tb] = count(t, db, tb)
		}
		want, wantSale := *rec, *rec.Sale
		err := db.Commit(ctx, rec)
		var e *appliance.Error
		if !errors.As(err, &e) || e.Code != appliance.CodeConflict || e.Key != key {
			t.Fatalf("Commit(%s of %q, cart %q) = %v, want code %s key %q", rec.Kind, rec.Sale.Ref, rec.Sale.CartID,
				err, appliance.CodeConflict, key)
		}
		var se sqlite3.Error
		if !errors.As(err, &se) || se.Code != sqlite3.ErrConstraint {
			t.Errorf("Commit = %v, want the SQLite constraint error in the chain", err)
		}
		for _, tb := range tables {
			if got := count(t, db, tb); got != before[tb] {
				t.Errorf("%s: %d rows after refused commit, want %d", tb, got, before[tb])
			}
		}
		if got := metaInt(t, db.rw, "last_seq"); got != lastSeq {
			t.Errorf("last_seq = %d after refused commit, want %d", got, lastSeq)
		}
		if rec.Seq != want.Seq || rec.Epoch != want.Epoch || rec.Time != want.Time || !reflect.DeepEqual(*rec.Sale, wantSale) {
			t.Errorf("record not restored: seq %d epoch %q time %v sale %+v", rec.Seq, rec.Epoch, rec.Time, rec.Sale)
		}
	}
	// voidOf makes a void the way package appliance does: a copy of the
	// sale's document, its CartID included.
	voidOf := func(s *appliance.Sale) *appliance.Record {
		r := record(appliance.RecVoid, c)
		v := *s
		v.Kind, v.Ref, v.Reason, v.ApprovedBy = appliance.DocVoid, s.Number, "salah input", "u2"
		r.Sale = &v
		return r
	}

	cart := &appliance.Cart{ID: "cart-1", Started: c.next(), Updated: c.next()}
	if err := db.SaveCart(ctx, cart); err != nil {
		t.Fatal(err)
	}
	sale1 := saleRec(c, shiftID, appliance.DocSale, "", false)
	sale1.CartID, sale1.Sale.CartID = cart.ID, cart.ID
	ok(sale1)

	t.Run("SaleByCart", func(t *testing.T) {
		got, err := db.SaleByCart(ctx, cart.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, sale1.Sale) {
			t.Errorf("SaleByCart\n got %+v\nwant %+v", got, sale1.Sale)
		}
		for _, id := range []string{"cart-unknown", ""} {
			if _, err := db.SaleByCart(ctx, id); !errors.Is(err, appliance.ErrNotFound) ||
				appliance.ErrorCode(err) != appliance.CodeNotFound {
				t.Errorf("SaleByCart(%q) = %v, want ErrNotFound with code not_found", id, err)
			}
		}
	})

	t.Run("second sale of a cart", func(t *testing.T) {
		// The retry after a lost answer: the cart was saved again meanwhile.
		if err := db.SaveCart(ctx, cart); err != nil {
			t.Fatal(err)
		}
		again := saleRec(c, shiftID, appliance.DocSale, "", true)
		again.CartID, again.Sale.CartID = cart.ID, cart.ID
		refused(again, "")
		if n := count(t, db, "carts"); n != 1 {
			t.Errorf("refused sale deleted the cart: %d carts", n)
		}
		if err := db.DeleteCart(ctx, cart.ID); err != nil {
			t.Fatal(err)
		}
		// Sales without a cart never collide.
		ok(saleRec(c, shiftID, appliance.DocSale, "", false))
		ok(saleRec(c, shiftID, appliance.DocSale, "", false))
	})

	t.Run("void twice", func(t *testing.T) {
		void := voidOf(sale1.Sale)
		ok(void) // carries sale1's CartID in its document, and is still accepted
		if got, err := db.SaleByCart(ctx, cart.ID); err != nil || got.Number != sale1.Sale.Number {
			t.Errorf("SaleByCart after the void = %v, %v; want %s", got, err, sale1.Sale.Number)
		}
		refused(voidOf(sale1.Sale), "already_voided")
		refused(saleRec(c, shiftID, appliance.DocVoid, sale1.Sale.Number, true), "already_voided")
	})

	t.Run("refund after void", func(t *testing.T) {
		refused(saleRec(c, shiftID, appliance.DocRefund, sale1.Sale.Number, false), "already_voided")
	})

	t.Run("void after refund", func(t *testing.T) {
		sale2 := saleRec(c, shiftID, appliance.DocSale, "", true)
		ok(sale2)
		ok(saleRec(c, shiftID, appliance.DocRefund, sale2.Sale.Number, true))
		refused(voidOf(sale2.Sale), "void_has_refund")
		// Refunds in parts are still allowed.
		ok(saleRec(c, shiftID, appliance.DocRefund, sale2.Sale.Number, true))
	})

	next := noSaleRec(c)
	ok(next)
	js := allJournal(t, db)
	if int64(len(js)) != lastSeq {
		t.Errorf("journal has %d entries, want %d", len(js), lastSeq)
	}
	if _, err := appliance.VerifyJournal(appliance.GenesisHash, js); err != nil {
		t.Errorf("VerifyJournal: %v", err)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
}
