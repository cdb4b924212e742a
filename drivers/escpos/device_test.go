package escpos_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/kasirpos/kasir/drivers/escpos"
	"github.com/kasirpos/kasir/drivers/escpos/escpostest"
)

// testTimeout bounds every wait in these tests; nothing waits for it to
// pass, it only keeps a broken test from hanging.
const testTimeout = 30 * time.Second

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

var tm82 = escpos.Presets["epson-tm-t82"]

// statusOnly is the TM-T82 without automatic status, as a clone that
// answers DLE EOT only.
var statusOnly = func() escpos.Profile { p := tm82; p.ASB = false; p.Name += " (DLE EOT only)"; return p }()

// asbOnly answers only with automatic status messages.
var asbOnly = func() escpos.Profile { p := tm82; p.Status = false; p.Name += " (ASB only)"; return p }()

func receiptJob(t testing.TB, p escpos.Profile) []byte {
	t.Helper()
	b, err := escpos.Render(escpos.ReceiptForTest(p.Columns), p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func golden(t testing.TB, p escpos.Profile) string {
	t.Helper()
	file := "receipt-80mm.txt"
	if p.Columns == 32 {
		file = "receipt-58mm.txt"
	}
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkLastJob asserts that the printer's last job is the whole golden
// receipt, decoded without error.
func checkLastJob(t *testing.T, emu *escpostest.Printer, n int, p escpos.Profile) {
	t.Helper()
	jobs, err := emu.WaitJobs(testContext(t), n)
	if err != nil {
		t.Fatalf("waiting for job %d: %v (got %d)", n, err, len(jobs))
	}
	j := jobs[n-1]
	if j.Err != nil || j.Fault != "" {
		t.Fatalf("job %d: fault %q, decode error %v", n, j.Fault, j.Err)
	}
	if got, want := j.Paper.Text(), golden(t, p); got != want {
		t.Errorf("job %d paper differs from the golden receipt\ngot:\n%s\nwant:\n%s", n, got, want)
	}
	if j.Paper.Cuts != b2i(p.Cutter) || len(j.Paper.Kicks) != 1 || len(j.Paper.Barcodes) != 1 {
		t.Errorf("job %d: %d cuts, kicks %v, barcodes %q", n, j.Paper.Cuts, j.Paper.Kicks, j.Paper.Barcodes)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// transports opens the emulated printer each way the till can.
var transports = []struct {
	name string
	dial func(t testing.TB, emu *escpostest.Printer) escpos.Dialer
}{
	{"serial", func(t testing.TB, emu *escpostest.Printer) escpos.Dialer {
		return escpos.SerialDialer(func() (escpos.SerialPort, error) {
			return serial.Open(emu.Path(), &serial.Mode{BaudRate: 115200})
		})
	}},
	{"device file", func(t testing.TB, emu *escpostest.Printer) escpos.Dialer {
		return escpos.DeviceFileDialer(emu.Path())
	}},
}

func newPrinter(t testing.TB, dial escpos.Dialer, p escpos.Profile, o escpos.Options) *escpos.Printer {
	if o.StatusTimeout == 0 {
		o.StatusTimeout = testTimeout
	}
	pr := escpos.New(dial, p, o)
	t.Cleanup(func() { pr.Close() })
	return pr
}

func TestPrintEachTransport(t *testing.T) {
	for _, tr := range transports {
		for _, p := range []escpos.Profile{tm82, statusOnly, asbOnly, escpos.Presets["generic-58"]} {
			t.Run(tr.name+"/"+p.Name, func(t *testing.T) {
				emu := escpostest.StartPTY(t, p)
				pr := newPrinter(t, tr.dial(t, emu), p, escpos.Options{})
				printAndCheck(t, emu, pr, p)
			})
		}
	}
	t.Run("tcp", func(t *testing.T) {
		emu, addr := escpostest.ListenTCP(t, tm82)
		pr := newPrinter(t, escpos.TCPDialer(addr, testTimeout), tm82, escpos.Options{})
		printAndCheck(t, emu, pr, tm82)
	})
}

func printAndCheck(t *testing.T, emu *escpostest.Printer, pr *escpos.Printer, p escpos.Profile) {
	t.Helper()
	ctx := testContext(t)
	for i := 1; i <= 2; i++ {
		if err := pr.Print(ctx, receiptJob(t, p)); err != nil {
			t.Fatalf("print %d: %v", i, err)
		}
		if !p.Status && !p.ASB {
			// Nothing ends a job on a printer that is never asked
			// anything but the next job; the last one ends with the link.
			continue
		}
		checkLastJob(t, emu, i, p)
	}
	if p.Status || p.ASB {
		if got := pr.State(); got.Code != escpos.StateOK {
			t.Errorf("state %+v, want ok", got)
		}
		if err := pr.Kick(ctx, 2, escpos.DefaultKickOn, escpos.DefaultKickOff); err != nil {
			t.Fatal(err)
		}
		jobs, err := emu.WaitJobs(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		k := jobs[2]
		if k.Err != nil || len(k.Paper.Kicks) != 1 || len(k.Paper.Lines) != 0 {
			t.Errorf("kick job: %v, kicks %v, lines %q", k.Err, k.Paper.Kicks, k.Paper.Lines)
		}
		return
	}
	// The second job's ESC @ ended the first.
	checkLastJob(t, emu, 1, p)
	if got := pr.State(); got.Code != escpos.StateOK || got.Detail == "" {
		t.Errorf("state %+v, want ok, with a detail saying it is not known", got)
	}
}

func TestPaperOutMidReceipt(t *testing.T) {
	for _, p := range []escpos.Profile{tm82, statusOnly, asbOnly} {
		t.Run(p.Name, func(t *testing.T) {
			emu := escpostest.StartPTY(t, p)
			var changes []escpos.StateCode
			o := escpos.Options{OnChange: func(s escpos.State) { changes = append(changes, s.Code) }}
			if !p.Status {
				// An ASB-only printer is asked by re-sending GS a, which
				// an offline printer ignores: that wait runs to the end.
				o.StatusTimeout = 200 * time.Millisecond
			}
			pr := newPrinter(t, escpos.DeviceFileDialer(emu.Path()), p, o)
			ctx := testContext(t)
			job := receiptJob(t, p)

			emu.PaperOutAfter(len(job) / 2)
			err := pr.Print(ctx, job)
			if !errors.Is(err, escpos.ErrPaperOut) {
				t.Fatalf("got %v, want ErrPaperOut", err)
			}
			if got := pr.State(); got.Code != escpos.StatePaperOut {
				t.Errorf("state %+v, want paper_out", got)
			}
			jobs := emu.Jobs()
			if len(jobs) != 1 || jobs[0].Fault != "paper out" {
				t.Fatalf("jobs %+v, want the one cut by paper out", jobs)
			}

			// No paper: refused, and nothing reaches the printer.
			dropped := emu.Dropped()
			if err := pr.Print(ctx, job); !errors.Is(err, escpos.ErrPaperOut) {
				t.Fatalf("print into paper out: got %v, want ErrPaperOut", err)
			}
			if p.Status && emu.Dropped() != dropped {
				t.Errorf("%d job bytes sent into a printer without paper", emu.Dropped()-dropped)
			}

			emu.SetPaperOut(false)
			if got := pr.Probe(ctx); got.Code != escpos.StateOK {
				t.Fatalf("after a new roll: state %+v, want ok", got)
			}
			if err := pr.Print(ctx, job); err != nil {
				t.Fatalf("print again: %v", err)
			}
			checkLastJob(t, emu, 2, p)
			want := []escpos.StateCode{escpos.StateOK, escpos.StatePaperOut, escpos.StateOK}
			if len(changes) != len(want) || changes[0] != want[0] || changes[1] != want[1] || changes[2] != want[2] {
				t.Errorf("state changes %q, want %q", changes, want)
			}
		})
	}
}

func TestCoverOpenMidJob(t *testing.T) {
	emu := escpostest.StartPTY(t, statusOnly)
	pr := newPrinter(t, escpos.DeviceFileDialer(emu.Path()), statusOnly, escpos.Options{})
	ctx := testContext(t)
	job := receiptJob(t, statusOnly)
	emu.CoverOpenAfter(100)
	if err := pr.Print(ctx, job); !errors.Is(err, escpos.ErrCoverOpen) {
		t.Fatalf("got %v, want ErrCoverOpen", err)
	}
	if got := pr.State(); got.Code != escpos.StateCoverOpen {
		t.Errorf("state %+v, want cover_open", got)
	}
	if err := pr.Kick(ctx, 2, 100, 200); !errors.Is(err, escpos.ErrCoverOpen) {
		t.Errorf("kick with the cover open: got %v, want ErrCoverOpen", err)
	}
	emu.SetCoverOpen(false)
	if err := pr.Print(ctx, job); err != nil {
		t.Fatal(err)
	}
	checkLastJob(t, emu, 2, statusOnly)
}

func TestPaperNearEndStillPrints(t *testing.T) {
	emu := escpostest.StartPTY(t, tm82)
	pr := newPrinter(t, escpos.DeviceFileDialer(emu.Path()), tm82, escpos.Options{})
	emu.SetPaperNearEnd(true)
	if err := pr.Print(testContext(t), receiptJob(t, tm82)); err != nil {
		t.Fatal(err)
	}
	if got := pr.State(); got.Code != escpos.StatePaperLow || !got.Status.PaperNearEnd {
		t.Errorf("state %+v, want paper_low", got)
	}
	checkLastJob(t, emu, 1, tm82)
}

func TestUnplugDuringJob(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			emu := escpostest.StartPTY(t, tm82)
			emu.SetBaud(9600) // a receipt takes about two seconds: time to pull the cable
			pr := newPrinter(t, tr.dial(t, emu), tm82, escpos.Options{})
			ctx := testContext(t)
			job := receiptJob(t, tm82)

			done := make(chan error, 1)
			go func() { done <- pr.Print(ctx, job) }()
			if _, err := emu.WaitRaw(ctx, 12+200); err != nil { // status requests, then part of the job
				t.Fatal(err)
			}
			emu.Unplug()
			var err error
			select {
			case err = <-done:
			case <-ctx.Done():
				t.Fatal("print hangs after unplug")
			}
			if !errors.Is(err, escpos.ErrAbsent) {
				t.Fatalf("got %v, want ErrAbsent", err)
			}
			if got := pr.State(); got.Code != escpos.StateAbsent {
				t.Errorf("state %+v, want absent", got)
			}
			if err := pr.Print(ctx, job); !errors.Is(err, escpos.ErrAbsent) {
				t.Fatalf("print while unplugged: got %v, want ErrAbsent", err)
			}

			if err := emu.Plug(); err != nil {
				t.Fatal(err)
			}
			emu.SetBaud(0)
			if err := pr.Print(ctx, job); err != nil {
				t.Fatalf("print after replug: %v", err)
			}
			jobs := emu.Jobs()
			if len(jobs) != 2 || jobs[0].Fault != "link closed" {
				t.Fatalf("jobs: %d, first %q; want the cut one and the whole one", len(jobs), jobs[0].Fault)
			}
			checkLastJob(t, emu, 2, tm82)
		})
	}
}

// countingPort counts reads, so a test sees a read loop that spins.
type countingPort struct {
	serial.Port
	reads atomic.Int64
}

func (p *countingPort) Read(b []byte) (int, error) {
	p.reads.Add(1)
	return p.Port.Read(b)
}

func TestNeverAnswers(t *testing.T) {
	for _, name := range []string{"serial", "device file", "tcp"} {
		t.Run(name, func(t *testing.T) {
			var emu *escpostest.Printer
			var dial escpos.Dialer
			var port *countingPort
			switch name {
			case "tcp":
				var addr string
				emu, addr = escpostest.ListenTCP(t, tm82)
				dial = escpos.TCPDialer(addr, testTimeout)
			case "serial":
				emu = escpostest.StartPTY(t, tm82)
				dial = escpos.SerialDialer(func() (escpos.SerialPort, error) {
					p, err := serial.Open(emu.Path(), &serial.Mode{BaudRate: 9600})
					if err != nil {
						return nil, err
					}
					port = &countingPort{Port: p}
					return port, nil
				})
			default:
				emu = escpostest.StartPTY(t, tm82)
				dial = escpos.DeviceFileDialer(emu.Path())
			}
			emu.SetSilent(true)
			pr := newPrinter(t, dial, tm82, escpos.Options{StatusTimeout: 100 * time.Millisecond})
			err := pr.Print(testContext(t), receiptJob(t, tm82))
			if !errors.Is(err, escpos.ErrNoAnswer) {
				t.Fatalf("got %v, want ErrNoAnswer", err)
			}
			if got := pr.State(); got.Code != escpos.StateOffline {
				t.Errorf("state %+v, want offline", got)
			}
			if len(emu.Jobs()) != 0 || emu.Dropped() != 0 {
				t.Errorf("a job was sent to a printer that never answered")
			}
			if port != nil {
				// Each bounded read is one port read: go.bug.st/serial's
				// 0, nil timeout must end it, not loop until the deadline.
				if n := port.reads.Load(); n > 8 {
					t.Errorf("%d port reads for one unanswered status request: the read loop spins", n)
				}
			}
			emu.SetSilent(false)
			if got := pr.Probe(testContext(t)); got.Code != escpos.StateOK {
				t.Errorf("answering again: state %+v, want ok", got)
			}
		})
	}
}

func TestOneJobAtATime(t *testing.T) {
	emu := escpostest.StartPTY(t, tm82)
	emu.SetBaud(115200)
	pr := newPrinter(t, escpos.DeviceFileDialer(emu.Path()), tm82, escpos.Options{})
	ctx := testContext(t)
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() { errs <- pr.Print(ctx, receiptJob(t, tm82)) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ { // interleaved bytes would break every one
		checkLastJob(t, emu, i, tm82)
	}
}

func TestAbsentDevice(t *testing.T) {
	pr := newPrinter(t, escpos.DeviceFileDialer(filepath.Join(t.TempDir(), "lp0")), tm82, escpos.Options{})
	err := pr.Print(testContext(t), receiptJob(t, tm82))
	if !errors.Is(err, escpos.ErrAbsent) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want ErrAbsent wrapping ErrNotExist", err)
	}
	if got := pr.State(); got.Code != escpos.StateAbsent {
		t.Errorf("state %+v, want absent", got)
	}
}

func TestWatchNoticesPaperBack(t *testing.T) {
	emu := escpostest.StartPTY(t, tm82)
	ticks := make(chan time.Time)
	changes := make(chan escpos.State, 16)
	pr := newPrinter(t, escpos.DeviceFileDialer(emu.Path()), tm82, escpos.Options{
		After:    func(time.Duration) <-chan time.Time { return ticks },
		OnChange: func(s escpos.State) { changes <- s },
	})
	ctx := testContext(t)
	emu.SetPaperOut(true)
	watchCtx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { defer close(watched); pr.Watch(watchCtx) }()
	defer func() { stop(); <-watched }()

	next := func() escpos.State {
		t.Helper()
		select {
		case s := <-changes:
			return s
		case <-ctx.Done():
			t.Fatal("no state change")
		}
		return escpos.State{}
	}
	if s := next(); s.Code != escpos.StatePaperOut { // Watch probes an unknown printer at once
		t.Fatalf("state %+v, want paper_out", s)
	}
	emu.SetPaperOut(false)
	select {
	case ticks <- time.Now(): // the retry interval has passed
	case <-ctx.Done():
		t.Fatal("Watch is not waiting to retry")
	}
	if s := next(); s.Code != escpos.StateOK {
		t.Fatalf("state %+v, want ok", s)
	}
}

func TestCancelledPrintReturns(t *testing.T) {
	emu := escpostest.StartPTY(t, tm82)
	emu.SetBaud(1200)
	pr := newPrinter(t, escpos.DeviceFileDialer(emu.Path()), tm82, escpos.Options{})
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() { done <- pr.Print(ctx, receiptJob(t, tm82)) }()
	if _, err := emu.WaitRaw(testContext(t), 50); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if got := pr.State(); got.Code != escpos.StateOK {
		t.Errorf("a cancelled job changed the state: %+v", got)
	}
}

func TestRasterReachesPrinter(t *testing.T) {
	p := escpos.Presets["generic-58"]
	p.Status = true
	emu := escpostest.StartPTY(t, p)
	pr := newPrinter(t, escpos.DeviceFileDialer(emu.Path()), p, escpos.Options{})
	bm := make([][]bool, 21)
	for y := range bm {
		bm[y] = make([]bool, 21)
		for x := range bm[y] {
			bm[y][x] = (x*7+y*3)%5 == 0 || x == y
		}
	}
	var job []byte
	e := escpos.NewEncoder(writerFunc(func(b []byte) (int, error) { job = append(job, b...); return len(b), nil }), p)
	e.Init()
	e.Align(escpos.Center)
	e.Raster(bm, 8)
	e.Line("scan to pay")
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := pr.Print(testContext(t), job); err != nil {
		t.Fatal(err)
	}
	jobs, err := emu.WaitJobs(testContext(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	paper := jobs[0].Paper
	if jobs[0].Err != nil || len(paper.Rasters) != 1 || paper.Rasters[0].String() != "RASTER 168x168" {
		t.Fatalf("decode %v, rasters %v", jobs[0].Err, paper.Rasters)
	}
	for y := range 168 {
		for x := range 168 {
			if paper.Rasters[0].Dots[y][x] != bm[y/8][x/8] {
				t.Fatalf("dot (%d,%d) differs", x, y)
			}
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// BenchmarkPayToLastByte is the time from handing a receipt to the printer
// to the printer having taken its last byte and confirmed it, over a serial
// line at the rates printers are set to.
func BenchmarkPayToLastByte(b *testing.B) {
	for _, baud := range []int{9600, 115200} {
		b.Run(fmt.Sprint(baud), func(b *testing.B) {
			emu := escpostest.StartPTY(b, tm82)
			emu.SetBaud(baud)
			pr := newPrinter(b, escpos.SerialDialer(func() (escpos.SerialPort, error) {
				return serial.Open(emu.Path(), &serial.Mode{BaudRate: baud})
			}), tm82, escpos.Options{})
			job := receiptJob(b, tm82)
			ctx := testContext(b)
			for b.Loop() {
				if err := pr.Print(ctx, job); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(job)), "bytes/job")
		})
	}
}
