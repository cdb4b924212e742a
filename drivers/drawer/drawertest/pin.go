// Package drawertest has a fake GPIO pin for testing drivers that are handed
// periph pins. It records every level driven with the time it was driven, and
// lets a test move an input and raise edges. Its waits use the time package,
// so inside a testing/synctest bubble they run on the bubble's fake clock.
//
// periph's own gpiotest.Pin would serve too, but it brings in a clock module
// the till does not otherwise need, and it does not record output history.
package drawertest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

// Change is one level driven with Out.
type Change struct {
	Level gpio.Level
	At    time.Time
}

func (c Change) String() string { return fmt.Sprintf("%s@%s", c.Level, c.At.Format("15:04:05.000")) }

// Pin is a fake gpio.PinIO. Make it with NewPin.
type Pin struct {
	name string
	// NoEdges makes In refuse edge detection, like a pin without interrupt
	// support. Set it before the pin is handed out.
	NoEdges bool
	// PanicOnHigh makes Out(gpio.High) drive the pin high and then panic, to
	// check that a driver still releases it. Set it before use.
	PanicOnHigh bool
	// Now stamps recorded changes; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	level   gpio.Level
	pull    gpio.Pull
	edge    gpio.Edge
	changes []Change
	edges   chan struct{} // at most one pending edge, as edges may coalesce
}

// NewPin returns a pin reading level. Inside a synctest bubble, make it
// inside the bubble.
func NewPin(name string, level gpio.Level) *Pin {
	return &Pin{name: name, level: level, edges: make(chan struct{}, 1)}
}

// Set moves the input to l, as the outside world would, and raises an edge
// if the level changed and edge detection asked for this direction.
func (p *Pin) Set(l gpio.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.level == l {
		return
	}
	p.level = l
	if p.edge == gpio.BothEdges || (p.edge == gpio.RisingEdge && l == gpio.High) || (p.edge == gpio.FallingEdge && l == gpio.Low) {
		select {
		case p.edges <- struct{}{}:
		default:
		}
	}
}

// Changes returns the levels driven with Out so far, oldest first.
func (p *Pin) Changes() []Change {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Change(nil), p.changes...)
}

// Edge returns the edge detection asked for by the last In.
func (p *Pin) Edge() gpio.Edge {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.edge
}

// String implements conn.Resource.
func (p *Pin) String() string { return p.name }

// Halt implements conn.Resource.
func (p *Pin) Halt() error { return nil }

// Name implements pin.Pin.
func (p *Pin) Name() string { return p.name }

// Number implements pin.Pin.
func (p *Pin) Number() int { return -1 }

// Function implements pin.Pin.
func (p *Pin) Function() string { return "" }

// In implements gpio.PinIn. It drops a pending edge, as real pins try to.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	if p.NoEdges && edge != gpio.NoEdge {
		return errors.New("drawertest: pin has no edge detection")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pull, p.edge = pull, edge
	select {
	case <-p.edges:
	default:
	}
	return nil
}

// Read implements gpio.PinIn.
func (p *Pin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// WaitForEdge implements gpio.PinIn; a negative timeout waits forever.
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	if timeout < 0 {
		<-p.edges
		return true
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.edges:
		return true
	case <-t.C:
		return false
	}
}

// Pull implements gpio.PinIn: the pull asked for by the last In.
func (p *Pin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullNoChange }

// Out implements gpio.PinOut and records the change.
func (p *Pin) Out(l gpio.Level) error {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	p.mu.Lock()
	p.level = l
	p.changes = append(p.changes, Change{Level: l, At: now()})
	p.mu.Unlock()
	if l == gpio.High && p.PanicOnHigh {
		panic("drawertest: pin " + p.name + " panics on high")
	}
	return nil
}

// PWM implements gpio.PinOut; the fake has none.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error {
	return errors.New("drawertest: no PWM")
}

var _ gpio.PinIO = (*Pin)(nil)
