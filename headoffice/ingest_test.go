package headoffice

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/wire"
)

func TestIngestExactlyOnce(t *testing.T) {
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	tests := []struct {
		name    string
		batches [][2]int64
		acks    []int64 // the ack after each batch
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
			db := openDB(t, t.TempDir())
			for i, r := range tt.batches {
				ack, _ := ingest(t, db, tl.batch(t, r[0], r[1]))
				if ack.Seq != tt.acks[i] || ack.Store != tl.store || ack.Till != tl.till || ack.Epoch != tl.epoch || ack.V != wire.Version {
					t.Errorf("after batch %d-%d: ack %+v, want seq %d", r[0], r[1], ack, tt.acks[i])
				}
			}
			if got := applied(t, db, tl); !slices.Equal(got, tt.want) {
				t.Errorf("records %v, want %v", got, tt.want)
			}
			if n := pendingCount(t, db, tl); n != 0 {
				t.Errorf("%d pending left", n)
			}
		})
	}
}

func TestIngestGap(t *testing.T) {
	db := openDB(t, t.TempDir())
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	ack, gap := ingest(t, db, tl.batch(t, 1, 2))
	if ack.Seq != 2 || gap != nil {
		t.Fatalf("1-2: ack %d gap %+v", ack.Seq, gap)
	}
	ack, gap = ingest(t, db, tl.batch(t, 5, 6))
	want := &Gap{Store: "S001", Till: "T01", Epoch: "e1", From: 3, To: 4}
	if ack.Seq != 2 || gap == nil || *gap != *want {
		t.Fatalf("5-6: ack %d gap %+v, want 2 %+v", ack.Seq, gap, want)
	}
	if got := applied(t, db, tl); !slices.Equal(got, upTo(2)) {
		t.Errorf("records %v before the gap is filled", got)
	}
	fleet, err := db.Fleet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fleet) != 1 || fleet[0].Gap == nil || *fleet[0].Gap != *want || fleet[0].Pending != 2 || fleet[0].AckedSeq != 2 {
		t.Errorf("fleet %+v", fleet)
	}
	// A duplicate of the pending ones changes nothing.
	ack, gap = ingest(t, db, tl.batch(t, 6, 6))
	if ack.Seq != 2 || gap == nil || *gap != *want {
		t.Fatalf("6 again: ack %d gap %+v", ack.Seq, gap)
	}
	ack, gap = ingest(t, db, tl.batch(t, 3, 4))
	if ack.Seq != 6 || gap != nil {
		t.Fatalf("3-4: ack %d gap %+v, want 6 and none", ack.Seq, gap)
	}
	if got := applied(t, db, tl); !slices.Equal(got, upTo(6)) {
		t.Errorf("records %v", got)
	}
	fleet, _ = db.Fleet(context.Background())
	if fleet[0].Gap != nil || fleet[0].Pending != 0 || fleet[0].AckedSeq != 6 {
		t.Errorf("fleet after fill %+v", fleet[0])
	}
}

func TestIngestEpochsAreSeparate(t *testing.T) {
	db := openDB(t, t.TempDir())
	old := till{store: "S001", till: "T01", epoch: "old"}
	cur := till{store: "S001", till: "T01", epoch: "new"}
	ingest(t, db, old.batch(t, 1, 5))
	ack, gap := ingest(t, db, cur.batch(t, 1, 2))
	if ack.Seq != 2 || ack.Epoch != "new" || gap != nil {
		t.Fatalf("new epoch: ack %+v gap %+v", ack, gap)
	}
	ack, _ = ingest(t, db, old.batch(t, 6, 6))
	if ack.Seq != 6 || ack.Epoch != "old" {
		t.Fatalf("old epoch: ack %+v", ack)
	}
	if got := applied(t, db, old); !slices.Equal(got, upTo(6)) {
		t.Errorf("old %v", got)
	}
	if got := applied(t, db, cur); !slices.Equal(got, upTo(2)) {
		t.Errorf("new %v", got)
	}
	// The same seq in another store's till of the same name is another
	// series too.
	other := till{store: "S002", till: "T01", epoch: "new"}
	if ack, _ := ingest(t, db, other.batch(t, 1, 1)); ack.Seq != 1 {
		t.Errorf("other store: %+v", ack)
	}
}

func TestIngestMalformed(t *testing.T) {
	db := openDB(t, t.TempDir())
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	bad := []*wire.Batch{
		func() *wire.Batch { b := tl.batch(t, 1, 2); b.Last = 3; return b }(),
		func() *wire.Batch { b := tl.batch(t, 1, 2); b.Records[1] = tl.record(t, 3); return b }(),
		func() *wire.Batch { b := tl.batch(t, 1, 1); b.Records[0] = []byte(`{"seq":`); return b }(),
		func() *wire.Batch { b := tl.batch(t, 1, 1); b.V = 9; return b }(),
		func() *wire.Batch { b := tl.batch(t, 1, 1); b.Records[0] = other(t, 1); return b }(),
	}
	for i, b := range bad {
		if _, _, err := db.Ingest(context.Background(), b); !errors.Is(err, ErrMalformed) {
			t.Errorf("bad batch %d: %v, want ErrMalformed", i, err)
		}
	}
	if got := applied(t, db, tl); len(got) != 0 {
		t.Errorf("records %v from malformed batches", got)
	}
}

func other(t *testing.T, seq int64) []byte {
	return till{store: "S001", till: "T02", epoch: "e1"}.record(t, seq)
}

// TestIngestRandomInterleaving sends three tills' series as batches of random
// sizes, each duplicated at random, in a random order, and checks that head
// office ends with exactly each till's records, once, applied in seq order.
func TestIngestRandomInterleaving(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	for round := range 5 {
		db := openDB(t, t.TempDir())
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
				for range 1 + rng.IntN(3) { // sent once to three times
					batches = append(batches, tl.batch(t, first, end))
				}
				// Sometimes a resend overlaps the next batch.
				if rng.IntN(4) == 0 && end < n {
					batches = append(batches, tl.batch(t, max(1, first-2), min(n, end+2)))
				}
				first = end + 1
			}
		}
		rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
		acks := map[string]int64{}
		for _, b := range batches {
			ack, _ := ingest(t, db, b)
			if ack.Seq < acks[b.Epoch] {
				t.Fatalf("round %d: ack of %s went back from %d to %d", round, b.Epoch, acks[b.Epoch], ack.Seq)
			}
			acks[b.Epoch] = ack.Seq
		}
		for _, tl := range tills {
			if acks[tl.epoch] != last[tl.epoch] {
				t.Errorf("round %d: till %s/%s acked %d, want %d", round, tl.store, tl.till, acks[tl.epoch], last[tl.epoch])
			}
			if got := applied(t, db, tl); !slices.Equal(got, upTo(last[tl.epoch])) {
				t.Errorf("round %d: till %s/%s records %v", round, tl.store, tl.till, got)
			}
			if n := pendingCount(t, db, tl); n != 0 {
				t.Errorf("round %d: %d pending", round, n)
			}
		}
	}
}

// TestIngestConcurrentWorkers ingests one till's shuffled, duplicated batches
// from many goroutines through two DB handles on one file, as two worker
// processes would.
func TestIngestConcurrentWorkers(t *testing.T) {
	dir := t.TempDir()
	dbs := []*DB{openDB(t, dir), openDB(t, dir)}
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	const n = 200
	var batches []*wire.Batch
	for first := int64(1); first <= n; first += 5 {
		b := tl.batch(t, first, first+4)
		batches = append(batches, b, b)
	}
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })

	const workers = 8
	work := make(chan *wire.Batch)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var maxAck int64
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func(db *DB) {
			defer wg.Done()
			for b := range work {
				ack, _, err := db.Ingest(context.Background(), b)
				if err != nil {
					errs <- fmt.Errorf("ingest %s: %w", b.ID, err)
					return
				}
				mu.Lock()
				maxAck = max(maxAck, ack.Seq)
				mu.Unlock()
			}
		}(dbs[i%2])
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
	if got := applied(t, dbs[0], tl); !slices.Equal(got, upTo(n)) {
		t.Errorf("records %v", got)
	}
	if n := pendingCount(t, dbs[1], tl); n != 0 {
		t.Errorf("%d pending", n)
	}
}

func TestNextVersion(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	now := time.Unix(1_800_000_000, 0)
	db.Now = func() time.Time { return now }
	ctx := context.Background()
	var prev int64
	for i := range 3 {
		v, err := db.NextVersion(ctx, wire.KindConfig)
		if err != nil {
			t.Fatal(err)
		}
		if v <= prev || v < now.Unix() {
			t.Fatalf("version %d: %d after %d", i, v, prev)
		}
		prev = v
	}
	// Another kind counts on its own; a clock that went back does not
	// make versions fall; a reopened database remembers.
	if v, _ := db.NextVersion(ctx, wire.KindCatalog); v != now.Unix() {
		t.Errorf("catalog version %d", v)
	}
	db.Close()
	db = openDB(t, dir)
	db.Now = func() time.Time { return now.Add(-time.Hour) }
	if v, err := db.NextVersion(ctx, wire.KindConfig); err != nil || v != prev+1 {
		t.Errorf("after reopen: %d %v, want %d", v, err, prev+1)
	}
	if _, err := db.NextVersion(ctx, "firmware"); err == nil {
		t.Error("unknown kind accepted")
	}
}

// testSeed is a fresh seed, logged, or KASIR_TEST_SEED to replay a failure.
func testSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KASIR_TEST_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KASIR_TEST_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("seed %d (replay with KASIR_TEST_SEED=%d)", seed, seed)
	return seed
}
