package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/drivers/drawer"
	"github.com/kasirpos/kasir/drivers/escpos"
	"github.com/kasirpos/kasir/drivers/virtual"
	"periph.io/x/conn/v3/gpio"
)

// openDrawer builds the drawer the config names: the virtual one, the
// printer's kick port (dev is the printer, nil for the virtual printer), or
// a GPIO relay with an optional open sensor.
func (h *hardware) openDrawer(dev *escpos.Printer) (appliance.Drawer, error) {
	dd := h.devs.Drawer
	if dd == nil || dd.Kind == "virtual" {
		return &virtualDrawer{d: &virtual.Drawer{}}, nil
	}
	switch dd.Kind {
	case "printer":
		pin := dd.KickPin
		if pin == 0 {
			pin = 2
		}
		return &kickDrawer{dev: dev, pin: pin, v: &virtual.Drawer{}}, nil
	case "gpio":
		g := &gpioDrawer{h: h, relay: dd.Relay}
		kick, sensor, err := gpioPins(dd.Relay, dd.Sensor)
		if err != nil {
			// Sell without the drawer rather than not at all; the strip
			// says why.
			h.log.Error("cash drawer not available", "relay", dd.Relay, "sensor", dd.Sensor, "err", err)
			g.missing = err
			return g, nil
		}
		o := drawer.Options{Logger: h.log, OnEvent: g.event, Pull: gpio.PullUp, Polarity: drawer.OpenWhenLow}
		if dd.SensorOpenHigh {
			o.Pull, o.Polarity = gpio.PullDown, drawer.OpenWhenHigh
		}
		if dd.PulseMs > 0 {
			o.Pulse = time.Duration(dd.PulseMs) * time.Millisecond
		}
		if dd.LeftOpenAfter != "" {
			o.LeftOpenAfter, _ = time.ParseDuration(dd.LeftOpenAfter) // checked by wire.Devices
		}
		if g.d, err = drawer.NewGPIO(kick, sensor, o); err != nil {
			return nil, fmt.Errorf("cash drawer: %w", err)
		}
		if sensor != nil {
			h.tasks = append(h.tasks, func(ctx context.Context, h *hardware) {
				g.ctx = ctx
				if err := g.d.Watch(ctx); err != nil && ctx.Err() == nil {
					h.log.Error("drawer sensor stopped", "err", err)
				}
			})
		}
		return g, nil
	}
	return nil, fmt.Errorf("cash drawer: kind %q", dd.Kind)
}

// virtualDrawer is the make-run drawer.
type virtualDrawer struct{ d *virtual.Drawer }

func (d *virtualDrawer) Open(ctx context.Context) error { return d.d.Open(ctx) }
func (d *virtualDrawer) Status() appliance.DeviceStatus {
	return appliance.DeviceStatus{Name: "virtual", State: appliance.DeviceOK}
}

// kickDrawer is a drawer on the printer's kick connector: ESC p through the
// printer, refused while the printer is offline (it would open later, when
// nobody expects it).
type kickDrawer struct {
	dev *escpos.Printer // nil: the virtual printer
	v   *virtual.Drawer
	pin int

	mu      sync.Mutex
	lastErr error
}

func (d *kickDrawer) Open(ctx context.Context) error {
	var err error
	if d.dev == nil {
		err = d.v.Open(ctx)
	} else {
		err = d.dev.Kick(ctx, d.pin, escpos.DefaultKickOn, escpos.DefaultKickOff)
	}
	d.mu.Lock()
	d.lastErr = err
	d.mu.Unlock()
	if err != nil {
		return &appliance.DeviceFault{State: faultState(err), Err: err}
	}
	return nil
}

func (d *kickDrawer) Status() appliance.DeviceStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := appliance.DeviceStatus{Name: fmt.Sprintf("printer kick pin %d", d.pin), State: appliance.DeviceOK}
	if d.lastErr != nil {
		st.State, st.Detail = faultState(d.lastErr), d.lastErr.Error()
	}
	return st
}

// gpioDrawer is a drawer on a relay, with an open sensor when wired: its
// openings are journaled by the till once they close, and one left open
// past the warning time shows on the strip.
type gpioDrawer struct {
	h       *hardware
	relay   string
	d       *drawer.GPIO // nil when the pins are missing
	missing error
	ctx     context.Context

	mu       sync.Mutex
	openedAt time.Time
	leftOpen bool
}

func (g *gpioDrawer) Open(ctx context.Context) error {
	if g.d == nil {
		return &appliance.DeviceFault{State: appliance.DeviceAbsent, Err: g.missing}
	}
	err := g.d.Open(ctx)
	if errors.Is(err, drawer.ErrAlreadyOpen) {
		return nil // the cashier can already reach the money
	}
	if err != nil {
		return &appliance.DeviceFault{State: appliance.DeviceError, Err: err}
	}
	return nil
}

func (g *gpioDrawer) Status() appliance.DeviceStatus {
	st := appliance.DeviceStatus{Name: "GPIO " + g.relay, State: appliance.DeviceOK}
	if g.d == nil {
		st.State, st.Detail = appliance.DeviceAbsent, g.missing.Error()
		return st
	}
	s, since := g.d.State()
	st.Since = since
	st.Detail = s.String()
	g.mu.Lock()
	defer g.mu.Unlock()
	if s == drawer.StateOpen && g.leftOpen {
		// Open for a sale is normal; left open is what the strip warns of.
		st.State, st.Detail = appliance.DeviceOpen, "left open since "+since.Format("15:04:05")
	}
	return st
}

// event follows the sensor: an opening is journaled when it closes.
func (g *gpioDrawer) event(e drawer.Event) {
	g.mu.Lock()
	switch e.Kind {
	case drawer.EventOpened:
		g.openedAt, g.leftOpen = e.At, false
		g.mu.Unlock()
		return
	case drawer.EventLeftOpen:
		g.leftOpen = true
		g.mu.Unlock()
		g.h.log.Warn("cash drawer left open", "open_for", e.OpenFor)
		return
	}
	opened, left := g.openedAt, g.leftOpen
	if opened.IsZero() {
		opened = e.At.Add(-e.OpenFor)
	}
	g.openedAt, g.leftOpen = time.Time{}, false
	g.mu.Unlock()
	g.h.mu.Lock()
	till := g.h.till
	g.h.mu.Unlock()
	ctx := g.ctx
	if till == nil || ctx == nil {
		return
	}
	if err := till.DrawerClosed(ctx, opened, e.At, left); err != nil {
		g.h.log.Error("journal drawer opening", "err", err)
	}
}
