package drawer

import (
	"errors"
	"log/slog"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Limits and defaults of the kick pulse and the sensor handling.
const (
	MinPulse     = 50 * time.Millisecond
	MaxPulse     = 250 * time.Millisecond
	DefaultPulse = 100 * time.Millisecond

	DefaultGuard         = time.Second
	DefaultLeftOpenAfter = 30 * time.Second
	DefaultDebounce      = 20 * time.Millisecond
	DefaultPoll          = 50 * time.Millisecond
)

var (
	// ErrAlreadyOpen is returned by Open when the sensor says the drawer is
	// already open.
	ErrAlreadyOpen = errors.New("drawer: already open")
	// ErrTooSoon is returned by Open within Options.Guard of the last kick.
	ErrTooSoon = errors.New("drawer: kicked too soon after the last kick")
)

// Polarity says which sensor level means "open".
type Polarity int

const (
	// OpenWhenHigh: the switch pulls the pin low while the drawer is shut,
	// the usual wiring with a pull-up.
	OpenWhenHigh Polarity = iota
	// OpenWhenLow: the pin reads low while the drawer is open.
	OpenWhenLow
)

func (p Polarity) String() string {
	if p == OpenWhenLow {
		return "open-when-low"
	}
	return "open-when-high"
}

func (p Polarity) open(l gpio.Level) bool {
	if p == OpenWhenLow {
		return l == gpio.Low
	}
	return l == gpio.High
}

// State is what the drawer is known to be.
type State int

const (
	// StateUnknown: there is no sensor.
	StateUnknown State = iota
	StateClosed
	StateOpen
)

func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateOpen:
		return "open"
	}
	return "unknown"
}

// EventKind names what happened to the drawer.
type EventKind int

const (
	EventOpened EventKind = iota + 1
	EventClosed
	// EventLeftOpen fires once per opening, Options.LeftOpenAfter after it.
	EventLeftOpen
)

func (k EventKind) String() string {
	switch k {
	case EventOpened:
		return "opened"
	case EventClosed:
		return "closed"
	case EventLeftOpen:
		return "left open"
	}
	return "unknown"
}

// Event is one change seen by the sensor.
type Event struct {
	Kind EventKind
	// At is when the drawer opened or closed (the first edge, before
	// debouncing), or when the left-open warning fired.
	At time.Time
	// OpenFor is how long the drawer has been open, for EventClosed and
	// EventLeftOpen.
	OpenFor time.Duration
}

// Options tune the drawer. The zero value is usable: defaults apply to zero
// durations.
type Options struct {
	// Pulse is how long the relay is held; zero means DefaultPulse, and it is
	// clamped to MinPulse..MaxPulse.
	Pulse time.Duration
	// Guard is the least time between two kicks; zero means DefaultGuard,
	// negative means none.
	Guard time.Duration
	// LeftOpenAfter is how long the drawer may stay open before an EventLeftOpen
	// event; zero means DefaultLeftOpenAfter, negative means never.
	LeftOpenAfter time.Duration
	// Polarity of the sensor.
	Polarity Polarity
	// Pull is the sensor's pull resistor. The zero value, gpio.PullNoChange,
	// keeps the board's setting; a switch to ground wants gpio.PullUp.
	Pull gpio.Pull
	// Debounce is how long the sensor must be quiet before its level counts;
	// zero means DefaultDebounce.
	Debounce time.Duration
	// Poll is the sensor's polling period on pins without edge detection;
	// zero means DefaultPoll.
	Poll time.Duration
	// OnEvent is called from Watch's goroutine for every Event; it must not
	// block for long.
	OnEvent func(Event)
	// Now tells the time for events, State and the re-kick guard; nil means
	// time.Now. Waits use the time package's timers.
	Now func() time.Time
	// Logger receives sensor trouble; nil means slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Pulse == 0 {
		o.Pulse = DefaultPulse
	}
	o.Pulse = min(max(o.Pulse, MinPulse), MaxPulse)
	if o.Guard == 0 {
		o.Guard = DefaultGuard
	}
	if o.LeftOpenAfter == 0 {
		o.LeftOpenAfter = DefaultLeftOpenAfter
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = o.Logger.With("component", "drawer")
	return o
}
