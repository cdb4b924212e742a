package headoffice

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/pgtest"
	"github.com/kasirpos/kasir/wire"
)

// The same behaviour, scenario by scenario, on every Store: SQLite (DB) and
// PostgreSQL (PG, on a throwaway cluster). The SQLite-only tests in the
// other files stay as they are; these bodies are written against Store.

// testStore is a Store with what the scenarios need to set up and inspect.
type testStore interface {
	Store
	Close() error
	setNow(func() time.Time)
	setZone(ctx context.Context, store, zone string) error
	// applied returns a series' seqs in the order they were applied,
	// failing the test unless that is seq order and every stored record is
	// the one sent.
	applied(t *testing.T, tl till) []int64
	pending(t *testing.T, tl till) int
	// committed counts a series' records up to seq; safe off the test's
	// goroutine.
	committed(ctx context.Context, store, till, epoch string, upTo int64) (int64, error)
}

// backend makes databases and opens handles on them.
type backend struct {
	name string
	// fresh makes a new, empty database and returns where it is.
	fresh func(t *testing.T) string
	// open opens a handle on it, closed when the test ends.
	open func(t *testing.T, where string) testStore
}

func (be backend) openFresh(t *testing.T) testStore {
	t.Helper()
	return be.open(t, be.fresh(t))
}

func sqliteBackend() backend {
	return backend{
		name:  "sqlite",
		fresh: func(t *testing.T) string { return t.TempDir() },
		open:  func(t *testing.T, dir string) testStore { return sqliteStore{openDB(t, dir)} },
	}
}

func postgresBackend(srv *pgtest.Server) backend {
	return backend{
		name:  "postgres",
		fresh: func(t *testing.T) string { return srv.NewDatabase(t) },
		open:  func(t *testing.T, url string) testStore { return pgStore{openPG(t, url)} },
	}
}

func openPG(t *testing.T, url string) *PG {
	t.Helper()
	p, err := OpenPostgres(context.Background(), url, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type sqliteStore struct{ *DB }

func (s sqliteStore) setNow(f func() time.Time) { s.Now = f }
func (s sqliteStore) setZone(ctx context.Context, store, zone string) error {
	return s.SetStoreZone(ctx, store, zone)
}
func (s sqliteStore) applied(t *testing.T, tl till) []int64 { return applied(t, s.DB, tl) }
func (s sqliteStore) pending(t *testing.T, tl till) int     { return pendingCount(t, s.DB, tl) }
func (s sqliteStore) committed(ctx context.Context, store, till, epoch string, upTo int64) (int64, error) {
	var n int64
	err := s.ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE store = ? AND till = ? AND epoch = ? AND seq <= ?`,
		store, till, epoch, upTo).Scan(&n)
	return n, err
}

type pgStore struct{ *PG }

func (s pgStore) setNow(f func() time.Time) { s.Now = f }
func (s pgStore) setZone(ctx context.Context, store, zone string) error {
	return s.SetStoreZone(ctx, store, zone)
}

func (s pgStore) applied(t *testing.T, tl till) []int64 {
	t.Helper()
	rows, err := s.db.Query(`SELECT seq, body FROM records WHERE store = $1 AND till = $2 AND epoch = $3 ORDER BY id`,
		tl.store, tl.till, tl.epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var seq int64
		var body []byte
		if err := rows.Scan(&seq, &body); err != nil {
			t.Fatal(err)
		}
		if want := tl.record(t, seq); string(body) != string(want) {
			t.Fatalf("record %d holds %s, was sent %s", seq, body, want)
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

func (s pgStore) pending(t *testing.T, tl till) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM pending WHERE store = $1 AND till = $2 AND epoch = $3`,
		tl.store, tl.till, tl.epoch).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (s pgStore) committed(ctx context.Context, store, till, epoch string, upTo int64) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE store = $1 AND till = $2 AND epoch = $3 AND seq <= $4`,
		store, till, epoch, upTo).Scan(&n)
	return n, err
}

// storeScenarios are the behaviours every Store must have.
var storeScenarios = []struct {
	name string
	run  func(t *testing.T, be backend)
}{
	{"IngestExactlyOnce", scenarioExactlyOnce},
	{"IngestGap", scenarioGap},
	{"IngestEpochsAreSeparate", scenarioEpochs},
	{"IngestMalformed", scenarioMalformed},
	{"IngestRandomInterleaving", scenarioRandomInterleaving},
	{"IngestConcurrentWorkers", scenarioConcurrentWorkers},
	{"NextVersion", scenarioNextVersion},
	{"ZReportFromShiftClose", scenarioZReports},
	{"SalesByStoreAndDay", scenarioSales},
	{"FleetFromStatusAndConfigAcks", scenarioFleet},
	{"WorkerAcksAfterCommit", scenarioWorker},
	{"HTTPFleet", scenarioHTTP},
	{"QRISReconcile", scenarioQRIS},
	{"QRISBackfill", scenarioQRISBackfill},
	{"HTTPQRISReconcile", scenarioHTTPQRIS},
	{"TillKeysAndRefusals", scenarioTillKeys},
	{"WorkerRefusesForgeries", scenarioWorkerRefusesForgeries},
}

func runScenarios(t *testing.T, be backend) {
	for _, sc := range storeScenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, be) })
	}
}

// TestStoreSQLite runs the scenarios on SQLite, which keeps them honest.
func TestStoreSQLite(t *testing.T) {
	runScenarios(t, sqliteBackend())
}

// TestStorePostgres runs the scenarios, and PostgreSQL's own cases, on one
// throwaway cluster; each case has a database of its own.
func TestStorePostgres(t *testing.T) {
	srv := pgtest.Start(t)
	be := postgresBackend(srv)
	runScenarios(t, be)
	t.Run("Migrations", func(t *testing.T) { pgMigrations_(t, srv) })
	t.Run("BodiesKeptExactly", func(t *testing.T) { pgBodies(t, be) })
	t.Run("SeveralSeriesAtOnce", func(t *testing.T) { pgSeveralSeries(t, be) })
}

func ingestInto(t *testing.T, st Store, b *wire.Batch) (wire.Ack, *Gap) {
	t.Helper()
	ack, gap, err := st.Ingest(context.Background(), b)
	if err != nil {
		t.Fatalf("ingest %s: %v", b.ID, err)
	}
	return ack, gap
}

func scenarioExactlyOnce(t *testing.T, be backend) {
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	tests := []struct {
		name    string
		batches [][2]int64
		acks    []int64
		want    []int64
	}{
		{"same batch twice", [][2]int64{{1, 3}, {1, 3}}, []int64{3, 3}, upTo(3)},
		{"overlapping", [][2]int64{{1, 3}, {2, 5}, {4, 6}}, []int64{3, 5, 6}, upTo(6)},
		{"out of order", [][2]int64{{3, 4}, {1, 2}}, []int64{0, 4}, upTo(4)},
		{"far ahead, then filled from the back", [][2]int64{{7, 8}, {5, 6}, {3, 4}, {1, 2}}, []int64{0, 0, 0, 8}, upTo(8)},
		{"ahead and overlapping the fill", [][2]int64{{3, 5}, {1, 4}, {5, 6}}, []int64{0, 5, 6}, upTo(6)},
		{"old duplicate after the ack", [][2]int64{{1, 4}, {2, 2}, {1, 1}}, []int64{4, 4, 4}, upTo(4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := be.openFresh(t)
			for i, r := range tt.batches {
				ack, _ := ingestInto(t, st, tl.batch(t, r[0], r[1]))
				if ack.Seq != tt.acks[i] || ack.Store != tl.store || ack.Till != tl.till || ack.Epoch != tl.epoch || ack.V != wire.Version {
					t.Errorf("after batch %d-%d: ack %+v, want seq %d", r[0], r[1], ack, tt.acks[i])
				}
			}
			if got := st.applied(t, tl); !slices.Equal(got, tt.want) {
				t.Errorf("records %v, want %v", got, tt.want)
			}
			if n := st.pending(t, tl); n != 0 {
				t.Errorf("%d pending left", n)
			}
		})
	}
}

func scenarioGap(t *testing.T, be backend) {
	st := be.openFresh(t)
	ctx := context.Background()
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	ack, gap := ingestInto(t, st, tl.batch(t, 1, 2))
	if ack.Seq != 2 || gap != nil {
		t.Fatalf("1-2: ack %d gap %+v", ack.Seq, gap)
	}
	ack, gap = ingestInto(t, st, tl.batch(t, 5, 6))
	want := &Gap{Store: "S001", Till: "T01", Epoch: "e1", From: 3, To: 4}
	if ack.Seq != 2 || gap == nil || *gap != *want {
		t.Fatalf("5-6: ack %d gap %+v, want 2 %+v", ack.Seq, gap, want)
	}
	if got := st.applied(t, tl); !slices.Equal(got, upTo(2)) {
		t.Errorf("records %v before the gap is filled", got)
	}
	if n := st.pending(t, tl); n != 2 {
		t.Errorf("%d pending, want 2", n)
	}
	fleet, err := st.Fleet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fleet) != 1 || fleet[0].Gap == nil || *fleet[0].Gap != *want || fleet[0].Pending != 2 || fleet[0].AckedSeq != 2 {
		t.Errorf("fleet %+v", fleet)
	}
	ack, gap = ingestInto(t, st, tl.batch(t, 6, 6))
	if ack.Seq != 2 || gap == nil || *gap != *want {
		t.Fatalf("6 again: ack %d gap %+v", ack.Seq, gap)
	}
	// Part of the gap: the gap shrinks.
	ack, gap = ingestInto(t, st, tl.batch(t, 3, 3))
	if want := (Gap{Store: "S001", Till: "T01", Epoch: "e1", From: 4, To: 4}); ack.Seq != 3 || gap == nil || *gap != want {
		t.Fatalf("3: ack %d gap %+v, want 3 %+v", ack.Seq, gap, want)
	}
	ack, gap = ingestInto(t, st, tl.batch(t, 3, 4))
	if ack.Seq != 6 || gap != nil {
		t.Fatalf("3-4: ack %d gap %+v, want 6 and none", ack.Seq, gap)
	}
	if got := st.applied(t, tl); !slices.Equal(got, upTo(6)) {
		t.Errorf("records %v", got)
	}
	fleet, _ = st.Fleet(ctx)
	if fleet[0].Gap != nil || fleet[0].Pending != 0 || fleet[0].AckedSeq != 6 {
		t.Errorf("fleet after fill %+v", fleet[0])
	}
}

func scenarioEpochs(t *testing.T, be backend) {
	st := be.openFresh(t)
	old := till{store: "S001", till: "T01", epoch: "old"}
	cur := till{store: "S001", till: "T01", epoch: "new"}
	ingestInto(t, st, old.batch(t, 1, 5))
	ack, gap := ingestInto(t, st, cur.batch(t, 1, 2))
	if ack.Seq != 2 || ack.Epoch != "new" || gap != nil {
		t.Fatalf("new epoch: ack %+v gap %+v", ack, gap)
	}
	ack, _ = ingestInto(t, st, old.batch(t, 6, 6))
	if ack.Seq != 6 || ack.Epoch != "old" {
		t.Fatalf("old epoch: ack %+v", ack)
	}
	if got := st.applied(t, old); !slices.Equal(got, upTo(6)) {
		t.Errorf("old %v", got)
	}
	if got := st.applied(t, cur); !slices.Equal(got, upTo(2)) {
		t.Errorf("new %v", got)
	}
	other := till{store: "S002", till: "T01", epoch: "new"}
	if ack, _ := ingestInto(t, st, other.batch(t, 1, 1)); ack.Seq != 1 {
		t.Errorf("other store: %+v", ack)
	}
	// The fleet shows the epoch the till first sent until its status says
	// otherwise.
	fleet, err := st.Fleet(context.Background())
	if err != nil || len(fleet) != 2 || fleet[0].Epoch != "old" || fleet[0].AckedSeq != 6 {
		t.Errorf("fleet %+v %v", fleet, err)
	}
}

func scenarioMalformed(t *testing.T, be backend) {
	st := be.openFresh(t)
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	bad := []*wire.Batch{
		func() *wire.Batch { b := tl.batch(t, 1, 2); b.Last = 3; return b }(),
		func() *wire.Batch { b := tl.batch(t, 1, 2); b.Records[1] = tl.record(t, 3); return b }(),
		func() *wire.Batch { b := tl.batch(t, 1, 1); b.Records[0] = []byte(`{"seq":`); return b }(),
		func() *wire.Batch { b := tl.batch(t, 1, 1); b.V = 9; return b }(),
		func() *wire.Batch { b := tl.batch(t, 1, 1); b.Records[0] = other(t, 1); return b }(),
	}
	for i, b := range bad {
		if _, _, err := st.Ingest(context.Background(), b); !errors.Is(err, ErrMalformed) {
			t.Errorf("bad batch %d: %v, want ErrMalformed", i, err)
		}
	}
	if got := st.applied(t, tl); len(got) != 0 {
		t.Errorf("records %v from malformed batches", got)
	}
	if fleet, err := st.Fleet(context.Background()); err != nil || len(fleet) != 0 {
		t.Errorf("fleet after malformed batches %+v %v", fleet, err)
	}
}

// scenarioRandomInterleaving sends three tills' series as batches of random
// sizes, each duplicated at random, in a random order, and checks that head
// office ends with exactly each till's records, once, applied in seq order.
func scenarioRandomInterleaving(t *testing.T, be backend) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	for round := range 5 {
		st := be.openFresh(t)
		tills := []till{
			{store: "S001", till: "T01", epoch: "a"},
			{store: "S001", till: "T02", epoch: "b"},
			{store: "S002", till: "T01", epoch: "c"},
		}
		last := map[string]int64{}
		var batches []*wire.Batch
		for _, tl := range tills {
			n := int64(20 + rng.IntN(60))
			last[tl.epoch] = n
			for first := int64(1); first <= n; {
				end := min(n, first+int64(rng.IntN(8)))
				for range 1 + rng.IntN(3) {
					batches = append(batches, tl.batch(t, first, end))
				}
				if rng.IntN(4) == 0 && end < n {
					batches = append(batches, tl.batch(t, max(1, first-2), min(n, end+2)))
				}
				first = end + 1
			}
		}
		rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
		acks := map[string]int64{}
		for _, b := range batches {
			ack, gap := ingestInto(t, st, b)
			if ack.Seq < acks[b.Epoch] {
				t.Fatalf("round %d: ack of %s went back from %d to %d", round, b.Epoch, acks[b.Epoch], ack.Seq)
			}
			if gap != nil && (gap.From != ack.Seq+1 || gap.To < gap.From) {
				t.Fatalf("round %d: ack %d with gap %+v", round, ack.Seq, gap)
			}
			acks[b.Epoch] = ack.Seq
		}
		for _, tl := range tills {
			if acks[tl.epoch] != last[tl.epoch] {
				t.Errorf("round %d: till %s/%s acked %d, want %d", round, tl.store, tl.till, acks[tl.epoch], last[tl.epoch])
			}
			if got := st.applied(t, tl); !slices.Equal(got, upTo(last[tl.epoch])) {
				t.Errorf("round %d: till %s/%s records %v", round, tl.store, tl.till, got)
			}
			if n := st.pending(t, tl); n != 0 {
				t.Errorf("round %d: %d pending", round, n)
			}
		}
	}
}

// scenarioConcurrentWorkers ingests one till's shuffled, duplicated batches
// from many goroutines through three handles on one database, as three
// worker processes on one shared subscription would.
func scenarioConcurrentWorkers(t *testing.T, be backend) {
	where := be.fresh(t)
	sts := []testStore{be.open(t, where), be.open(t, where), be.open(t, where)}
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	const n = 300
	var batches []*wire.Batch
	for first := int64(1); first <= n; first += 5 {
		b := tl.batch(t, first, first+4)
		batches = append(batches, b, b)
	}
	// Some resends that straddle batches.
	for first := int64(3); first+6 <= n; first += 40 {
		batches = append(batches, tl.batch(t, first, first+6))
	}
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })

	const workers = 9
	work := make(chan *wire.Batch)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var maxAck int64
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func(st Store) {
			defer wg.Done()
			for b := range work {
				ack, _, err := st.Ingest(context.Background(), b)
				if err != nil {
					errs <- fmt.Errorf("ingest %s: %w", b.ID, err)
					for range work {
					}
					return
				}
				mu.Lock()
				maxAck = max(maxAck, ack.Seq)
				mu.Unlock()
			}
		}(sts[i%len(sts)])
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if maxAck != n {
		t.Errorf("highest ack %d, want %d", maxAck, n)
	}
	if got := sts[0].applied(t, tl); !slices.Equal(got, upTo(n)) {
		t.Errorf("records %v", got)
	}
	if n := sts[1].pending(t, tl); n != 0 {
		t.Errorf("%d pending", n)
	}
	ack, gap := ingestInto(t, sts[2], tl.batch(t, 1, 1))
	if ack.Seq != n || gap != nil {
		t.Errorf("resend after all: ack %d gap %+v", ack.Seq, gap)
	}
}

func scenarioNextVersion(t *testing.T, be backend) {
	where := be.fresh(t)
	st := be.open(t, where)
	now := time.Unix(1_800_000_000, 0)
	st.setNow(func() time.Time { return now })
	ctx := context.Background()
	var prev int64
	for i := range 3 {
		v, err := st.NextVersion(ctx, wire.KindConfig)
		if err != nil {
			t.Fatal(err)
		}
		if v <= prev || v < now.Unix() {
			t.Fatalf("version %d: %d after %d", i, v, prev)
		}
		prev = v
	}
	if v, _ := st.NextVersion(ctx, wire.KindCatalog); v != now.Unix() {
		t.Errorf("catalog version %d", v)
	}
	st.Close()
	st = be.open(t, where)
	st.setNow(func() time.Time { return now.Add(-time.Hour) })
	if v, err := st.NextVersion(ctx, wire.KindConfig); err != nil || v != prev+1 {
		t.Errorf("after reopen: %d %v, want %d", v, err, prev+1)
	}
	prev++
	// A clock that jumped ahead lifts the versions to it.
	st.setNow(func() time.Time { return now.Add(time.Hour) })
	if v, err := st.NextVersion(ctx, wire.KindConfig); err != nil || v != now.Add(time.Hour).Unix() {
		t.Errorf("clock ahead: %d %v", v, err)
	}
	if _, err := st.NextVersion(ctx, "firmware"); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown kind: %v", err)
	}
	// Handed out at once from several handles, every version is distinct.
	sts := []testStore{st, be.open(t, where), be.open(t, where)}
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func(s Store) {
			defer wg.Done()
			v, err := s.NextVersion(ctx, wire.KindCatalog)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || seen[v] {
				t.Errorf("version %d %v (seen before: %v)", v, err, seen[v])
			}
			seen[v] = true
		}(sts[i%len(sts)])
	}
	wg.Wait()
}

func scenarioZReports(t *testing.T, be backend) {
	st := be.openFresh(t)
	ctx := context.Background()
	tl := till{store: "S001", till: "T01", epoch: "e1", kinds: map[int64]appliance.RecordKind{
		1: appliance.RecShiftOpen, 5: appliance.RecShiftClose}}
	ingestInto(t, st, tl.batch(t, 5, 5))
	if zs, err := st.ZReports(ctx, "S001", "T01", 0); err != nil || len(zs) != 0 {
		t.Fatalf("Z report before its seq is applied: %v %v", zs, err)
	}
	ingestInto(t, st, tl.batch(t, 1, 4))
	ingestInto(t, st, tl.batch(t, 5, 5)) // a resend adds no second report
	zs, err := st.ZReports(ctx, "S001", "T01", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) != 1 || zs[0].Kind != "Z" || zs[0].ShiftID != 1 || zs[0].Net != 6000 || zs[0].Store != "S001" {
		t.Fatalf("Z reports %+v", zs)
	}
	if zs, _ := st.ZReports(ctx, "S001", "T02", 0); len(zs) != 0 {
		t.Errorf("another till's Z reports: %+v", zs)
	}
	// A second shift, later, on another till: newest first, limited.
	t2 := till{store: "S001", till: "T02", epoch: "e2", kinds: map[int64]appliance.RecordKind{2: appliance.RecShiftClose}}
	ingestInto(t, st, t2.batch(t, 1, 2))
	all, err := st.ZReports(ctx, "", "", 0)
	if err != nil || len(all) != 2 || all[0].Till != "T01" || all[1].Till != "T02" {
		t.Errorf("fleet Z reports %+v %v", all, err)
	}
	if one, _ := st.ZReports(ctx, "S001", "", 1); len(one) != 1 || one[0].Till != "T01" {
		t.Errorf("limit 1: %+v", one)
	}
}

func scenarioSales(t *testing.T, be backend) {
	st := be.openFresh(t)
	ctx := context.Background()
	day := func(h, m int, d int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, wib) }
	a := till{store: "S001", till: "T01", epoch: "a",
		kinds: map[int64]appliance.RecordKind{3: appliance.RecVoid, 4: appliance.RecShiftOpen, 5: appliance.RecRefund},
		times: map[int64]time.Time{1: day(23, 50, 9), 2: day(0, 10, 10), 3: day(12, 0, 10), 4: day(12, 1, 10), 5: day(23, 59, 10), 6: day(0, 30, 11)}}
	b := till{store: "S002", till: "T01", epoch: "b",
		times: map[int64]time.Time{1: day(8, 0, 10), 2: day(9, 0, 10)}}
	wit := time.FixedZone("WIT", 9*3600)
	c := till{store: "S003", till: "T01", epoch: "c",
		times: map[int64]time.Time{1: time.Date(2026, 3, 10, 23, 30, 0, 0, wit), 2: time.Date(2026, 3, 11, 0, 30, 0, 0, wit)}}
	if err := st.setZone(ctx, "S003", "Asia/Jayapura"); err != nil {
		t.Fatal(err)
	}
	if err := st.setZone(ctx, "S003", "Mars/Olympus"); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Errorf("unknown zone: %v", err)
	}
	ingestInto(t, st, a.batch(t, 1, 6))
	ingestInto(t, st, b.batch(t, 1, 2))
	ingestInto(t, st, c.batch(t, 1, 2))

	tests := []struct {
		name string
		q    SalesQuery
		want []string
	}{
		{"one store's day", SalesQuery{Store: "S001", Day: "2026-03-10"},
			[]string{"S001-T01-000002", "S001-T01-000003", "S001-T01-000005"}},
		{"next day starts at midnight WIB", SalesQuery{Store: "S001", Day: "2026-03-11"}, []string{"S001-T01-000006"}},
		{"voids only", SalesQuery{Store: "S001", Day: "2026-03-10", Kind: appliance.DocVoid}, []string{"S001-T01-000003"}},
		{"every store, each in its zone", SalesQuery{Day: "2026-03-10"},
			[]string{"S001-T01-000002", "S002-T01-000001", "S002-T01-000002", "S001-T01-000003", "S003-T01-000001", "S001-T01-000005"}},
		{"a store in WIT", SalesQuery{Store: "S003", Day: "2026-03-11"}, []string{"S003-T01-000002"}},
		{"a till", SalesQuery{Store: "S002", Till: "T01", Day: "2026-03-10", Limit: 1}, []string{"S002-T01-000001"}},
		{"empty day", SalesQuery{Store: "S001", Day: "2026-03-12"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := st.Sales(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if rows == nil {
				t.Error("nil rows, want an empty list")
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Number)
				if r.Doc == nil || r.Doc.Number != r.Number || r.Day != tt.q.Day {
					t.Errorf("row %+v", r)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	rows, _ := st.Sales(ctx, SalesQuery{Store: "S001", Day: "2026-03-10", Kind: appliance.DocRefund})
	if len(rows) != 1 || rows[0].Kind != appliance.DocRefund || rows[0].Total != 5000 || rows[0].Ref != "S001-T01-000001" ||
		rows[0].User != "Sari" || rows[0].Epoch != "a" || rows[0].Seq != 5 || !rows[0].Time.Equal(day(23, 59, 10)) {
		t.Errorf("refund row %+v", rows)
	}
	for _, q := range []SalesQuery{{Day: "10-03-2026"}, {Day: ""}, {Day: "2026-03-10", Kind: "gift"}, {Day: "2026-03-10", Store: "S/1"}, {Day: "2026-03-10", Till: "T 1"}} {
		if _, err := st.Sales(ctx, q); appliance.ErrorCode(err) != appliance.CodeInvalid {
			t.Errorf("query %+v: %v, want invalid", q, err)
		}
	}
}

func scenarioFleet(t *testing.T, be backend) {
	st := be.openFresh(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	st.setNow(func() time.Time { return now })
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	ingestInto(t, st, tl.batch(t, 1, 3))

	oldest := now.Add(-2 * time.Hour)
	s := wire.Status{V: 1, Store: "S001", Till: "T01", Online: true, Time: now, Epoch: "e1", LastSeq: 9, AckedSeq: 2,
		Backlog: 7, OldestUnsynced: oldest, Software: "v1.2", CatalogVersion: "41", ConfigVersion: "7",
		Devices: map[string]appliance.DeviceStatus{"printer": {Name: "printer", State: appliance.DevicePaperLow}}}
	if err := st.RecordStatus(ctx, s); err != nil {
		t.Fatal(err)
	}
	rej := wire.ConfigAck{V: 1, Store: "S001", Till: "T01", Kind: wire.KindConfig, Version: 8, Status: "rejected", Reason: "bad_signature", Time: now}
	if err := st.RecordConfigAck(ctx, rej); err != nil {
		t.Fatal(err)
	}
	ok := wire.ConfigAck{V: 1, Store: "S001", Till: "T01", Kind: wire.KindCatalog, Version: 42, Status: "applied", Time: now}
	if err := st.RecordConfigAck(ctx, ok); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordStatus(ctx, wire.Status{V: 1, Store: "S002", Till: "T09"}); err != nil {
		t.Fatal(err)
	}

	fleet, err := st.Fleet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fleet) != 2 {
		t.Fatalf("fleet %+v", fleet)
	}
	f := fleet[0]
	if !f.Online || !f.LastSeen.Equal(now) || f.Epoch != "e1" || f.AckedSeq != 3 || f.ReportedAckedSeq != 2 ||
		f.ReportedLastSeq != 9 || f.ReportedBacklog != 7 || !f.OldestUnsynced.Equal(oldest) || f.Software != "v1.2" ||
		f.CatalogVersion != "41" || f.ConfigVersion != "7" || f.Devices["printer"].State != appliance.DevicePaperLow ||
		f.Gap != nil || f.Pending != 0 || !f.StatusTime.Equal(now) {
		t.Errorf("till %+v", f)
	}
	if f.LastRejection == nil || f.LastRejection.Reason != "bad_signature" || f.LastRejection.Version != 8 {
		t.Errorf("last rejection %+v", f.LastRejection)
	}
	if f.LastConfigAck == nil || f.LastConfigAck.Status != "applied" || f.LastConfigAck.Version != 42 {
		t.Errorf("last config ack %+v", f.LastConfigAck)
	}
	if g := fleet[1]; g.Store != "S002" || g.Online || !g.LastSeen.IsZero() || g.AckedSeq != 0 || g.Epoch != "" {
		t.Errorf("absent till %+v", g)
	}

	seen := now
	now = now.Add(time.Minute)
	if err := st.RecordStatus(ctx, wire.Status{V: 1, Store: "S001", Till: "T01"}); err != nil {
		t.Fatal(err)
	}
	fleet, _ = st.Fleet(ctx)
	if f := fleet[0]; f.Online || f.ReportedBacklog != 7 || f.Software != "v1.2" || !f.LastSeen.Equal(seen) {
		t.Errorf("after the will %+v", f)
	}
	s.Time, s.Backlog = now, 0
	if err := st.RecordStatus(ctx, s); err != nil {
		t.Fatal(err)
	}
	stale := s
	stale.Time, stale.Backlog = now.Add(-time.Hour), 99
	if err := st.RecordStatus(ctx, stale); err != nil {
		t.Fatal(err)
	}
	fleet, _ = st.Fleet(ctx)
	if f := fleet[0]; !f.Online || f.ReportedBacklog != 0 || !f.StatusTime.Equal(now) {
		t.Errorf("after a stale status %+v", f)
	}
	// A later applied ack keeps the last rejection.
	if err := st.RecordConfigAck(ctx, wire.ConfigAck{V: 1, Store: "S001", Till: "T01", Kind: wire.KindConfig, Version: 9, Status: "applied", Time: now}); err != nil {
		t.Fatal(err)
	}
	fleet, _ = st.Fleet(ctx)
	if f := fleet[0]; f.LastConfigAck.Version != 9 || f.LastRejection == nil || f.LastRejection.Version != 8 {
		t.Errorf("after an applied config %+v %+v", f.LastConfigAck, f.LastRejection)
	}

	for _, bad := range []wire.ConfigAck{
		{Store: "S001", Till: "T01", Kind: "firmware", Status: "applied"},
		{Store: "S001", Till: "T01", Kind: wire.KindConfig, Status: "maybe"},
		{Store: "", Till: "T01", Kind: wire.KindConfig, Status: "applied"},
	} {
		if err := st.RecordConfigAck(ctx, bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("config ack %+v: %v", bad, err)
		}
	}
	if err := st.RecordStatus(ctx, wire.Status{Store: "S 1", Till: "T01", Online: true}); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad status: %v", err)
	}
}

// scenarioWorker runs the ingest worker on the store, with another handle
// watching: every ack it publishes covers only committed records.
func scenarioWorker(t *testing.T, be backend) {
	where := be.fresh(t)
	st, observer := be.open(t, where), be.open(t, where)
	conn := newFakeConn(4)
	var mu sync.Mutex
	var bad []string
	conn.onPublish = func(m Message) error {
		var a wire.Ack
		json.Unmarshal(m.Payload, &a)
		n, err := observer.committed(context.Background(), a.Store, a.Till, a.Epoch, a.Seq)
		if err != nil || n != a.Seq {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("ack %d published with %d records committed (%v)", a.Seq, n, err))
			mu.Unlock()
		}
		return nil
	}
	startWorker(t, st, conn, true, true)
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	topic := wire.SalesTopic("S001", "T01")
	conn.deliver(t, topic, payload(t, tl.batch(t, 4, 6)))
	if _, ack := conn.nextAck(t); ack.Seq != 0 {
		t.Fatalf("ack %d with 1-3 missing", ack.Seq)
	}
	conn.deliver(t, wire.ShiftTopic("S001", "T01"), payload(t, tl.batch(t, 1, 3)))
	if _, ack := conn.nextAck(t); ack.Seq != 6 {
		t.Fatalf("ack %d after the fill", ack.Seq)
	}
	conn.deliver(t, wire.StatusTopic("S001", "T01"), payload(t, wire.Status{V: 1, Store: "S001", Till: "T01", Online: true, Backlog: 2, Epoch: "e1"}))
	conn.deliver(t, topic, payload(t, tl.batch(t, 6, 7)))
	if _, ack := conn.nextAck(t); ack.Seq != 7 {
		t.Fatalf("ack %d", ack.Seq)
	}
	fleet, err := observer.Fleet(context.Background())
	fleet = heard(fleet)
	if err != nil || len(fleet) != 1 || !fleet[0].Online || fleet[0].ReportedBacklog != 2 || fleet[0].AckedSeq != 7 {
		t.Errorf("fleet %+v %v", fleet, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
}

func scenarioHTTP(t *testing.T, be backend) {
	st := be.openFresh(t)
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	ingestInto(t, st, tl.batch(t, 1, 2))
	h := NewHandler(st, testLog(t))
	rec := get(t, h, "/api/v1/fleet")
	var body []struct {
		Store    string `json:"store"`
		AckedSeq int64  `json:"acked_seq"`
	}
	if rec.Code != 200 {
		t.Fatalf("fleet: %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) != 1 || body[0].AckedSeq != 2 {
		t.Errorf("fleet %s (%v)", rec.Body, err)
	}
	if rec := get(t, h, "/api/v1/sales?day=2026-03-10&store=S001"); rec.Code != 200 {
		t.Errorf("sales: %d %s", rec.Code, rec.Body)
	}
	if rec := get(t, h, "/api/v1/sales?day=yesterday"); rec.Code != 400 {
		t.Errorf("bad day: %d %s", rec.Code, rec.Body)
	}
}

// pgMigrations_ checks PostgreSQL's versioned schema: handles opening a new
// database at once migrate it once; reopening changes nothing; a schema
// from a newer program is refused.
func pgMigrations_(t *testing.T, srv *pgtest.Server) {
	url := srv.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := OpenPostgres(context.Background(), url, testLog(t))
			if err == nil {
				p.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	p := openPG(t, url)
	var n, version int
	if err := p.db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&n, &version); err != nil || n != len(pgMigrations) || version != len(pgMigrations) {
		t.Fatalf("schema_version: %d rows, version %d, %v", n, version, err)
	}
	if p.URL() != url {
		t.Errorf("URL %s, want %s", p.URL(), url)
	}
	if _, err := p.db.Exec(`INSERT INTO schema_version (version, name) VALUES ($1, 'from the future')`, len(pgMigrations)+1); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPostgres(context.Background(), url, testLog(t)); !errors.Is(err, ErrTooNew) {
		t.Errorf("newer schema: %v, want ErrTooNew", err)
	}
	if _, err := OpenPostgres(context.Background(), srv.DatabaseURL("no_such_db"), testLog(t)); err == nil {
		t.Error("a database that does not exist opened")
	}
}

// pgBodies checks that a record is kept byte for byte, whatever it holds,
// and that text PostgreSQL cannot store does not stop a till's series.
func pgBodies(t *testing.T, be backend) {
	st := be.openFresh(t).(pgStore)
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	b := tl.batch(t, 1, 2)
	// Invalid UTF-8 and a NUL in the cashier's name: Go's JSON takes both.
	var m appliance.OutboxMessage
	if err := json.Unmarshal(b.Records[1], &m); err != nil {
		t.Fatal(err)
	}
	m.UserName, m.Sale.UserName = "Sari\x00", "Sari"
	raw, _ := json.Marshal(m)
	raw = append(raw[:len(raw)-1:len(raw)-1], []byte(", \"note\": \"\xff\xfe\" }")...)
	b.Records[1] = raw
	ack, _ := ingestInto(t, st, b)
	if ack.Seq != 2 {
		t.Fatalf("ack %d", ack.Seq)
	}
	var body []byte
	var user sql.NullString
	if err := st.db.QueryRow(`SELECT body, user_name FROM records WHERE seq = 2`).Scan(&body, &user); err != nil {
		t.Fatal(err)
	}
	if string(body) != string(raw) || user.String != "Sari\uFFFD" {
		t.Errorf("body %q user %q", body, user.String)
	}
	// An epoch PostgreSQL's text cannot hold is malformed, not a failure
	// to retry for ever.
	nul := till{store: "S001", till: "T01", epoch: "e\x00"}
	if _, _, err := st.Ingest(context.Background(), nul.batch(t, 1, 1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("NUL epoch: %v", err)
	}
}

// pgSeveralSeries ingests several series of the same till and of other tills
// at once from several handles, with statuses and config acks for the same
// tills in between: no deadlock, no lost record.
func pgSeveralSeries(t *testing.T, be backend) {
	where := be.fresh(t)
	sts := []testStore{be.open(t, where), be.open(t, where), be.open(t, where)}
	tills := []till{
		{store: "S001", till: "T01", epoch: "old"},
		{store: "S001", till: "T01", epoch: "new"},
		{store: "S001", till: "T02", epoch: "x"},
		{store: "S002", till: "T01", epoch: "y"},
	}
	const n = 60
	type job struct {
		b  *wire.Batch
		st *wire.Status
	}
	var jobs []job
	for _, tl := range tills {
		for first := int64(1); first <= n; first += 3 {
			jobs = append(jobs, job{b: tl.batch(t, first, first+2)}, job{b: tl.batch(t, first, first+2)})
		}
		for i := range 10 {
			jobs = append(jobs, job{st: &wire.Status{V: 1, Store: tl.store, Till: tl.till, Online: i%3 != 0,
				Time: t0.Add(time.Duration(i) * time.Second), Epoch: tl.epoch, Backlog: i}})
		}
	}
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	rng.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	ctx := context.Background()
	work := make(chan job)
	errs := make(chan error, 12)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func(st Store) {
			defer wg.Done()
			for j := range work {
				var err error
				if j.b != nil {
					_, _, err = st.Ingest(ctx, j.b)
				} else {
					err = st.RecordStatus(ctx, *j.st)
				}
				if err != nil {
					errs <- err
					for range work {
					}
					return
				}
			}
		}(sts[i%len(sts)])
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, tl := range tills {
		if got := sts[0].applied(t, tl); !slices.Equal(got, upTo(n)) {
			t.Errorf("%s/%s/%s: records %v", tl.store, tl.till, tl.epoch, got)
		}
	}
	fleet, err := sts[1].Fleet(ctx)
	if err != nil || len(fleet) != 3 {
		t.Fatalf("fleet %+v %v", fleet, err)
	}
}
