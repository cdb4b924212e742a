package drawer_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kasirpos/kasir/drivers/drawer"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// The same drawer on periph's own fake pins: the relay pulse, the re-kick
// guard, the sensor's edges through gpiotest's EdgesChan and the left-open
// warning. In a synctest bubble gpiotest's real clock is the bubble's.
func TestWithPeriphGPIOTest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		kick := &gpiotest.Pin{N: "GPIO17", Num: 17, L: gpio.High} // left high by a crash
		sensor := &gpiotest.Pin{N: "GPIO27", Num: 27, EdgesChan: make(chan gpio.Level, 4)}
		var mu sync.Mutex
		var events []drawer.Event
		d, err := drawer.NewGPIO(kick, sensor, drawer.Options{
			Pulse: 120 * time.Millisecond, LeftOpenAfter: time.Minute, Pull: gpio.PullDown, Polarity: drawer.OpenWhenHigh,
			Logger:  quiet,
			OnEvent: func(e drawer.Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
		})
		if err != nil {
			t.Fatal(err)
		}
		if kick.Read() != gpio.Low {
			t.Fatal("NewGPIO left the relay energised")
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Watch(ctx) }()

		t0 := time.Now()
		if err := d.Open(t.Context()); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(t0); took != 120*time.Millisecond {
			t.Errorf("pulse took %v, want 120ms", took)
		}
		if kick.Read() != gpio.Low {
			t.Error("relay still energised after the pulse")
		}
		if err := d.Open(t.Context()); !errors.Is(err, drawer.ErrTooSoon) {
			t.Errorf("second kick at once: %v, want ErrTooSoon", err)
		}

		opened := time.Now()
		sensor.EdgesChan <- gpio.High
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if s, _ := d.State(); s != drawer.StateOpen {
			t.Errorf("state %s, want open", s)
		}
		sensor.EdgesChan <- gpio.Low
		time.Sleep(time.Second)
		synctest.Wait()
		if s, _ := d.State(); s != drawer.StateClosed {
			t.Errorf("state %s, want closed", s)
		}
		cancel()
		<-done

		mu.Lock()
		defer mu.Unlock()
		kinds := []drawer.EventKind{drawer.EventOpened, drawer.EventLeftOpen, drawer.EventClosed}
		if len(events) != len(kinds) {
			t.Fatalf("events %v, want %v", events, kinds)
		}
		for i, k := range kinds {
			if events[i].Kind != k {
				t.Errorf("event %d = %v, want %v", i, events[i].Kind, k)
			}
		}
		if !events[0].At.Equal(opened) || events[2].OpenFor != 2*time.Minute {
			t.Errorf("opened at %v (want %v), open for %v (want 2m)", events[0].At, opened, events[2].OpenFor)
		}
	})
}
