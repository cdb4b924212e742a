// Command bench measures the till and prints each figure next to a baseline
// measured in the same run, as a ratio, so that figures from a noisy shared
// machine can still be compared. Run it with `make bench`.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/demo"
	"github.com/kasirpos/kasir/localstore"
)

func main() {
	sales := flag.Int("sales", 300, "sales to complete")
	products := flag.Int("products", 100000, "catalog size for lookup, search, RSS and start time")
	bin := flag.String("kasir", "bin/kasir", "kasir binary for the RSS and start-time figures")
	flag.IntVar(&drainSales, "drain", 50000, "queued sales to drain through Mosquitto to head office (0 skips)")
	flag.IntVar(&pgIngestSales, "pg-ingest", 20000, "sales head office ingests into PostgreSQL, with one and with three workers (0 skips)")
	flag.StringVar(&childApply, "child-apply", "", "internal: run as the catalog-apply child")
	flag.StringVar(&only, "only", "", "run one part only: sales, catalog, print, serve, apply, drain, pg, image")
	flag.Parse()
	if childApply != "" {
		if err := runChildApply(childApply); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*sales, *products, *bin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// only names the one part of the bench to run; empty runs all.
var only string

func part(name string) bool { return only == "" || only == name }

func run(nSales, nProducts int, bin string, out io.Writer) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "kasir-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(out, "kasir bench: %d sales, %d-product catalog, data in %s\n\n", nSales, nProducts, tmp)
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8s\n", "figure", "p50", "p99", "baseline (same run)", "p50", "p99", "ratio")

	type step struct {
		name string
		run  func() error
	}
	big := filepath.Join(tmp, "big")
	steps := []step{
		{"sales", func() error { return benchSales(ctx, filepath.Join(tmp, "sales"), nSales, out) }},
		{"catalog", func() error { return benchCatalog(ctx, big, nProducts, out) }},
		{"print", func() error {
			for _, baud := range []int{9600, 115200} {
				n := 10
				if baud > 9600 {
					n = 40
				}
				if err := benchPrint(ctx, filepath.Join(tmp, fmt.Sprint("print", baud)), baud, n, out); err != nil {
					return fmt.Errorf("%d baud: %w", baud, err)
				}
			}
			return nil
		}},
		{"serve", func() error {
			if only == "serve" { // serve starts on the catalog's database
				if err := benchCatalog(ctx, big, nProducts, io.Discard); err != nil {
					return err
				}
			}
			return benchServe(ctx, bin, big, filepath.Join(tmp, "empty"), out)
		}},
		{"apply", func() error { return benchCatalogApply(ctx, filepath.Join(tmp, "apply"), nProducts, out) }},
		{"drain", func() error { return benchDrain(ctx, filepath.Join(tmp, "drain"), drainSales, out) }},
		{"pg", func() error { return benchPGIngest(ctx, filepath.Join(tmp, "pg"), pgIngestSales, out) }},
		// The SD-card image: build cold and warm, size, boot under QEMU
		// (virt and raspi3b), a network update. Minutes, not seconds.
		{"image", func() error { return imageFigures(ctx, ".", out) }},
	}
	for _, st := range steps {
		if !part(st.name) {
			continue
		}
		if err := st.run(); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

type nop struct{}

func (nop) Print(context.Context, *appliance.Receipt) error { return nil }
func (nop) Open(context.Context) error                      { return nil }
func (nop) Status() appliance.DeviceStatus                  { return appliance.DeviceStatus{State: appliance.DeviceOK} }

// benchSales completes sales of 3 lines paid in cash through the Till, and
// inserts the same outbox bytes into a bare SQLite table with the same
// durability (WAL, synchronous=FULL, one transaction each).
func benchSales(ctx context.Context, dir string, n int, out io.Writer) error {
	till, u, codes, done, err := benchTill(ctx, dir, nop{}, 0)
	if err != nil {
		return err
	}
	defer done()
	rng := rand.New(rand.NewPCG(1, 2))
	var whole, pay []time.Duration
	var bodyLen int
	start := time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		for j := 0; j < 3; j++ {
			if _, err := till.AddLine(ctx, u, codes[rng.IntN(len(codes))], 0); err != nil {
				return err
			}
		}
		t1 := time.Now()
		res, err := till.Pay(ctx, u, "", []appliance.Payment{{Method: appliance.MethodCash, Amount: 1000000}})
		if err != nil {
			return err
		}
		t2 := time.Now()
		whole = append(whole, t2.Sub(t0))
		pay = append(pay, t2.Sub(t1))
		if i == 0 {
			rec := &appliance.Record{Kind: appliance.RecSale, Sale: res.Sale, Store: res.Store, Till: res.Till, Seq: res.Seq, Epoch: res.Epoch, Time: res.Time}
			b, _ := rec.Body()
			bodyLen = len(b)
		}
	}
	elapsed := time.Since(start)

	base, err := bareInserts(filepath.Join(dir, "bare.db"), n, bodyLen)
	if err != nil {
		return err
	}
	row(out, "pay: commit sale+journal+outbox (3 lines)", pay, "bare SQLite insert, same bytes", base)
	row(out, "whole sale: 3 scans + pay", whole, "bare SQLite insert × 4", scale(base, 4))
	fmt.Fprintf(out, "  sales per second (whole sale, one cashier): %.1f; bare inserts per second: %.1f; outbox body %d bytes\n",
		float64(n)/elapsed.Seconds(), float64(len(base))/sum(base).Seconds(), bodyLen)
	return nil
}

func openBare(path string) (*sql.DB, error) {
	return sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate")
}

func bareInserts(path string, n, size int) ([]time.Duration, error) {
	db, err := openBare(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		return nil, err
	}
	body := make([]byte, size)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	var ds []time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		tx, err := db.Begin()
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(`INSERT INTO t (body) VALUES (?)`, body); err != nil {
			return nil, err
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		ds = append(ds, time.Since(t0))
	}
	return ds, nil
}

// benchCatalog loads a large catalog and measures lookup and search against
// the same questions asked of a bare SQLite table.
func benchCatalog(ctx context.Context, dir string, n int, out io.Writer) error {
	ps := demo.Generate(n, 7)
	db, err := localstore.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer db.Close()
	t0 := time.Now()
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "bench", LoadedAt: time.Now(), Source: "bench"}, ps); err != nil {
		return err
	}
	load := time.Since(t0)
	till, err := appliance.NewTill(ctx, appliance.TillOptions{Store: db, Catalog: db, Printer: nop{}, Drawer: nop{}})
	if err != nil {
		return err
	}
	if err := till.AddUser(ctx, appliance.User{ID: "kasir", Name: "Kasir", Role: appliance.RoleCashier}, "1111"); err != nil {
		return err
	}

	bare, err := openBare(filepath.Join(dir, "bare.db"))
	if err != nil {
		return err
	}
	defer bare.Close()
	if _, err := bare.Exec(`CREATE TABLE p (code TEXT PRIMARY KEY, sku TEXT, name TEXT)`); err != nil {
		return err
	}
	tx, _ := bare.Begin()
	for _, p := range ps {
		tx.Exec(`INSERT INTO p VALUES (?, ?, ?)`, p.Barcodes[0], p.SKU, p.Name)
	}
	if err := tx.Commit(); err != nil {
		return err
	}

	rng := rand.New(rand.NewPCG(3, 4))
	const lookups = 20000
	var look, lookBase []time.Duration
	for i := 0; i < lookups; i++ {
		code := ps[rng.IntN(len(ps))].Barcodes[0]
		t0 := time.Now()
		if _, err := db.Lookup(code); err != nil {
			return err
		}
		look = append(look, time.Since(t0))
		t0 = time.Now()
		var sku string
		if err := bare.QueryRow(`SELECT sku FROM p WHERE code = ?`, code).Scan(&sku); err != nil {
			return err
		}
		lookBase = append(lookBase, time.Since(t0))
	}
	row(out, "barcode lookup, 100k catalog", look, "bare SQLite primary-key SELECT", lookBase)

	const searches = 500
	var search, searchBase []time.Duration
	for i := 0; i < searches; i++ {
		words := strings.Fields(ps[rng.IntN(len(ps))].Name)
		q := words[0]
		if len(words) > 1 && i%2 == 0 {
			w := words[1]
			if len(w) > 3 {
				w = w[:3] // a prefix, as a cashier types it
			}
			q += " " + w
		}
		t0 := time.Now()
		if _, err := db.Search(q, "", 60); err != nil {
			return err
		}
		search = append(search, time.Since(t0))
		like := "%" + strings.ReplaceAll(q, " ", "%") + "%"
		t0 = time.Now()
		rows, err := bare.Query(`SELECT sku, name FROM p WHERE name LIKE ? ORDER BY name LIMIT 60`, like)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		rows.Close()
		searchBase = append(searchBase, time.Since(t0))
	}
	row(out, "name search (FTS4), 100k catalog", search, "bare SQLite LIKE scan", searchBase)
	fmt.Fprintf(out, "  catalog replace of %d products (staged, switched atomically): %s\n", n, load.Round(time.Millisecond))
	return sellDuringApply(ctx, till, ps, out)
}

// sellDuringApply completes sales while head office's next catalog is being
// applied, next to the same sales with nothing else going on: the cashier
// must not wait for the catalog.
func sellDuringApply(ctx context.Context, till *appliance.Till, ps []appliance.Product, out io.Writer) error {
	u := appliance.User{ID: "kasir", Name: "Kasir", Role: appliance.RoleCashier}
	if till.Shift() == nil {
		if _, err := till.OpenShift(ctx, u, 0); err != nil {
			return err
		}
	}
	// The first 100 products stay in the next catalog, so they can be sold
	// before, during and after the switch.
	keep := ps[:100]
	sale := func(i int) (time.Duration, error) {
		t0 := time.Now()
		for j := range 3 {
			if _, err := till.AddLine(ctx, u, keep[(i*3+j)%len(keep)].Barcodes[0], 0); err != nil {
				return 0, err
			}
		}
		_, err := till.Pay(ctx, u, "", []appliance.Payment{{Method: appliance.MethodCash, Amount: 1000000}})
		return time.Since(t0), err
	}
	var quiet []time.Duration
	for i := range 200 {
		d, err := sale(i)
		if err != nil {
			return err
		}
		quiet = append(quiet, d)
	}
	// Head office's next catalog: the same products with new prices.
	next := append([]appliance.Product(nil), ps...)
	for i := range next {
		next[i].Price += 100
	}
	done := make(chan error, 1)
	t0 := time.Now()
	go func() { done <- till.ApplyCatalog(ctx, 2, next) }()
	var busy []time.Duration
	for i := 0; ; i++ {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			if len(busy) == 0 {
				return fmt.Errorf("no sale completed during the apply")
			}
			row(out, "whole sale during a 100k catalog apply", busy, "same, nothing else going on", quiet)
			fmt.Fprintf(out, "  %d sales during the %s apply; slowest %s\n", len(busy), time.Since(t0).Round(time.Millisecond), round(pct(busy, 1)))
			return nil
		default:
		}
		d, err := sale(i)
		if err != nil {
			return err
		}
		busy = append(busy, d)
	}
}

// benchServe starts `kasir serve` on the big catalog and on an empty
// database, and reports start-to-serving time and resident memory.
func benchServe(ctx context.Context, bin, big, empty string, out io.Writer) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("kasir binary %s: %w (run `make build`)", bin, err)
	}
	if err := os.MkdirAll(empty, 0o755); err != nil {
		return err
	}
	measure := func(dir string) (time.Duration, int64, error) {
		var startup time.Duration
		var rss int64
		const runs = 3
		for i := 0; i < runs; i++ {
			d, r, err := serveOnce(ctx, bin, dir)
			if err != nil {
				return 0, 0, err
			}
			startup += d
			rss = max(rss, r)
		}
		return startup / runs, rss, nil
	}
	bigStart, bigRSS, err := measure(big)
	if err != nil {
		return err
	}
	emptyStart, emptyRSS, err := measure(empty)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n", "start to serving, 100k catalog (mean of 3)", bigStart.Round(time.Millisecond), "",
		"same, empty database", emptyStart.Round(time.Millisecond), "", float64(bigStart)/float64(emptyStart))
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n", "RSS of kasir serve, 100k catalog", mib(bigRSS), "",
		"same, empty database", mib(emptyRSS), "", float64(bigRSS)/float64(emptyRSS))
	return nil
}

// serveOnce starts kasir, waits for /healthz, does a little work, and reads
// its peak resident set.
func serveOnce(ctx context.Context, bin, dir string) (time.Duration, int64, error) {
	cmd := exec.CommandContext(ctx, bin, "serve", "--data", dir, "--http", "127.0.0.1:0", "--log-level", "error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	var url string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "kasir: serving on "); ok {
			url = a
			break
		}
	}
	if url == "" {
		return 0, 0, fmt.Errorf("kasir did not start")
	}
	go io.Copy(io.Discard, stdout)
	hc := &http.Client{Timeout: 10 * time.Second}
	for {
		resp, err := hc.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(t0) > 60*time.Second {
			return 0, 0, fmt.Errorf("kasir not healthy after 60s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	startup := time.Since(t0)
	// Work the catalog a little so the figure is of a till in use.
	for i := 0; i < 50; i++ {
		if resp, err := hc.Get(url + "/api/v1/status"); err == nil {
			resp.Body.Close()
		}
	}
	return startup, peakRSS(cmd.Process.Pid), nil
}

func peakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func pct(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return s[i]
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func scale(ds []time.Duration, k int) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d * time.Duration(k)
	}
	return out
}

// benchTill opens a store in dir with the demo catalog and a till on it
// with its shift open, and returns the EAN-13 codes to scan.
func benchTill(ctx context.Context, dir string, p appliance.Printer, width int) (*appliance.Till, appliance.User, []string, func(), error) {
	u := appliance.User{ID: "b", Name: "Bench", Role: appliance.RoleCashier}
	db, err := localstore.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, u, nil, nil, err
	}
	fail := func(err error) (*appliance.Till, appliance.User, []string, func(), error) {
		db.Close()
		return nil, u, nil, nil, err
	}
	ps := demo.Products()
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: demo.Version, LoadedAt: time.Now(), Source: "demo"}, ps); err != nil {
		return fail(err)
	}
	till, err := appliance.NewTill(ctx, appliance.TillOptions{Store: db, Catalog: db, Printer: p, Drawer: nop{}, ReceiptWidth: width})
	if err != nil {
		return fail(err)
	}
	if _, err := till.OpenShift(ctx, u, 0); err != nil {
		return fail(err)
	}
	var codes []string
	for _, p := range ps {
		if len(p.Barcodes) > 0 && !p.Weighed && len(p.Barcodes[0]) == 13 {
			codes = append(codes, p.Barcodes[0])
		}
	}
	return till, u, codes, func() { db.Close() }, nil
}

func row(out io.Writer, name string, got []time.Duration, baseName string, base []time.Duration) {
	g50, g99 := pct(got, 0.50), pct(got, 0.99)
	b50, b99 := pct(base, 0.50), pct(base, 0.99)
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n", name, round(g50), round(g99), baseName, round(b50), round(b99), float64(g50)/float64(b50))
}

func round(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(100 * time.Nanosecond).String()
	}
}
