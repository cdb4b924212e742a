package appliance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kasirpos/kasir/appliance"
)

func (p *paper) setFail(err error) { p.mu.Lock(); defer p.mu.Unlock(); p.fail = err }
func (p *paper) titles() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.receipts {
		out = append(out, r.Title)
	}
	return out
}

var paperOut = &appliance.DeviceFault{State: appliance.DevicePaperOut, Err: errors.New("escpos: paper out")}

// Paper runs out: the sales stand, their receipts wait in the queue in
// order, the cashier is told why and that they will print by themselves,
// and once paper is back they come out whole and in order.
func TestPrintQueueWaitsForPaper(t *testing.T) {
	f := newFixture(t, nil)
	f.paper.setFail(paperOut)
	var numbers []string
	for range 3 {
		f.add(t, "AIR", appliance.QtyOne)
		res, err := f.till.Pay(f.ctx, f.u, "", cash(4000))
		if err != nil {
			t.Fatal(err)
		}
		if res.Printed || res.PrintErrorCode != "print_paper_out" || !strings.Contains(res.PrintError, "Kertas") {
			t.Errorf("printed=%v code=%q error=%q, want paper out reported", res.Printed, res.PrintErrorCode, res.PrintError)
		}
		numbers = append(numbers, res.Number)
	}
	st, err := f.till.Status(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.PrintQueue.Pending != 3 || !strings.Contains(st.PrintQueue.LastError, "paper") {
		t.Errorf("queue = %+v, want 3 waiting with the paper error", st.PrintQueue)
	}
	if err := f.till.PrintPending(f.ctx); !errors.Is(err, paperOut) {
		t.Errorf("PrintPending while out of paper = %v", err)
	}

	f.paper.setFail(nil)
	if err := f.till.PrintPending(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(f.paper.titles(), " "), strings.Join(numbers, " "); got != want {
		t.Errorf("printed %s, want %s in order", got, want)
	}
	if st, _ := f.till.Status(f.ctx); st.PrintQueue.Pending != 0 {
		t.Errorf("queue after printing = %+v", st.PrintQueue)
	}
	// Nothing prints twice.
	if err := f.till.PrintPending(f.ctx); err != nil || len(f.paper.titles()) != 3 {
		t.Errorf("second run printed %v (%v)", f.paper.titles(), err)
	}
}

// A receipt queued before a restart prints after it: the job was written in
// the sale's own transaction.
func TestPrintQueueSurvivesRestart(t *testing.T) {
	f := newFixture(t, nil)
	f.paper.setFail(&appliance.DeviceFault{State: appliance.DeviceAbsent, Err: errors.New("unplugged")})
	f.add(t, "MIE", appliance.QtyOne)
	res, err := f.till.Pay(f.ctx, f.u, "", cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	if res.PrintErrorCode != "print_offline" {
		t.Errorf("code %q, want print_offline", res.PrintErrorCode)
	}
	p2 := &paper{}
	till2, err := appliance.NewTill(f.ctx, appliance.TillOptions{Store: f.db, Catalog: f.db.DB, Printer: p2, Drawer: p2, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { till2.RunPrinter(ctx, nil, 0); close(done) }()
	defer func() { cancel(); <-done }()
	// RunPrinter tries at once; PrintPending waits for that run and finds
	// nothing left, or prints it itself.
	if err := till2.PrintPending(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := p2.titles(); len(got) != 1 || got[0] != res.Number {
		t.Errorf("printed after restart %v, want [%s]", got, res.Number)
	}
}

// A job no printer can print is dropped and logged, and does not hold up
// the receipts behind it.
func TestUnprintableJobDoesNotBlockQueue(t *testing.T) {
	f := newFixture(t, nil)
	f.paper.setFail(fmt.Errorf("render: line too wide: %w", appliance.ErrUnprintable))
	f.add(t, "AIR", appliance.QtyOne)
	if _, err := f.till.Pay(f.ctx, f.u, "", cash(4000)); err != nil {
		t.Fatal(err)
	}
	f.paper.setFail(nil)
	f.add(t, "MIE", appliance.QtyOne)
	res, err := f.till.Pay(f.ctx, f.u, "", cash(4000))
	if err != nil || !res.Printed {
		t.Fatalf("second sale printed=%v err=%v", res != nil && res.Printed, err)
	}
	if got := f.paper.titles(); len(got) != 1 || got[0] != res.Number {
		t.Errorf("printed %v, want only %s", got, res.Number)
	}
}

// A reprint goes through the queue too and is marked SALINAN; while the
// printer is out it waits like any receipt.
func TestReprintQueued(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, "AIR", appliance.QtyOne)
	res, err := f.till.Pay(f.ctx, f.u, "", cash(4000))
	if err != nil {
		t.Fatal(err)
	}
	f.paper.setFail(paperOut)
	if err := f.till.Reprint(f.ctx, f.u, res.Number); !errors.Is(err, paperOut) {
		t.Fatalf("reprint while out of paper = %v", err)
	}
	f.paper.setFail(nil)
	if err := f.till.PrintPending(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.paper.mu.Lock()
	defer f.paper.mu.Unlock()
	if n := len(f.paper.receipts); n != 2 || !strings.Contains(f.paper.receipts[1].Text(), "SALINAN") {
		t.Fatalf("%d receipts, last:\n%s", n, f.paper.receipts[n-1].Text())
	}
}

// The customer sees each item as it is scanned with the running total, then
// what was paid and the change; waiting screens wake on each change.
func TestCustomerView(t *testing.T) {
	f := newFixture(t, nil)
	v0, _ := f.till.Customer()
	if v0.State != appliance.CustomerIdle {
		t.Fatalf("start state %q", v0.State)
	}
	woke := make(chan appliance.CustomerView, 1)
	go func() { woke <- f.till.WaitCustomer(f.ctx, v0.Seq) }()
	f.add(t, "AIR", appliance.QtyOne)
	f.add(t, "MIE", 2*appliance.QtyOne)
	if w := <-woke; w.Seq <= v0.Seq {
		t.Errorf("waiter woke with seq %d", w.Seq)
	}
	v, _ := f.till.Customer()
	if v.State != appliance.CustomerCart || len(v.Lines) != 2 || v.Last == nil || v.Last.Name != "Mie Goreng 85g" || v.Total != 4000+2*3500 {
		t.Fatalf("cart view %+v", v)
	}
	res, err := f.till.Pay(f.ctx, f.u, "", cash(20000))
	if err != nil {
		t.Fatal(err)
	}
	v, _ = f.till.Customer()
	if v.State != appliance.CustomerPaid || v.Paid != 20000 || v.Change != res.Change || v.Number != res.Number {
		t.Fatalf("paid view %+v", v)
	}
	f.till.IdleCustomer(v.Seq)
	if v, _ = f.till.Customer(); v.State != appliance.CustomerIdle {
		t.Fatalf("after idle %+v", v)
	}
}
