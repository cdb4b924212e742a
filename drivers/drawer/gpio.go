package drawer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// GPIO is a cash drawer fired by a relay on a GPIO pin, with an optional
// open sensor. Its methods are safe for concurrent use.
type GPIO struct {
	kick   gpio.PinOut
	sensor gpio.PinIn // nil without a sensor
	edges  bool       // the sensor pin reports edges; otherwise it is polled
	o      Options

	kickMu   sync.Mutex // one kick at a time
	lastKick time.Time

	mu       sync.Mutex
	state    State
	since    time.Time
	leftSent bool // the LeftOpen event of the current opening has fired
	watching bool
}

// NewGPIO drives kick low (relay off) and sets sensor, if not nil, as an
// input with both-edge detection, falling back to polling when the pin cannot
// report edges. It reads the sensor once, so State is right before Watch
// runs.
func NewGPIO(kick gpio.PinOut, sensor gpio.PinIn, opts Options) (*GPIO, error) {
	if kick == nil {
		return nil, errors.New("drawer: no kick pin")
	}
	o := opts.withDefaults()
	d := &GPIO{kick: kick, sensor: sensor, o: o}
	// A relay left high by a crashed predecessor would cook the solenoid.
	if err := kick.Out(gpio.Low); err != nil {
		return nil, fmt.Errorf("drawer: set kick pin %s low: %w", kick, err)
	}
	if sensor == nil {
		return d, nil
	}
	if err := sensor.In(o.Pull, gpio.BothEdges); err == nil {
		d.edges = true
	} else {
		o.Logger.Info("drawer sensor has no edge detection, polling", "pin", sensor.String(), "err", err)
		if err := sensor.In(o.Pull, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("drawer: set sensor pin %s as input: %w", sensor, err)
		}
	}
	d.state = d.read()
	d.since = o.Now()
	return d, nil
}

// Open fires the drawer: the relay is held high for the pulse length, then
// driven low. It returns ErrAlreadyOpen when the sensor says the drawer is
// open and ErrTooSoon within the re-kick guard, without touching the relay.
// A context cancelled during the pulse cuts it short and is returned; the
// relay is low whenever Open returns, or panics.
func (d *GPIO) Open(ctx context.Context) (err error) {
	d.kickMu.Lock()
	defer d.kickMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if st, _ := d.State(); st == StateOpen {
		return ErrAlreadyOpen
	}
	now := d.o.Now()
	// A clock set back (offline reboot, NTP) gives a negative gap; that must
	// not lock the drawer until the clock catches up.
	if gap := now.Sub(d.lastKick); d.o.Guard > 0 && !d.lastKick.IsZero() && gap >= 0 && gap < d.o.Guard {
		return ErrTooSoon
	}
	// Deferred before the relay goes high, so that no return path and no
	// panic leaves the solenoid powered.
	defer func() {
		if lerr := d.kick.Out(gpio.Low); lerr != nil && err == nil {
			err = fmt.Errorf("drawer: release relay %s: %w", d.kick, lerr)
		}
	}()
	if err := d.kick.Out(gpio.High); err != nil {
		return fmt.Errorf("drawer: kick relay %s: %w", d.kick, err)
	}
	d.lastKick = now
	t := time.NewTimer(d.o.Pulse)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("drawer: kick cut short: %w", ctx.Err())
	}
}

// State reports whether the drawer is open, closed, or unknown (no sensor),
// and since when. Without Watch running it is the level read by NewGPIO.
func (d *GPIO) State() (State, time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state, d.since
}

func (d *GPIO) read() State {
	if d.o.Polarity.open(d.sensor.Read()) {
		return StateOpen
	}
	return StateClosed
}
