package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"

	"github.com/kasirpos/kasir/drivers/rtc"
)

// clockTrust returns what the till asks to know whether its clock is right:
// "ntp" trusts it once NTP has synchronised (synced reports that),
// "always" trusts the system clock as it is (a PC with its own battery
// clock, a developer's machine).
func clockTrust(mode string, synced func() (bool, error), log *slog.Logger) (func() bool, error) {
	switch mode {
	case "always":
		return nil, nil
	case "ntp":
	default:
		return nil, fmt.Errorf("--clock-trust %q: use ntp or always", mode)
	}
	warned := false
	// The till calls this with its lock held, one call at a time.
	return func() bool {
		ok, err := synced()
		if err != nil {
			if !warned {
				log.Warn("cannot tell whether NTP synchronised; trusting the clock", "err", err)
				warned = true
			}
			return true
		}
		return ok
	}, nil
}

// rtcClock is a battery clock: drivers/rtc's DS3231.
type rtcClock interface {
	Read() (time.Time, error)
	Write(time.Time) error
}

// openRTC finds the DS3231 on an I2C bus ("1" or "/dev/i2c-1"). Only the
// main looks buses up; the driver is handed one.
func openRTC(bus string) (*rtc.DS3231, func() error, error) {
	if _, err := host.Init(); err != nil {
		return nil, nil, fmt.Errorf("RTC: %w", err)
	}
	b, err := i2creg.Open(bus)
	if err != nil {
		return nil, nil, fmt.Errorf("RTC: I2C bus %q: %w", bus, err)
	}
	return rtc.New(b), b.Close, nil
}

// plausible is the earliest time a till's clock can read and be right:
// before it, the clock was never set (a Pi boots at the epoch or at its
// image's build time).
var plausible = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// clockFromRTC sets the system clock from the battery clock when the
// system clock reads earlier than the floor (the newest record's time, or
// plausible): a Pi that booted offline. It does nothing when the RTC reads
// earlier still: that clock is no better.
func clockFromRTC(r rtcClock, floor time.Time, now func() time.Time, set func(time.Time) error, log *slog.Logger) {
	floor = maxTime(floor, plausible)
	sys := now()
	if !sys.Before(floor) {
		return
	}
	t, err := r.Read()
	if err != nil {
		log.Warn("clock behind and the RTC unreadable", "now", sys, "floor", floor, "err", err)
		return
	}
	if t.Before(floor) {
		log.Warn("clock and RTC both behind the last record", "now", sys, "rtc", t, "floor", floor)
		return
	}
	if err := set(t); err != nil {
		log.Error("set the system clock from the RTC", "rtc", t, "err", err)
		return
	}
	log.Info("system clock set from the RTC", "was", sys, "rtc", t)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// rtcEvery is how often the RTC is set from an NTP-synchronised clock.
const rtcEvery = 6 * time.Hour

// keepRTC writes the system time to the battery clock once NTP has
// synchronised, then every rtcEvery, looking at each tick. It returns when
// ctx ends.
func keepRTC(ctx context.Context, r rtcClock, synced func() bool, now func() time.Time, tick <-chan time.Time, log *slog.Logger) {
	k := &rtcKeeper{rtc: r, log: log}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		k.tick(now(), synced())
	}
}

// rtcKeeper is keepRTC's state: when the RTC was last written, and
// whether the last write failed (logged once, not every tick).
type rtcKeeper struct {
	rtc     rtcClock
	log     *slog.Logger
	last    time.Time
	failing bool
}

func (k *rtcKeeper) tick(now time.Time, synced bool) {
	if !synced {
		return
	}
	if !k.last.IsZero() && now.Sub(k.last) < rtcEvery && !now.Before(k.last) {
		return
	}
	// A failed write waits rtcEvery too: a clock that is not there does
	// not answer better a minute later.
	first := k.last.IsZero()
	k.last = now
	if err := k.rtc.Write(now); err != nil {
		if !k.failing {
			k.log.Warn("write the RTC", "err", err)
		}
		k.failing = true
		return
	}
	if first || k.failing {
		k.log.Info("RTC set from the NTP clock", "time", now)
	}
	k.failing = false
}
