package appliance_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/localstore"
)

// Sales made before NTP synchronised carry clock_untrusted, to head office
// too; once the clock is trusted it stays trusted.
func TestClockUntrustedUntilSynced(t *testing.T) {
	ctx := context.Background()
	db, err := localstore.Open(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &fakeClock{t: time.Date(2026, 11, 30, 20, 0, 0, 0, wib)}
	if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "t1", LoadedAt: clock.Now(), Source: "test"}, testProducts); err != nil {
		t.Fatal(err)
	}
	var synced atomic.Bool
	p := &paper{}
	till, err := appliance.NewTill(ctx, appliance.TillOptions{Store: db, Catalog: db, Printer: p, Drawer: p, Now: clock.Now, ClockTrusted: synced.Load})
	if err != nil {
		t.Fatal(err)
	}
	u := appliance.User{ID: "k", Name: "Kasir", Role: appliance.RoleCashier}
	if _, err := till.OpenShift(ctx, u, 0); err != nil {
		t.Fatal(err)
	}
	sell := func() *appliance.SaleResult {
		t.Helper()
		if _, err := till.AddLine(ctx, u, "AIR", 0); err != nil {
			t.Fatal(err)
		}
		res, err := till.Pay(ctx, u, "", cash(5000))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	untrusted := func() bool {
		t.Helper()
		st, err := till.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.ClockUntrusted
	}

	if !untrusted() {
		t.Error("status before NTP: clock_untrusted false")
	}
	first := sell()
	if !first.ClockUntrusted {
		t.Error("sale before NTP: not flagged")
	}
	rows, err := db.Outbox(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var msg appliance.OutboxMessage
	json.Unmarshal(rows[len(rows)-1].Body, &msg)
	if msg.Sale == nil || !msg.Sale.ClockUntrusted {
		t.Errorf("outbox body %s: want clock_untrusted", rows[len(rows)-1].Body)
	}

	synced.Store(true)
	clock.Set(clock.Now().Add(time.Minute))
	if second := sell(); second.ClockUntrusted {
		t.Error("sale after NTP: flagged")
	}
	if untrusted() {
		t.Error("status after NTP: clock_untrusted")
	}
	// NTP losing its server later does not make the clock wrong.
	synced.Store(false)
	if third := sell(); third.ClockUntrusted || untrusted() {
		t.Error("trust did not hold after NTP went quiet")
	}
}

// A till without a trust check (a developer's machine) trusts its clock.
func TestClockTrustedByDefault(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, "AIR", 0)
	res, err := f.till.Pay(f.ctx, f.u, "", cash(5000))
	if err != nil || res.ClockUntrusted {
		t.Fatalf("sale %+v, %v: want no clock_untrusted", res, err)
	}
}

// Head office's fresh time counts as much as NTP, when the clocks agree.
func TestClockTrustedByHeadOffice(t *testing.T) {
	ctx := context.Background()
	db, err := localstore.Open(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &fakeClock{t: time.Date(2026, 11, 30, 20, 0, 0, 0, wib)}
	p := &paper{}
	till, err := appliance.NewTill(ctx, appliance.TillOptions{Store: db, Catalog: db, Printer: p, Drawer: p, Now: clock.Now,
		ClockTrusted: func() bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	if till.SeenHQTime(clock.Now().Add(-time.Hour)) {
		t.Error("trusted a clock an hour off head office's")
	}
	if !till.SeenHQTime(clock.Now().Add(30 * time.Second)) {
		t.Error("not trusted though head office agrees")
	}
	if !till.ClockTrusted() {
		t.Error("trust did not hold")
	}
}
