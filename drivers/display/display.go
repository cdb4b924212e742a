package display

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// DefaultGreeting is what Idle shows when Options.Greeting is empty.
var DefaultGreeting = []string{"SELAMAT DATANG", "TERIMA KASIH"}

// Labels are the words shown next to amounts.
type Labels struct {
	Total  string // "TOTAL"
	Paid   string // "BAYAR"
	Change string // "KEMBALI"
}

// Options describe the display. The zero value is a 20x2 display with
// Indonesian labels and greeting.
type Options struct {
	Columns  int      // characters per line, 1..40; zero means 20
	Rows     int      // lines, 1 or 2; zero means 2
	Greeting []string // lines for Idle, centred; empty means DefaultGreeting
	Labels   Labels   // empty fields take the Indonesian defaults
}

// Display is a customer pole display. Its methods are safe for concurrent
// use; each sends one whole screen in one Write.
type Display struct {
	w io.Writer
	p Protocol
	o Options

	mu    sync.Mutex
	ready bool // initialised since the last write error
}

// New returns a display speaking p on w. It writes nothing until the first
// screen.
func New(w io.Writer, p Protocol, o Options) (*Display, error) {
	if w == nil {
		return nil, errors.New("display: no writer")
	}
	if p != CD5220 && p != Epson {
		return nil, fmt.Errorf("display: unknown protocol %v", p)
	}
	if o.Columns == 0 {
		o.Columns = 20
	}
	if o.Rows == 0 {
		o.Rows = 2
	}
	if o.Columns < 1 || o.Columns > 40 || o.Rows < 1 || o.Rows > 2 {
		return nil, fmt.Errorf("display: %dx%d is not a pole display (want up to 40 columns, 1 or 2 rows)", o.Columns, o.Rows)
	}
	if len(o.Greeting) == 0 {
		o.Greeting = DefaultGreeting
	}
	if o.Labels.Total == "" {
		o.Labels.Total = "TOTAL"
	}
	if o.Labels.Paid == "" {
		o.Labels.Paid = "BAYAR"
	}
	if o.Labels.Change == "" {
		o.Labels.Change = "KEMBALI"
	}
	return &Display{w: w, p: p, o: o}, nil
}

// Item shows an item as it is scanned: its name on the top line, its price
// right-aligned below (both on one line on a one-row display).
func (d *Display) Item(name, price string) error {
	if d.o.Rows == 1 {
		return d.show(d.fit(name, price))
	}
	return d.show(d.fit(name, ""), d.fit("", price))
}

// Total shows the amount due.
func (d *Display) Total(amount string) error {
	if d.o.Rows == 1 {
		return d.show(d.fit(d.o.Labels.Total, amount))
	}
	return d.show(d.fit(d.o.Labels.Total, ""), d.fit("", amount))
}

// Paid shows what the customer paid and the change; a one-row display shows
// only the change.
func (d *Display) Paid(paid, change string) error {
	if d.o.Rows == 1 {
		return d.show(d.fit(d.o.Labels.Change, change))
	}
	return d.show(d.fit(d.o.Labels.Paid, paid), d.fit(d.o.Labels.Change, change))
}

// Idle shows the greeting.
func (d *Display) Idle() error {
	lines := make([]string, d.o.Rows)
	for i := range lines {
		g := ""
		if i < len(d.o.Greeting) {
			g = d.o.Greeting[i]
		}
		lines[i] = center(g, d.o.Columns)
	}
	return d.show(lines...)
}

// Clear blanks the display.
func (d *Display) Clear() error {
	return d.send(func(b []byte) []byte { return append(b, clr) })
}

func (d *Display) fit(left, right string) string { return fit(left, right, d.o.Columns) }

func (d *Display) show(lines ...string) error {
	return d.send(func(b []byte) []byte { return d.p.frame(b, lines) })
}

// send writes one screen, preceded by the initialisation when the display
// may have been reset. A failed write is returned (the display is unplugged
// or off) and makes the next screen initialise again.
func (d *Display) send(screen func([]byte) []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b []byte
	if !d.ready {
		b = d.p.initSeq()
	}
	b = screen(b)
	n, err := d.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		d.ready = false
		return fmt.Errorf("display: write: %w", err)
	}
	d.ready = true
	return nil
}
