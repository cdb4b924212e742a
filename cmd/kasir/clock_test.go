package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/kasirpos/kasir/drivers/rtc"
)

// fakeRTC is a battery clock in memory.
type fakeRTC struct {
	mu      sync.Mutex
	t       time.Time
	err     error
	written []time.Time
}

func (f *fakeRTC) Read() (time.Time, error) { f.mu.Lock(); defer f.mu.Unlock(); return f.t, f.err }
func (f *fakeRTC) Write(t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.written = append(f.written, t)
	return nil
}
func (f *fakeRTC) writes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.written...)
}

func TestClockFromRTC(t *testing.T) {
	floor := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	epoch := time.Unix(0, 0) // a Pi that booted offline
	tests := []struct {
		name    string
		sys     time.Time
		rtc     time.Time
		rtcErr  error
		floor   time.Time
		wantSet time.Time // zero: left alone
	}{
		{"clock right", floor.Add(time.Hour), floor.Add(2 * time.Hour), nil, floor, time.Time{}},
		{"clock behind, RTC right", epoch, floor.Add(time.Hour), nil, floor, floor.Add(time.Hour)},
		{"clock behind, RTC behind too", epoch, floor.Add(-time.Hour), nil, floor, time.Time{}},
		{"clock behind, RTC stopped", epoch, time.Time{}, rtc.ErrStopped, floor, time.Time{}},
		{"empty database, clock at the epoch", epoch, floor, nil, time.Time{}, floor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var set time.Time
			r := &fakeRTC{t: tt.rtc, err: tt.rtcErr}
			clockFromRTC(r, tt.floor, func() time.Time { return tt.sys }, func(t time.Time) error { set = t; return nil }, slog.New(slog.DiscardHandler))
			if !set.Equal(tt.wantSet) {
				t.Errorf("set the clock to %v, want %v", set, tt.wantSet)
			}
		})
	}
}

// The RTC is written once NTP has synchronised, then again only after
// rtcEvery.
func TestKeepRTC(t *testing.T) {
	r := &fakeRTC{}
	k := &rtcKeeper{rtc: r, log: slog.New(slog.DiscardHandler)}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	step := func(advance time.Duration, synced bool) {
		now = now.Add(advance)
		k.tick(now, synced)
	}
	step(time.Minute, false)
	step(time.Minute, true) // written
	step(time.Minute, true)
	step(rtcEvery, true) // written
	step(time.Minute, false)
	got := r.writes()
	want := []time.Time{
		time.Date(2026, 11, 30, 9, 2, 0, 0, time.UTC),
		time.Date(2026, 11, 30, 9, 3, 0, 0, time.UTC).Add(rtcEvery),
	}
	if len(got) != len(want) || !got[0].Equal(want[0]) || !got[1].Equal(want[1]) {
		t.Errorf("RTC written at %v, want %v", got, want)
	}

	// A clock that fails is tried again after rtcEvery, not every tick.
	bad := &fakeRTC{}
	k = &rtcKeeper{rtc: failingRTC{bad}, log: slog.New(slog.DiscardHandler)}
	k.tick(now, true)
	k.tick(now.Add(time.Minute), true)
	k.tick(now.Add(rtcEvery), true)
	if n := len(bad.writes()); n != 2 {
		t.Errorf("failing RTC tried %d times, want 2", n)
	}

	// keepRTC stops with its context.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		keepRTC(ctx, r, func() bool { return false }, time.Now, make(chan time.Time), slog.New(slog.DiscardHandler))
		close(done)
	}()
	cancel()
	<-done
}

// The driver on periph's recording bus: what keepRTC writes is BCD in the
// DS3231's time registers.
func TestKeepRTCWithDS3231(t *testing.T) {
	rec := &i2ctest.Record{}
	d := rtc.New(rec)
	d.Write(time.Date(2026, 11, 30, 9, 45, 9, 0, time.UTC)) // the status read fails on a bus-less Record
	if len(rec.Ops) == 0 || rec.Ops[0].Addr != rtc.Addr || string(rec.Ops[0].W) != string([]byte{0x00, 0x09, 0x45, 0x09, 0x02, 0x30, 0x11, 0x26}) {
		t.Errorf("I2C writes %v", rec.Ops)
	}
}

func TestClockTrust(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if f, err := clockTrust("always", nil, log); f != nil || err != nil {
		t.Errorf("always: %v, %v; want nil (trusted)", f != nil, err)
	}
	if _, err := clockTrust("sometimes", nil, log); err == nil {
		t.Error("bad mode accepted")
	}
	synced := false
	f, err := clockTrust("ntp", func() (bool, error) { return synced, nil }, log)
	if err != nil || f() {
		t.Fatalf("ntp before sync: %v", err)
	}
	synced = true
	if !f() {
		t.Error("ntp after sync: untrusted")
	}
	f, _ = clockTrust("ntp", func() (bool, error) { return false, errors.New("no adjtimex") }, log)
	if !f() {
		t.Error("a machine that cannot tell must not flag every sale")
	}
}

func TestHostnameFor(t *testing.T) {
	for _, tt := range []struct{ store, till, want string }{
		{"S001", "T01", "kasir-s001-t01"},
		{"JKT_01", "Kasir-2", "kasir-jkt-01-kasir-2"},
		{"S0000000000000000000000000000001", "T0000000000000000000000000000001", "kasir-s0000000000000000000000000000001-t00000000000000000000000"},
	} {
		if got := hostnameFor(tt.store, tt.till); got != tt.want || len(got) > 63 {
			t.Errorf("hostnameFor(%s, %s) = %q, want %q", tt.store, tt.till, got, tt.want)
		}
	}
}

func TestSetupPINFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "boot", setupPINName)
	pin, err := ensureSetupPIN(p)
	if err != nil || len(pin) != setupPINDigits {
		t.Fatalf("ensureSetupPIN = %q, %v", pin, err)
	}
	again, err := ensureSetupPIN(p)
	if err != nil || again != pin {
		t.Errorf("second start: %q, %v; want the same PIN %q", again, err, pin)
	}
	// A technician who writes a PIN of their own into the file gets it.
	os.WriteFile(p, []byte("PIN: 24681357\n"), 0o600)
	if got, _ := ensureSetupPIN(p); got != "24681357" {
		t.Errorf("edited file: PIN %q", got)
	}
}

type failingRTC struct{ *fakeRTC }

func (f failingRTC) Write(t time.Time) error {
	f.fakeRTC.Write(t)
	return errors.New("i2c: no ACK")
}
