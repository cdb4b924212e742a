package headoffice

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

var wib = time.FixedZone("WIB", 7*3600)

// t0 is 10 March 2026, 09:00 WIB.
var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, wib)

func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func openDB(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// till makes records the way a till's outbox holds them.
type till struct {
	store, till, epoch string
	// kinds overrides the record kind by seq; sale by default.
	kinds map[int64]appliance.RecordKind
	// times overrides the record time by seq; t0 + seq minutes by default.
	times map[int64]time.Time
}

func (tl till) record(t *testing.T, seq int64) json.RawMessage {
	t.Helper()
	kind := appliance.RecSale
	if k, ok := tl.kinds[seq]; ok {
		kind = k
	}
	tm := t0.Add(time.Duration(seq) * time.Minute).UTC()
	if x, ok := tl.times[seq]; ok {
		tm = x.UTC()
	}
	m := appliance.OutboxMessage{Store: tl.store, Till: tl.till, Epoch: tl.epoch, Seq: seq, Kind: kind, Time: tm,
		UserID: "u1", UserName: "Sari"}
	switch kind {
	case appliance.RecSale, appliance.RecVoid, appliance.RecRefund:
		doc := appliance.DocKind(kind)
		m.Sale = &appliance.Sale{Number: appliance.ReceiptNumber(tl.store, tl.till, seq), Kind: doc,
			Store: tl.store, Till: tl.till, Epoch: tl.epoch, Seq: seq, Time: tm, UserName: "Sari",
			Total: appliance.Rupiah(1000 * seq), Paid: appliance.Rupiah(1000 * seq),
			Payments: []appliance.Payment{{Method: appliance.MethodCash, Amount: appliance.Rupiah(1000 * seq)}}}
		if doc != appliance.DocSale {
			m.Sale.Ref = appliance.ReceiptNumber(tl.store, tl.till, 1)
		}
	case appliance.RecShiftClose:
		m.Shift = &appliance.Shift{ID: 1, OpenedAt: t0, OpenedBy: "Sari", ClosedAt: tm, ClosedBy: "Sari"}
		m.Report = &appliance.ShiftReport{Kind: "Z", ShiftID: 1, Store: tl.store, Till: tl.till, Time: tm,
			User: "Sari", Sales: 3, Gross: 6000, Net: 6000}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (tl till) batch(t *testing.T, first, last int64) *wire.Batch {
	t.Helper()
	b := &wire.Batch{V: wire.BatchVersion, ID: wire.BatchID(tl.till, tl.epoch, first, last),
		Store: tl.store, Till: tl.till, Epoch: tl.epoch, First: first, Last: last}
	for s := first; s <= last; s++ {
		b.Records = append(b.Records, tl.record(t, s))
	}
	b.Sign(testTillKey(tl.store, tl.till))
	return b
}

// testTillKey is the signing key the tests give a till: the same for the
// same codes, so that a test can register it.
func testTillKey(store, till string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("kasir test till " + store + "/" + till))
	return ed25519.NewKeyFromSeed(seed[:])
}

// hqTestKey signs the workers' acks in tests.
var hqTestKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// testTills are the tills the worker tests register.
var testTills = [][2]string{{"S001", "T01"}, {"S001", "T02"}, {"S001", "T03"}, {"S002", "T01"}, {"S002", "T02"}}

// registerTills gives st the keys of testTills.
func registerTills(t *testing.T, st Store) {
	t.Helper()
	for _, c := range testTills {
		if err := st.PutTillKey(context.Background(), c[0], c[1], testTillKey(c[0], c[1]).Public().(ed25519.PublicKey)); err != nil {
			t.Fatal(err)
		}
	}
}

func ingest(t *testing.T, db *DB, b *wire.Batch) (wire.Ack, *Gap) {
	t.Helper()
	ack, gap, err := db.Ingest(context.Background(), b)
	if err != nil {
		t.Fatalf("ingest %s: %v", b.ID, err)
	}
	return ack, gap
}

// applied returns the seqs in records for a series in the order they were
// inserted, failing the test if they were not inserted in seq order, or the
// stored record is not the one sent.
func applied(t *testing.T, db *DB, tl till) []int64 {
	t.Helper()
	rows, err := db.ro.Query(`SELECT seq, body FROM records WHERE store = ? AND till = ? AND epoch = ? ORDER BY rowid`,
		tl.store, tl.till, tl.epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var seq int64
		var body string
		if err := rows.Scan(&seq, &body); err != nil {
			t.Fatal(err)
		}
		var r wire.Record
		if err := json.Unmarshal([]byte(body), &r); err != nil || r.Seq != seq || r.Till != tl.till || r.Epoch != tl.epoch {
			t.Fatalf("record %d holds %s", seq, body)
		}
		if len(seqs) > 0 && seq <= seqs[len(seqs)-1] {
			t.Fatalf("seq %d applied after %d", seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return seqs
}

func upTo(n int64) []int64 {
	var s []int64
	for i := int64(1); i <= n; i++ {
		s = append(s, i)
	}
	return s
}

func pendingCount(t *testing.T, db *DB, tl till) int {
	t.Helper()
	var n int
	if err := db.ro.QueryRow(`SELECT COUNT(*) FROM pending WHERE store = ? AND till = ? AND epoch = ?`,
		tl.store, tl.till, tl.epoch).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
