package drawer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kasirpos/kasir/drivers/drawer"
	"github.com/kasirpos/kasir/drivers/drawer/drawertest"
	"periph.io/x/conn/v3/gpio"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// All tests run in a synctest bubble: time.Now, timers and sleeps are the
// bubble's fake clock, so durations are exact and nothing really waits.

func TestOpenPulse(t *testing.T) {
	for _, tc := range []struct {
		pulse, want time.Duration
	}{
		{0, drawer.DefaultPulse},
		{150 * time.Millisecond, 150 * time.Millisecond},
		{time.Millisecond, drawer.MinPulse},
		{5 * time.Second, drawer.MaxPulse},
	} {
		t.Run(fmt.Sprint(tc.pulse), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				kick := drawertest.NewPin("GPIO17", gpio.High) // left high by a crash
				t0 := time.Now()
				d, err := drawer.NewGPIO(kick, nil, drawer.Options{Pulse: tc.pulse, Logger: quiet})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Second)
				if err := d.Open(t.Context()); err != nil {
					t.Fatal(err)
				}
				t1 := t0.Add(time.Second)
				want := []drawertest.Change{
					{Level: gpio.Low, At: t0},
					{Level: gpio.High, At: t1},
					{Level: gpio.Low, At: t1.Add(tc.want)},
				}
				if got := kick.Changes(); !slices.Equal(got, want) {
					t.Errorf("relay = %v, want %v", got, want)
				}
				if got := kick.Read(); got != gpio.Low {
					t.Errorf("relay ends %s", got)
				}
			})
		})
	}
}

func TestOpenCancelledDuringPulse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		kick := drawertest.NewPin("GPIO17", gpio.Low)
		d, err := drawer.NewGPIO(kick, nil, drawer.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		t0 := time.Now()
		time.AfterFunc(30*time.Millisecond, cancel)
		if err := d.Open(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want canceled", err)
		}
		changes := kick.Changes()
		last := changes[len(changes)-1]
		if want := (drawertest.Change{Level: gpio.Low, At: t0.Add(30 * time.Millisecond)}); last != want {
			t.Errorf("last change = %v, want %v", last, want)
		}
		// An already cancelled context does not fire the solenoid at all.
		time.Sleep(time.Hour)
		if err := d.Open(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want canceled", err)
		}
		if got := len(kick.Changes()); got != len(changes) {
			t.Errorf("relay moved on a cancelled context: %v", kick.Changes())
		}
	})
}

func TestOpenReleasesRelayOnPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		kick := drawertest.NewPin("GPIO17", gpio.Low)
		d, err := drawer.NewGPIO(kick, nil, drawer.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		kick.PanicOnHigh = true
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			d.Open(t.Context())
		}()
		if got := kick.Read(); got != gpio.Low {
			t.Errorf("relay left %s after a panic: %v", got, kick.Changes())
		}
	})
}

func TestReKickGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		kick := drawertest.NewPin("GPIO17", gpio.Low)
		d, err := drawer.NewGPIO(kick, nil, drawer.Options{Guard: 2 * time.Second, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if err := d.Open(ctx); err != nil {
			t.Fatal(err)
		}
		highs := func() int {
			n := 0
			for _, c := range kick.Changes() {
				if c.Level == gpio.High {
					n++
				}
			}
			return n
		}
		time.Sleep(time.Second)
		if err := d.Open(ctx); !errors.Is(err, drawer.ErrTooSoon) {
			t.Fatalf("second kick after 1s: err = %v, want ErrTooSoon", err)
		}
		if got := highs(); got != 1 {
			t.Fatalf("relay fired %d times, want 1", got)
		}
		time.Sleep(time.Second) // 2s after the first kick
		if err := d.Open(ctx); err != nil {
			t.Fatalf("kick after the guard: %v", err)
		}
		if got := highs(); got != 2 {
			t.Fatalf("relay fired %d times, want 2", got)
		}
	})
}

func TestReKickGuardSurvivesClockSetBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
		kick := drawertest.NewPin("GPIO17", gpio.Low)
		d, err := drawer.NewGPIO(kick, nil, drawer.Options{Now: func() time.Time { return now }, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Open(t.Context()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(-time.Hour) // NTP corrected a clock that ran ahead
		if err := d.Open(t.Context()); err != nil {
			t.Fatalf("kick after the clock went back: %v", err)
		}
	})
}

// rig is a drawer with a sensor and a running Watch.
type rig struct {
	t      *testing.T
	d      *drawer.GPIO
	kick   *drawertest.Pin
	sensor *drawertest.Pin
	open   gpio.Level // the sensor level that means open
	t0     time.Time

	mu     sync.Mutex
	events []drawer.Event
	stop   func()
}

func newRig(t *testing.T, o drawer.Options, noEdges bool) *rig {
	t.Helper()
	r := &rig{t: t, kick: drawertest.NewPin("GPIO17", gpio.Low), open: gpio.High, t0: time.Now()}
	if o.Polarity == drawer.OpenWhenLow {
		r.open = gpio.Low
	}
	r.sensor = drawertest.NewPin("GPIO27", !r.open)
	r.sensor.NoEdges = noEdges
	o.Logger = quiet
	o.OnEvent = func(e drawer.Event) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, e)
	}
	d, err := drawer.NewGPIO(r.kick, r.sensor, o)
	if err != nil {
		t.Fatal(err)
	}
	r.d = d
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- d.Watch(ctx) }()
	r.stop = func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch = %v, want canceled", err)
		}
	}
	t.Cleanup(r.stop)
	return r
}

func (r *rig) setOpen(open bool) {
	if open {
		r.sensor.Set(r.open)
	} else {
		r.sensor.Set(!r.open)
	}
}

func (r *rig) got() []drawer.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]drawer.Event(nil), r.events...)
}

func (r *rig) wantEvents(want ...drawer.Event) {
	r.t.Helper()
	if got := r.got(); !slices.Equal(got, want) {
		r.t.Errorf("events:\n got %v\nwant %v", got, want)
	}
}

func (r *rig) wantState(s drawer.State, since time.Duration) {
	r.t.Helper()
	gs, gsince := r.d.State()
	if gs != s || !gsince.Equal(r.t0.Add(since)) {
		r.t.Errorf("state = %s since %v, want %s since %v", gs, gsince.Sub(r.t0), s, since)
	}
}

func TestSensorEdges(t *testing.T) {
	for _, pol := range []drawer.Polarity{drawer.OpenWhenHigh, drawer.OpenWhenLow} {
		t.Run(fmt.Sprint(pol), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, drawer.Options{Polarity: pol, Pull: gpio.PullUp}, false)
				if got := r.sensor.Edge(); got != gpio.BothEdges {
					t.Errorf("edge = %s, want BothEdges", got)
				}
				if got := r.sensor.Pull(); got != gpio.PullUp {
					t.Errorf("pull = %s, want PullUp", got)
				}
				r.wantState(drawer.StateClosed, 0)

				time.Sleep(time.Second)
				r.setOpen(true)
				time.Sleep(3 * time.Second)
				r.wantState(drawer.StateOpen, time.Second)
				if err := r.d.Open(t.Context()); !errors.Is(err, drawer.ErrAlreadyOpen) {
					t.Errorf("kick while open: err = %v, want ErrAlreadyOpen", err)
				}
				if got := len(r.kick.Changes()); got != 1 { // only NewGPIO's low
					t.Errorf("relay moved while open: %v", r.kick.Changes())
				}
				r.setOpen(false)
				time.Sleep(time.Second)
				r.wantState(drawer.StateClosed, 4*time.Second)
				r.wantEvents(
					drawer.Event{Kind: drawer.EventOpened, At: r.t0.Add(time.Second)},
					drawer.Event{Kind: drawer.EventClosed, At: r.t0.Add(4 * time.Second), OpenFor: 3 * time.Second},
				)
				if err := r.d.Open(t.Context()); err != nil {
					t.Errorf("kick once closed: %v", err)
				}
			})
		})
	}
}

func TestSensorPolledWithoutEdges(t *testing.T) {
	for _, pol := range []drawer.Polarity{drawer.OpenWhenHigh, drawer.OpenWhenLow} {
		t.Run(fmt.Sprint(pol), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, drawer.Options{Polarity: pol}, true)
				if got := r.sensor.Edge(); got != gpio.NoEdge {
					t.Errorf("edge = %s, want NoEdge", got)
				}
				time.Sleep(time.Second + time.Millisecond) // off the polling beat
				r.setOpen(true)
				time.Sleep(time.Second)
				r.setOpen(false)
				time.Sleep(time.Second)
				// A poll sees a change up to one period late.
				ev := r.got()
				if len(ev) != 2 || ev[0].Kind != drawer.EventOpened || ev[1].Kind != drawer.EventClosed {
					t.Fatalf("events = %v, want opened, closed", ev)
				}
				opened, closed := ev[0].At.Sub(r.t0), ev[1].At.Sub(r.t0)
				if lo, hi := 1001*time.Millisecond, 1001*time.Millisecond+drawer.DefaultPoll; opened < lo || opened > hi {
					t.Errorf("opened at %v, want within %v..%v", opened, lo, hi)
				}
				if lo, hi := 2001*time.Millisecond, 2001*time.Millisecond+drawer.DefaultPoll; closed < lo || closed > hi {
					t.Errorf("closed at %v, want within %v..%v", closed, lo, hi)
				}
				if ev[1].OpenFor != closed-opened {
					t.Errorf("open for %v, want %v", ev[1].OpenFor, closed-opened)
				}
			})
		})
	}
}

func TestDebounce(t *testing.T) {
	t.Run("bounces", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, drawer.Options{Debounce: 20 * time.Millisecond}, false)
			time.Sleep(time.Second)
			for range 3 { // the switch chatters as the drawer springs out
				r.setOpen(true)
				time.Sleep(5 * time.Millisecond)
				r.setOpen(false)
				time.Sleep(5 * time.Millisecond)
			}
			r.setOpen(true)
			time.Sleep(time.Second)
			r.wantEvents(drawer.Event{Kind: drawer.EventOpened, At: r.t0.Add(time.Second)})
		})
	})
	t.Run("glitch", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, drawer.Options{Debounce: 20 * time.Millisecond}, false)
			time.Sleep(time.Second)
			r.setOpen(true)
			time.Sleep(5 * time.Millisecond)
			r.setOpen(false)
			time.Sleep(time.Second)
			r.wantEvents()
			r.wantState(drawer.StateClosed, 0)
		})
	})
	t.Run("polled glitch", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, drawer.Options{Debounce: 20 * time.Millisecond, Poll: 50 * time.Millisecond}, true)
			time.Sleep(time.Second + 45*time.Millisecond) // just before a poll
			r.setOpen(true)
			time.Sleep(10 * time.Millisecond) // the poll sees it, the recheck does not
			r.setOpen(false)
			time.Sleep(time.Second)
			r.wantEvents()
		})
	})
}

func TestLeftOpen(t *testing.T) {
	t.Run("fires once per opening", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, drawer.Options{LeftOpenAfter: 10 * time.Second}, false)
			time.Sleep(time.Second)
			r.setOpen(true)
			time.Sleep(time.Minute)
			r.setOpen(false)
			time.Sleep(time.Second)
			r.setOpen(true)
			time.Sleep(15 * time.Second)
			r.wantEvents(
				drawer.Event{Kind: drawer.EventOpened, At: r.t0.Add(time.Second)},
				drawer.Event{Kind: drawer.EventLeftOpen, At: r.t0.Add(11 * time.Second), OpenFor: 10 * time.Second},
				drawer.Event{Kind: drawer.EventClosed, At: r.t0.Add(61 * time.Second), OpenFor: time.Minute},
				drawer.Event{Kind: drawer.EventOpened, At: r.t0.Add(62 * time.Second)},
				drawer.Event{Kind: drawer.EventLeftOpen, At: r.t0.Add(72 * time.Second), OpenFor: 10 * time.Second},
			)
		})
	})
	t.Run("closed in time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, drawer.Options{LeftOpenAfter: 10 * time.Second}, false)
			time.Sleep(time.Second)
			r.setOpen(true)
			time.Sleep(9 * time.Second)
			r.setOpen(false)
			time.Sleep(time.Minute)
			r.wantEvents(
				drawer.Event{Kind: drawer.EventOpened, At: r.t0.Add(time.Second)},
				drawer.Event{Kind: drawer.EventClosed, At: r.t0.Add(10 * time.Second), OpenFor: 9 * time.Second},
			)
		})
	})
	t.Run("polled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, drawer.Options{LeftOpenAfter: 10 * time.Second}, true)
			r.setOpen(true)
			time.Sleep(time.Minute)
			ev := r.got()
			if len(ev) != 2 || ev[1].Kind != drawer.EventLeftOpen || ev[1].OpenFor != 10*time.Second {
				t.Errorf("events = %v, want opened, left open after 10s", ev)
			}
		})
	})
}

func TestNoSensor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, err := drawer.NewGPIO(drawertest.NewPin("GPIO17", gpio.Low), nil, drawer.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if s, since := d.State(); s != drawer.StateUnknown || !since.IsZero() {
			t.Errorf("state = %s since %v, want unknown", s, since)
		}
		if err := d.Watch(t.Context()); err != nil {
			t.Errorf("Watch without a sensor = %v", err)
		}
	})
}

func TestNoKickPin(t *testing.T) {
	if _, err := drawer.NewGPIO(nil, nil, drawer.Options{}); err == nil {
		t.Error("no error without a kick pin")
	}
}
