package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/localstore"
)

// TestCrashLoop keeps promise 1 (DESIGN.md): no acknowledged sale is ever
// lost. A kasir child process completes sales (with cash moves, voids and
// shift changes mixed in) through the API and is killed with SIGKILL at a
// random moment, crashRounds times over the same data directory. After every
// kill the database is opened directly and must hold every record the API
// answered as done, with a gapless sequence, a verifying hash chain, an
// outbox holding every record, and no sold cart left to come back.
//
// The kill moments and the driver's choices come from one seed, logged at
// the start; KASIR_CRASH_SEED=N replays a run's choices (timing still
// varies).
func TestCrashLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("crash loop: builds the binary and kills it 50 times")
	}
	const crashRounds = 50
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KASIR_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KASIR_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (replay with KASIR_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	start := time.Now()
	bin := buildKasir(t)
	t.Logf("built %s in %v", filepath.Base(bin), time.Since(start).Round(time.Millisecond))
	data := t.TempDir()
	l := newLedger()
	var head journalHead
	for round := 1; round <= crashRounds; round++ {
		delay := time.Duration(30+rng.IntN(371)) * time.Millisecond
		res := crashRound(t, bin, data, l, rand.New(rand.NewPCG(seed, uint64(round))), delay)
		head = verifyAfterCrash(t, data, l, res, head)
		if round%10 == 0 {
			t.Logf("round %d: %d sales, %d voids, %d cash moves, %d shifts acknowledged; last seq %d; %v",
				round, l.sales, l.voids, len(l.moves), len(l.shifts), head.n, time.Since(start).Round(time.Millisecond))
		}
	}
	if l.sales <= crashRounds {
		t.Fatalf("only %d sales acknowledged in %d rounds: the test proves too little", l.sales, crashRounds)
	}
	if l.cartFindings > 0 {
		t.Errorf("a sold cart was still stored after %d of %d kills (see the first report above)", l.cartFindings, crashRounds)
	}
	t.Logf("%d kills: %d sales, %d voids, %d cash moves, %d shifts acknowledged; %d sales or voids lost in flight were committed; final seq %d; %v",
		crashRounds, l.sales, l.voids, len(l.moves), len(l.shifts), l.inflightCommitted, head.n, time.Since(start).Round(time.Millisecond))
}

// buildKasir builds this package's binary into a temporary directory: the
// crash test needs a process of its own to kill.
func buildKasir(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(t.TempDir(), "kasir")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ledger is what the API answered as done, over all rounds. The driver
// goroutine writes it while it runs; the test reads it only after the
// driver has returned.
type ledger struct {
	docs     []ackedDoc
	byNumber map[string]int
	// soldCarts maps the cart each committed sale completed (acknowledged,
	// or found committed after being lost in flight) to the sale.
	soldCarts map[string]string
	shifts    map[int64]bool // acknowledged shift openings; true once the close was acknowledged too
	moves     []ackedMove
	maxSeq    int64 // the highest sequence the API answered with

	sales, voids      int
	inflightCommitted int // records in flight at a kill that turned out committed
	cartFindings      int // kills after which a sold cart was still stored
}

type ackedDoc struct {
	number, kind string
	seq, total   int64
}

type ackedMove struct {
	shiftID, id, amount int64
}

func newLedger() *ledger {
	return &ledger{byNumber: map[string]int{}, soldCarts: map[string]string{}, shifts: map[int64]bool{}}
}

func (l *ledger) addDoc(d ackedDoc) error {
	if d.seq <= l.maxSeq {
		return fmt.Errorf("%s %s answered with seq %d, not after the acknowledged seq %d", d.kind, d.number, d.seq, l.maxSeq)
	}
	if _, dup := l.byNumber[d.number]; dup {
		return fmt.Errorf("%s %s: number answered twice", d.kind, d.number)
	}
	l.maxSeq = d.seq
	l.byNumber[d.number] = len(l.docs)
	l.docs = append(l.docs, d)
	return nil
}

// lostError is a request whose answer never arrived (the process died):
// the till may or may not have acted on it.
type lostError struct{ err error }

func (e *lostError) Error() string { return "lost: " + e.err.Error() }
func (e *lostError) Unwrap() error { return e.err }

type crashClient struct {
	base string
	hc   *http.Client
}

// call sends a JSON request and wants status want, decoding the answer into
// out. Only an answer read in full counts: a cut connection is a lostError.
func (c *crashClient) call(ctx context.Context, method, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return &lostError{fmt.Errorf("%s %s: %w", method, path, err)}
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return &lostError{fmt.Errorf("%s %s: read answer: %w", method, path, err)}
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode %s: %w", method, path, b, err)
		}
	}
	return nil
}

type shiftJSON struct {
	ID       int64  `json:"id"`
	ClosedAt string `json:"closed_at"`
}

// driver is the cashier: it sells through the API until its requests fail.
type driver struct {
	c   *crashClient
	rng *rand.Rand
	l   *ledger

	codes    []string
	shiftID  int64
	lastSale string // the newest acknowledged sale of this round and shift, not voided

	// inflight names the record-making request that was sent and not
	// answered when the driver stopped, and inflightCart the cart a pay
	// in flight was completing.
	inflight     string
	inflightCart string
	// soldRestored says the till offered a sold cart as the cart in
	// progress after its restart.
	soldRestored string
	acked        int // sales acknowledged in this round
}

// setup logs in, looks at the restored cart, clears it and makes sure a
// shift is open.
func (d *driver) setup(ctx context.Context) error {
	if err := d.c.call(ctx, "POST", "/api/v1/login", map[string]string{"pin": "1111"}, 200, nil); err != nil {
		return err
	}
	var restored cartView
	if err := d.c.call(ctx, "GET", "/api/v1/cart", nil, 200, &restored); err != nil {
		return err
	}
	if sale, ok := d.l.soldCarts[restored.ID]; ok {
		d.soldRestored = fmt.Sprintf("after the restart the till offered cart %s (%d lines, total %d) of sale %s as the cart in progress",
			restored.ID, len(restored.Lines), restored.Total, sale)
	}
	if err := d.c.call(ctx, "DELETE", "/api/v1/cart", nil, 200, nil); err != nil {
		return err
	}
	if len(d.codes) == 0 {
		var res struct{ Products []product }
		if err := d.c.call(ctx, "GET", "/api/v1/products?limit=200", nil, 200, &res); err != nil {
			return err
		}
		for _, p := range res.Products {
			for _, b := range p.Barcodes {
				if len(b) == 13 && b[0] != '2' && !p.Weighed {
					d.codes = append(d.codes, b)
					break
				}
			}
		}
		if len(d.codes) < 10 {
			return fmt.Errorf("demo catalog has only %d EAN-13 products in the first page", len(d.codes))
		}
	}
	var sh struct{ Shift *shiftJSON }
	if err := d.c.call(ctx, "GET", "/api/v1/shift", nil, 200, &sh); err != nil {
		return err
	}
	if sh.Shift != nil && sh.Shift.ClosedAt == "" {
		d.shiftID = sh.Shift.ID
		if _, ok := d.l.shifts[d.shiftID]; !ok {
			// Opened by a request lost in flight: committed after all.
			d.l.shifts[d.shiftID] = false
		}
		return nil
	}
	return d.openShift(ctx)
}

func (d *driver) openShift(ctx context.Context) error {
	d.inflight = "shift open"
	var sh struct{ Shift *shiftJSON }
	if err := d.c.call(ctx, "POST", "/api/v1/shift/open", map[string]int64{"float": 200000}, 201, &sh); err != nil {
		return err
	}
	d.inflight = ""
	if sh.Shift == nil || sh.Shift.ID == 0 {
		return errors.New("shift open answered without a shift")
	}
	d.shiftID, d.lastSale = sh.Shift.ID, ""
	d.l.shifts[d.shiftID] = false
	return nil
}

// sell runs until a request fails; with the till killed, that is a
// lostError.
func (d *driver) sell(ctx context.Context) error {
	for {
		var err error
		switch x := d.rng.IntN(100); {
		case x < 6:
			err = d.moveCash(ctx)
		case x < 12 && d.lastSale != "":
			err = d.void(ctx)
		case x < 14:
			err = d.changeShift(ctx)
		default:
			err = d.sale(ctx)
		}
		if err != nil {
			return err
		}
	}
}

func (d *driver) sale(ctx context.Context) error {
	var cart cartView
	for _, i := range d.rng.Perm(len(d.codes))[:3] {
		line := map[string]any{"code": d.codes[i], "qty": 1 + d.rng.IntN(3)}
		if err := d.c.call(ctx, "POST", "/api/v1/cart/lines", line, 200, &cart); err != nil {
			return err
		}
	}
	amount := cart.CashDue
	if d.rng.IntN(2) == 0 {
		amount = (amount/50000 + 1) * 50000
	}
	d.inflight, d.inflightCart = "pay", cart.ID
	var s saleJSON
	pay := map[string]any{"payments": []map[string]any{{"method": "cash", "amount": amount}}}
	if err := d.c.call(ctx, "POST", "/api/v1/cart/pay", pay, 201, &s); err != nil {
		return err
	}
	d.inflight, d.inflightCart = "", ""
	if s.Kind != "sale" || s.Total != cart.Total || s.Number == "" {
		return fmt.Errorf("pay of cart %s (total %d) answered %+v", cart.ID, cart.Total, s)
	}
	if err := d.l.addDoc(ackedDoc{number: s.Number, kind: s.Kind, seq: s.Seq, total: s.Total}); err != nil {
		return err
	}
	d.l.soldCarts[cart.ID] = s.Number
	d.l.sales++
	d.acked++
	d.lastSale = s.Number
	return nil
}

func (d *driver) void(ctx context.Context) error {
	d.inflight = "void"
	var v saleJSON
	body := map[string]any{"reason": "uji crash", "approval_pin": "9999"}
	if err := d.c.call(ctx, "POST", "/api/v1/sales/"+d.lastSale+"/void", body, 201, &v); err != nil {
		return err
	}
	d.inflight = ""
	if v.Kind != "void" || v.Ref != d.lastSale {
		return fmt.Errorf("void of %s answered %+v", d.lastSale, v)
	}
	if err := d.l.addDoc(ackedDoc{number: v.Number, kind: v.Kind, seq: v.Seq, total: v.Total}); err != nil {
		return err
	}
	d.l.voids++
	d.lastSale = ""
	return nil
}

func (d *driver) moveCash(ctx context.Context) error {
	dir, amount := "in", int64(1000*(1+d.rng.IntN(50)))
	if d.rng.IntN(2) == 0 {
		dir = "out"
	}
	d.inflight = "cash move"
	var mv struct {
		ID      int64 `json:"id"`
		ShiftID int64 `json:"shift_id"`
		Amount  int64 `json:"amount"`
	}
	body := map[string]any{"direction": dir, "amount": amount, "reason": "uji crash"}
	if err := d.c.call(ctx, "POST", "/api/v1/shift/cash", body, 201, &mv); err != nil {
		return err
	}
	d.inflight = ""
	if mv.ID == 0 || mv.ShiftID != d.shiftID || mv.Amount != amount {
		return fmt.Errorf("cash move of %d in shift %d answered %+v", amount, d.shiftID, mv)
	}
	d.l.moves = append(d.l.moves, ackedMove{shiftID: mv.ShiftID, id: mv.ID, amount: amount})
	return nil
}

// changeShift closes the shift with its Z report and opens the next.
func (d *driver) changeShift(ctx context.Context) error {
	d.inflight = "shift close"
	body := map[string]any{"counted": map[string]int64{"cash": 0}, "approval_pin": "9999"}
	if err := d.c.call(ctx, "POST", "/api/v1/shift/close", body, 200, nil); err != nil {
		return err
	}
	d.inflight = ""
	d.l.shifts[d.shiftID] = true
	return d.openShift(ctx)
}

// child is a kasir process serving on a loopback port.
type child struct {
	cmd     *exec.Cmd
	url     string
	stderr  *lockedWriter
	exited  chan struct{} // closed once Wait returned
	waitErr error
}

func startChild(t *testing.T, bin, data string) *child {
	t.Helper()
	var stderr bytes.Buffer
	c := &child{stderr: &lockedWriter{w: &stderr}, exited: make(chan struct{})}
	c.cmd = exec.Command(bin, "serve", "--demo", "--data", data, "--http", "127.0.0.1:0", "--log-level", "warn")
	pr, pw := io.Pipe()
	c.cmd.Stdout, c.cmd.Stderr = pw, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start kasir: %v", err)
	}
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "kasir: serving on "); ok {
				urlc <- a
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		c.waitErr = c.cmd.Wait()
		pw.Close()
		close(c.exited)
	}()
	select {
	case c.url = <-urlc:
	case <-c.exited:
		t.Fatalf("kasir exited before serving: %v\n%s", c.waitErr, c.stderrText())
	case <-time.After(20 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
		t.Fatalf("kasir did not serve within 20 s\n%s", c.stderrText())
	}
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := hc.Get(c.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("kasir not healthy within 20 s (last: %v)\n%s", err, c.stderrText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	hc.CloseIdleConnections()
	return c
}

// stderrText is what the child logged; call it only once the child has
// exited or when failing.
func (c *child) stderrText() string {
	c.stderr.mu.Lock()
	defer c.stderr.mu.Unlock()
	return c.stderr.w.(*bytes.Buffer).String()
}

// kill sends SIGKILL and waits for the process. A child that exited by
// itself is a failure: nothing in the test stops it.
func (c *child) kill(t *testing.T) {
	t.Helper()
	select {
	case <-c.exited:
		t.Fatalf("kasir exited by itself: %v\n%s", c.waitErr, c.stderrText())
	default:
	}
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill kasir: %v", err)
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("kasir did not die within 10 s of SIGKILL")
	}
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("kasir ended with %v, not by SIGKILL\n%s", c.cmd.ProcessState, c.stderrText())
	}
}

// roundResult is what the driver saw in one round.
type roundResult struct {
	inflight, inflightCart string
	soldRestored           string
	acked                  int
}

// crashRound starts the till on data, sells through it for delay and kills
// it with SIGKILL.
func crashRound(t *testing.T, bin, data string, l *ledger, rng *rand.Rand, delay time.Duration) roundResult {
	t.Helper()
	c := startChild(t, bin, data)
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	d := &driver{
		c:   &crashClient{base: c.url, hc: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}},
		rng: rng,
		l:   l,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		if err := d.setup(ctx); err != nil {
			done <- err
			return
		}
		close(ready)
		done <- d.sell(ctx)
	}()
	fail := func(format string, args ...any) {
		t.Helper()
		select {
		case <-c.exited:
		default:
			c.cmd.Process.Kill()
			<-c.exited
		}
		t.Fatalf(format+"\nkasir stderr:\n%s", append(args, c.stderrText())...)
	}
	select {
	case <-ready:
	case err := <-done:
		fail("driver setup: %v", err)
	case <-time.After(30 * time.Second):
		fail("driver setup took over 30 s")
	}
	select {
	case <-time.After(delay):
	case err := <-done:
		fail("driver stopped while the till was running: %v", err)
	}
	c.kill(t)
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("driver did not stop within 15 s of the kill")
	}
	if le := (*lostError)(nil); !errors.As(err, &le) {
		fail("driver: %v", err)
	}
	return roundResult{inflight: d.inflight, inflightCart: d.inflightCart, soldRestored: d.soldRestored, acked: d.acked}
}

// journalHead is how far the journal reached after the previous kill.
type journalHead struct {
	n    int64
	hash string
}

// verifyAfterCrash opens the killed till's database and checks promise 1.
func verifyAfterCrash(t *testing.T, data string, l *ledger, res roundResult, prev journalHead) journalHead {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := localstore.Open(ctx, data, nil)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatalf("integrity check after kill: %v", err)
	}

	// The journal: a verifying chain whose seqs are exactly 1..N, and
	// whose first entries are the ones seen after the previous kill.
	type entry struct{ kind, ref, hash string }
	var entries []entry
	chain, after := appliance.GenesisHash, int64(0)
	for {
		es, err := db.Journal(ctx, after, 500)
		if err != nil {
			t.Fatalf("read journal: %v", err)
		}
		if len(es) == 0 {
			break
		}
		if chain, err = appliance.VerifyJournal(chain, es); err != nil {
			t.Fatalf("journal after kill: %v", err)
		}
		for _, e := range es {
			if want := int64(len(entries)) + 1; e.Seq != want {
				t.Fatalf("journal entry %d (%s %s) has seq %d, want %d: the sequence has a gap or a duplicate",
					e.ID, e.Kind, e.Ref, e.Seq, want)
			}
			entries = append(entries, entry{e.Kind, e.Ref, e.Hash})
		}
		after = es[len(es)-1].ID
	}
	n := int64(len(entries))
	if n < prev.n || (prev.n > 0 && entries[prev.n-1].hash != prev.hash) {
		t.Fatalf("journal has %d entries; after the previous kill it had %d ending in %s: committed records changed", n, prev.n, prev.hash)
	}
	if n < l.maxSeq {
		t.Fatalf("journal ends at seq %d, but the API answered seq %d", n, l.maxSeq)
	}

	st, err := db.SyncState(ctx)
	if err != nil {
		t.Fatalf("sync state: %v", err)
	}
	if st.LastSeq != n || st.AckedSeq != 0 || int64(st.Unsynced) != n {
		t.Fatalf("sync state %+v, want last seq %d, nothing acked, %d unsynced", st, n, n)
	}
	var next int64 = 1
	for after := int64(0); ; {
		rows, err := db.Outbox(ctx, after, 500)
		if err != nil {
			t.Fatalf("read outbox: %v", err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			if r.Seq != next {
				t.Fatalf("outbox row seq %d, want %d", r.Seq, next)
			}
			next++
		}
		after = rows[len(rows)-1].Seq
	}
	if next-1 != n {
		t.Fatalf("outbox holds seqs 1..%d, journal 1..%d", next-1, n)
	}

	// Every acknowledged document is there as answered, and its journal
	// entry is the one at its seq.
	for _, a := range l.docs {
		s, err := db.Sale(ctx, a.number)
		if err != nil {
			t.Fatalf("acknowledged %s %s (seq %d, total %d) after kill: %v", a.kind, a.number, a.seq, a.total, err)
		}
		if s.Seq != a.seq || int64(s.Total) != a.total || string(s.Kind) != a.kind {
			t.Fatalf("%s reads seq %d total %d kind %s; the API answered seq %d total %d kind %s",
				a.number, s.Seq, s.Total, s.Kind, a.seq, a.total, a.kind)
		}
		if e := entries[a.seq-1]; e.kind != a.kind || e.ref != a.number {
			t.Fatalf("journal seq %d is %s %s, want %s %s", a.seq, e.kind, e.ref, a.kind, a.number)
		}
	}
	// Every document the journal gained since the last kill is stored.
	for i := prev.n; i < n; i++ {
		e := entries[i]
		switch appliance.RecordKind(e.kind) {
		case appliance.RecSale, appliance.RecVoid, appliance.RecRefund:
			s, err := db.Sale(ctx, e.ref)
			if err != nil || s.Seq != i+1 {
				t.Fatalf("journal seq %d is %s %s, but the document reads %+v, %v", i+1, e.kind, e.ref, s, err)
			}
		}
	}
	for id, closed := range l.shifts {
		sh, _, err := db.Shift(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged shift %d: %v", id, err)
		}
		if closed && sh.ClosedAt.IsZero() {
			t.Fatalf("shift %d: its close was acknowledged, but it reads open", id)
		}
	}
	movesByShift := map[int64]map[int64]int64{}
	for _, m := range l.moves {
		got, ok := movesByShift[m.shiftID]
		if !ok {
			mvs, err := db.CashMoves(ctx, m.shiftID)
			if err != nil {
				t.Fatalf("cash moves of shift %d: %v", m.shiftID, err)
			}
			got = map[int64]int64{}
			for _, mv := range mvs {
				got[mv.ID] = int64(mv.Amount)
			}
			movesByShift[m.shiftID] = got
		}
		if amt, ok := got[m.id]; !ok || amt != m.amount {
			t.Fatalf("acknowledged cash move %d of %d in shift %d reads %d (present %v)", m.id, m.amount, m.shiftID, amt, ok)
		}
	}

	// Requests lost in flight: only the last one can have been committed
	// unanswered, since the driver waits for each answer.
	if res.inflight == "pay" || res.inflight == "void" {
		newest, err := db.RecentSales(ctx, 1)
		if err != nil {
			t.Fatalf("recent sales: %v", err)
		}
		if len(newest) == 1 {
			if _, known := l.byNumber[newest[0].Number]; !known {
				l.inflightCommitted++
				if newest[0].Kind == appliance.DocSale && res.inflight == "pay" {
					l.soldCarts[res.inflightCart] = newest[0].Number
				}
			}
		}
	}

	// A sold cart must be gone: committing a sale deletes its cart in the
	// same transaction, so it can never come back to be sold twice.
	carts, err := db.Carts(ctx)
	if err != nil {
		t.Fatalf("carts: %v", err)
	}
	var found []string
	if res.soldRestored != "" {
		found = append(found, res.soldRestored)
	}
	for _, c := range carts {
		if sale, ok := l.soldCarts[c.ID]; ok {
			found = append(found, fmt.Sprintf("cart %s of sale %s is still stored (parked %v, %d lines)", c.ID, sale, c.Parked, len(c.Lines)))
		}
	}
	if len(found) > 0 {
		if l.cartFindings == 0 {
			if len(found) > 5 {
				found = append(found[:5], fmt.Sprintf("and %d more", len(found)-5))
			}
			t.Errorf("after a kill, sold carts remain (a restart could sell them again):\n  %s", strings.Join(found, "\n  "))
		}
		l.cartFindings++
	}
	if n == 0 {
		t.Fatal("journal is empty after a round that opened a shift")
	}
	return journalHead{n: n, hash: entries[n-1].hash}
}
