package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/demo"
	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/pgtest"
	"github.com/kasirpos/kasir/wire"
)

// pgIngestSales is the number of sales the PostgreSQL ingest figures apply
// (the -pg-ingest flag); 0 leaves them out.
var pgIngestSales = 20000

const (
	pgTills         = 30  // 10 stores of 3 tills
	pgTillsPerStore = 3   //
	pgBatchSize     = 100 // records per batch
	pgWorkers       = 3
	// Every pgSplitEvery-th till has its batches dealt over all the
	// workers in turn, so that workers contend for its series' row lock
	// and some batches arrive ahead of a gap; the rest of the tills each
	// go to one worker.
	pgSplitEvery = 5
)

// pgTill is one till of the load and the last seq it sent.
type pgTill struct {
	store, till, epoch string
	last               int64
}

// pgRun is what one ingest run measured.
type pgRun struct {
	elapsed time.Duration
	batches []time.Duration // each Ingest (each bare transaction)
	gaps    int             // ingests that returned a gap
}

// benchPGIngest measures head office ingesting batches of realistic sales
// into PostgreSQL (fsync on) through one PG handle, and through three PG
// handles (three pools, as three worker processes would have) at once, and
// sets each rate next to the rate at which bare INSERTs of the same record
// bytes go into a plain table, one transaction per batch, on one
// connection, in the same cluster. Afterwards head office's fleet must show
// every till at its last seq with nothing pending.
func benchPGIngest(ctx context.Context, dir string, n int, out io.Writer) (err error) {
	if n <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	tills, batches, bodyLen, err := pgLoad(n)
	if err != nil {
		return err
	}
	c, err := pgtest.Launch(dir, true)
	if err != nil {
		return err
	}
	defer func() {
		if serr := c.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()

	bareURL, err := c.NewDatabase("bare")
	if err != nil {
		return err
	}
	base, err := pgBare(ctx, bareURL, batches)
	if err != nil {
		return fmt.Errorf("bare inserts: %w", err)
	}
	oneURL, err := c.NewDatabase("hq1")
	if err != nil {
		return err
	}
	one, err := pgIngest(ctx, oneURL, [][]*wire.Batch{batches}, tills, log)
	if err != nil {
		return fmt.Errorf("one worker: %w", err)
	}
	lanes, split := pgSpread(batches)
	threeURL, err := c.NewDatabase("hq3")
	if err != nil {
		return err
	}
	three, err := pgIngest(ctx, threeURL, lanes, tills, log)
	if err != nil {
		return fmt.Errorf("%d workers: %w", pgWorkers, err)
	}

	baseRate := float64(n) / base.elapsed.Seconds()
	oneRate := float64(n) / one.elapsed.Seconds()
	threeRate := float64(n) / three.elapsed.Seconds()
	baseName := fmt.Sprintf("bare PG INSERT, %d rows/tx, 1 conn", pgBatchSize)
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n",
		"HQ ingest to PostgreSQL, 1 worker (sales/s)", perSec(oneRate), "", baseName, perSec(baseRate), "", oneRate/baseRate)
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n",
		fmt.Sprintf("HQ ingest to PostgreSQL, %d workers (sales/s)", pgWorkers), perSec(threeRate), "", baseName, perSec(baseRate), "", threeRate/baseRate)
	version := "PostgreSQL"
	if c.Version != 0 {
		version = fmt.Sprintf("PostgreSQL %d", c.Version)
	}
	fmt.Fprintf(out, "  %s, fsync on: %d sales from %d tills in %d batches of up to %d (sale bodies ~%d bytes); 1 worker %s, %d workers %s, bare %s\n",
		version, n, len(tills), len(batches), pgBatchSize, bodyLen,
		one.elapsed.Round(time.Millisecond), pgWorkers, three.elapsed.Round(time.Millisecond), base.elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "  per batch p50/p99: 1 worker %s/%s, %d workers %s/%s, bare %s/%s; %d workers: %d of %d tills split over all workers, %d ingests left a gap pending\n",
		round(pct(one.batches, 0.5)), round(pct(one.batches, 0.99)),
		pgWorkers, round(pct(three.batches, 0.5)), round(pct(three.batches, 0.99)),
		round(pct(base.batches, 0.5)), round(pct(base.batches, 0.99)),
		pgWorkers, split, len(tills), three.gaps)
	return nil
}

// pgLoad makes n sales of 3 lines each, as a till commits them, spread
// evenly over up to pgTills tills, in batches of pgBatchSize per till, and
// orders the batches as they would arrive from tills sending at once: each
// till's first batch, then each till's second, and so on. It returns the
// tills with their last seq, the batches and the mean body size.
func pgLoad(n int) ([]pgTill, []*wire.Batch, int, error) {
	var ps []appliance.Product
	for _, p := range demo.Products() {
		if p.Active && !p.Weighed && p.TaxClass == "PPN" && len(p.Barcodes) > 0 && p.Price > 0 {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil, nil, 0, errors.New("no demo products to sell")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	cashiers := []string{"Siti", "Budi", "Dewi", "Agus", "Rina", "Joko"}
	ppn := appliance.PPNDefault()
	day := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) // 08:00 in Jakarta

	nTills := min(pgTills, n)
	tills := make([]pgTill, nTills)
	perTill := make([][]*wire.Batch, nTills)
	bodies := 0
	for k := range tills {
		e := make([]byte, 16)
		for i := range e {
			e[i] = byte(rng.UintN(256))
		}
		t := &tills[k]
		t.store = fmt.Sprintf("S%03d", k/pgTillsPerStore+1)
		t.till = fmt.Sprintf("T%02d", k%pgTillsPerStore+1)
		t.epoch = hex.EncodeToString(e)
		t.last = int64(n / nTills)
		if k < n%nTills {
			t.last++
		}
		cashier := cashiers[k%len(cashiers)]
		userID := fmt.Sprintf("u%d", k%len(cashiers)+1)
		var b *wire.Batch
		for seq := int64(1); seq <= t.last; seq++ {
			at := day.Add(time.Duration(seq)*40*time.Second + time.Duration(rng.IntN(20000))*time.Millisecond)
			sale := &appliance.Sale{Number: appliance.ReceiptNumber(t.store, t.till, seq), Kind: appliance.DocSale,
				Store: t.store, Till: t.till, Epoch: t.epoch, Seq: seq, Time: at, UserID: userID, UserName: cashier,
				ShiftID: 1, CatalogVersion: demo.Version, CartID: fmt.Sprintf("%016x", rng.Uint64())}
			for line := 1; line <= 3; line++ {
				p := ps[rng.IntN(len(ps))]
				units := 1 + rng.IntN(3)
				gross := p.Price * appliance.Rupiah(units)
				sale.Lines = append(sale.Lines, appliance.SaleLine{LineNo: line, SKU: p.SKU, Barcode: p.Barcodes[0],
					Name: p.Name, Unit: p.Unit, TaxClass: p.TaxClass, Qty: appliance.Qty(units * 1000),
					ListPrice: p.Price, UnitPrice: p.Price, Gross: gross, Net: gross})
				sale.Subtotal += gross
			}
			sale.Total = sale.Subtotal
			sale.Taxes = ppn.Split(sale.Total)
			if rng.IntN(3) == 0 {
				sale.Payments = []appliance.Payment{{Method: appliance.MethodCard, Amount: sale.Total,
					Bank: "BCA", ApprovalCode: fmt.Sprintf("%06d", rng.IntN(1000000)), CardLast4: fmt.Sprintf("%04d", rng.IntN(10000))}}
				sale.Paid = sale.Total
			} else {
				paid := (sale.Total + 4999) / 5000 * 5000
				if rng.IntN(2) == 0 {
					paid = (sale.Total + 49999) / 50000 * 50000
				}
				sale.Payments = []appliance.Payment{{Method: appliance.MethodCash, Amount: paid}}
				sale.Paid, sale.Change = paid, paid-sale.Total
			}
			rec := &appliance.Record{Kind: appliance.RecSale, Store: t.store, Till: t.till, Time: at,
				UserID: userID, UserName: cashier, Sale: sale, CartID: sale.CartID, Epoch: t.epoch, Seq: seq}
			body, err := rec.Body()
			if err != nil {
				return nil, nil, 0, err
			}
			bodies += len(body)
			if b == nil {
				b = &wire.Batch{V: wire.BatchVersion, Store: t.store, Till: t.till, Epoch: t.epoch, First: seq}
			}
			b.Records = append(b.Records, body)
			if len(b.Records) == pgBatchSize || seq == t.last {
				b.Last = seq
				b.ID = wire.BatchID(t.till, t.epoch, b.First, b.Last)
				if err := b.Validate(); err != nil {
					return nil, nil, 0, err
				}
				perTill[k] = append(perTill[k], b)
				b = nil
			}
		}
	}
	var batches []*wire.Batch
	for r := 0; ; r++ {
		more := false
		for k := range perTill {
			if r < len(perTill[k]) {
				batches = append(batches, perTill[k][r])
				more = true
			}
		}
		if !more {
			break
		}
	}
	return tills, batches, bodies / n, nil
}

// pgSpread deals the batches over pgWorkers lanes, keeping their order:
// most tills each go to one worker, by till; every pgSplitEvery-th till's
// batches go to each worker in turn. It returns the lanes and how many
// tills were split.
func pgSpread(batches []*wire.Batch) ([][]*wire.Batch, int) {
	lanes := make([][]*wire.Batch, pgWorkers)
	index := map[string]int{} // till → its index in the load
	sent := map[string]int{}  // till → batches dealt so far
	split := 0
	for _, b := range batches {
		key := b.Store + "/" + b.Till
		k, ok := index[key]
		if !ok {
			k = len(index)
			index[key] = k
			if k%pgSplitEvery == 0 {
				split++
			}
		}
		w := k % pgWorkers
		if k%pgSplitEvery == 0 {
			w = sent[key] % pgWorkers
		}
		sent[key]++
		lanes[w] = append(lanes[w], b)
	}
	return lanes, split
}

// pgBare inserts each batch's record bytes into a plain table in one
// transaction (one INSERT of the batch's rows), on one connection.
func pgBare(ctx context.Context, url string, batches []*wire.Batch) (pgRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", url)
	if err != nil {
		return pgRun{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE bare (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body BYTEA NOT NULL)`); err != nil {
		return pgRun{}, err
	}
	var run pgRun
	start := time.Now()
	for _, b := range batches {
		t0 := time.Now()
		bodies := make([][]byte, len(b.Records))
		for i, r := range b.Records {
			bodies[i] = r
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return pgRun{}, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bare (body) SELECT unnest($1::bytea[])`, bodies); err != nil {
			tx.Rollback()
			return pgRun{}, err
		}
		if err := tx.Commit(); err != nil {
			return pgRun{}, err
		}
		run.batches = append(run.batches, time.Since(t0))
	}
	run.elapsed = time.Since(start)
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM bare`).Scan(&rows); err != nil {
		return pgRun{}, err
	}
	if want := pgRecords(batches); rows != want {
		return pgRun{}, fmt.Errorf("%d rows in the table, want %d", rows, want)
	}
	return run, nil
}

func pgRecords(batches []*wire.Batch) int {
	n := 0
	for _, b := range batches {
		n += len(b.Records)
	}
	return n
}

// pgIngest opens one PG handle per lane on a new head office database and
// has each ingest its lane's batches in order, all lanes at once, and then
// checks that the fleet shows every till at its last seq with no gap.
func pgIngest(ctx context.Context, url string, lanes [][]*wire.Batch, tills []pgTill, log *slog.Logger) (pgRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	pgs := make([]*headoffice.PG, len(lanes))
	defer func() {
		for _, p := range pgs {
			if p != nil {
				p.Close()
			}
		}
	}()
	for i := range pgs {
		p, err := headoffice.OpenPostgres(ctx, url, log)
		if err != nil {
			return pgRun{}, err
		}
		pgs[i] = p
	}

	type laneResult struct {
		batches []time.Duration
		gaps    int
		err     error
	}
	results := make([]laneResult, len(lanes))
	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i, lane := range lanes {
		wg.Go(func() {
			r := &results[i]
			for _, b := range lane {
				t0 := time.Now()
				ack, gap, err := pgs[i].Ingest(lctx, b)
				r.batches = append(r.batches, time.Since(t0))
				if err == nil && len(lanes) == 1 && (gap != nil || ack.Seq != b.Last) {
					err = fmt.Errorf("batch %s in order: ack %d, gap %+v", b.ID, ack.Seq, gap)
				}
				if err != nil {
					r.err = fmt.Errorf("worker %d: %w", i+1, err)
					lcancel()
					return
				}
				if gap != nil {
					r.gaps++
				}
			}
		})
	}
	wg.Wait()
	run := pgRun{elapsed: time.Since(start)}
	for _, r := range results {
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			return pgRun{}, r.err
		}
	}
	for _, r := range results {
		if r.err != nil {
			return pgRun{}, r.err
		}
		run.batches = append(run.batches, r.batches...)
		run.gaps += r.gaps
	}

	fleet, err := pgs[0].Fleet(ctx)
	if err != nil {
		return pgRun{}, err
	}
	if len(fleet) != len(tills) {
		return pgRun{}, fmt.Errorf("head office knows %d tills, want %d", len(fleet), len(tills))
	}
	byTill := map[string]headoffice.TillState{}
	for _, ts := range fleet {
		byTill[ts.Store+"/"+ts.Till] = ts
	}
	for _, t := range tills {
		ts, ok := byTill[t.store+"/"+t.till]
		if !ok {
			return pgRun{}, fmt.Errorf("head office does not know %s/%s", t.store, t.till)
		}
		if ts.Epoch != t.epoch || ts.AckedSeq != t.last || ts.Gap != nil || ts.Pending != 0 {
			gap, _ := json.Marshal(ts.Gap)
			return pgRun{}, fmt.Errorf("head office has %s/%s at epoch %s seq %d (gap %s, %d pending), want epoch %s seq %d",
				t.store, t.till, ts.Epoch, ts.AckedSeq, gap, ts.Pending, t.epoch, t.last)
		}
	}
	return run, nil
}
