package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/web"
	"github.com/kasirpos/kasir/drivers/display"
	"github.com/kasirpos/kasir/drivers/escpos"
	"github.com/kasirpos/kasir/drivers/scanner"
	"github.com/kasirpos/kasir/drivers/virtual"
	"github.com/kasirpos/kasir/wire"
	"go.bug.st/serial"
)

// hardware is the till's peripherals as its devices config names them.
// Only this file and its siblings open ports and look pins up; the drivers
// are handed what they drive. A device that is missing or unplugged is a
// status on the strip and a line in the log, never a reason not to start.
type hardware struct {
	printer appliance.Printer
	paper   appliance.PrintArchive // the virtual printer's paper, nil for a real one
	drawer  appliance.Drawer
	width   int // the printer's characters per line, 0 to keep the config's

	// wake fires when the printer becomes printable, for the print queue.
	wake chan struct{}
	// display gets what the customer sees, latest first.
	display chan appliance.CustomerView

	log   *slog.Logger
	devs  wire.Devices
	tasks []func(ctx context.Context, h *hardware) // run once the till and web exist

	mu     sync.Mutex
	till   *appliance.Till
	web    *web.Server
	states map[string]appliance.DeviceStatus // pole display and scanners, by name
}

// setState records a pole display's or scanner's state for the strip.
func (h *hardware) setState(name string, state appliance.DeviceState, detail string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.states == nil {
		h.states = map[string]appliance.DeviceStatus{}
	}
	old := h.states[name]
	if old.State == state && old.Detail == detail {
		return
	}
	h.states[name] = appliance.DeviceStatus{Name: name, State: state, Detail: detail, Since: time.Now()}
}

// devices is the till's Devices hook: the pole display and scanners, in a
// stable order.
func (h *hardware) devices() []appliance.DeviceStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]appliance.DeviceStatus, 0, len(h.states))
	for _, st := range h.states {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b appliance.DeviceStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// openHardware builds the peripherals. Nothing here waits on a device.
func openHardware(devs *wire.Devices, data string, log *slog.Logger) (*hardware, error) {
	h := &hardware{log: log, wake: make(chan struct{}, 1)}
	if devs != nil {
		h.devs = *devs
	}
	var dev *escpos.Printer
	switch pd := h.devs.Printer; {
	case pd == nil || pd.Transport == "virtual":
		profile, err := printerProfile(pd)
		if err != nil {
			return nil, err
		}
		vp, err := virtual.NewPrinter(filepath.Join(data, "printer"), nil)
		if err != nil {
			return nil, err
		}
		v := &virtualPrinter{p: vp, profile: profile}
		h.printer, h.paper = v, v
		if pd != nil {
			h.width = profile.Columns
		}
	default:
		profile, err := printerProfile(pd)
		if err != nil {
			return nil, err
		}
		dial, where := printerDialer(pd)
		dev = escpos.New(dial, profile, escpos.Options{
			Logger: log,
			OnChange: func(s escpos.State) {
				log.Info("printer state", "printer", where, "state", s.Code, "detail", s.Detail)
				if s.Code.Printable() {
					select {
					case h.wake <- struct{}{}:
					default:
					}
				}
			},
		})
		h.printer = &escposPrinter{dev: dev, profile: profile, where: where}
		h.width = profile.Columns
		h.tasks = append(h.tasks, func(ctx context.Context, h *hardware) { dev.Watch(ctx) })
	}

	d, err := h.openDrawer(dev)
	if err != nil {
		return nil, err
	}
	h.drawer = d

	if dd := h.devs.Display; dd != nil {
		proto, err := display.ParseProtocol(dd.Protocol)
		if err != nil {
			return nil, fmt.Errorf("display: %w", err)
		}
		h.display = make(chan appliance.CustomerView, 1)
		h.tasks = append(h.tasks, func(ctx context.Context, h *hardware) { h.runDisplay(ctx, dd, proto) })
	}
	for _, sd := range h.devs.Scanners {
		h.tasks = append(h.tasks, func(ctx context.Context, h *hardware) { h.runScanner(ctx, sd) })
	}
	return h, nil
}

// start runs the device loops once the till and its web server exist.
func (h *hardware) start(ctx context.Context, till *appliance.Till, srv *web.Server) {
	h.mu.Lock()
	h.till, h.web = till, srv
	h.mu.Unlock()
	for _, task := range h.tasks {
		go task(ctx, h)
	}
	go till.RunPrinter(ctx, h.wake, 5*time.Second)
}

// showCustomer is the till's OnCustomer hook: it must not block, so only the
// newest view waits for the display.
func (h *hardware) showCustomer(v appliance.CustomerView) {
	if h.display == nil {
		return
	}
	for {
		select {
		case h.display <- v:
			return
		default:
		}
		select {
		case <-h.display: // drop the older view
		default:
		}
	}
}

// printerDialer opens the printer's link as the config says. Only the main
// calls serial.Open.
func printerDialer(pd *wire.PrinterDevice) (escpos.Dialer, string) {
	switch pd.Transport {
	case "serial":
		path, baud := pd.Path, pd.Baud
		if baud == 0 {
			baud = 9600
		}
		return escpos.SerialDialer(func() (escpos.SerialPort, error) {
			p, err := serial.Open(path, &serial.Mode{BaudRate: baud})
			if err != nil {
				if isMissing(err) {
					return nil, fmt.Errorf("%w: %s: %w", escpos.ErrAbsent, path, err)
				}
				return nil, fmt.Errorf("open %s: %w", path, err)
			}
			return p, nil
		}), path
	case "tcp":
		return escpos.TCPDialer(pd.Addr, 5*time.Second), pd.Addr
	default: // usb
		return escpos.DeviceFileDialer(pd.Path), pd.Path
	}
}

// isMissing tells an unplugged serial device from one that fails otherwise.
func isMissing(err error) bool {
	var pe *serial.PortError
	return errors.As(err, &pe) && pe.Code() == serial.PortNotFound
}

// escposPrinter is the till's Printer on a real ESC/POS printer.
type escposPrinter struct {
	dev     *escpos.Printer
	profile escpos.Profile
	where   string
}

func (p *escposPrinter) Print(ctx context.Context, r *appliance.Receipt) error {
	b, err := renderReceipt(r, p.profile)
	if err != nil {
		return err
	}
	if err := p.dev.Print(ctx, b); err != nil {
		return &appliance.DeviceFault{State: faultState(err), Err: err}
	}
	return nil
}

// faultState is the strip's word for a driver error.
func faultState(err error) appliance.DeviceState {
	switch {
	case errors.Is(err, escpos.ErrPaperOut):
		return appliance.DevicePaperOut
	case errors.Is(err, escpos.ErrCoverOpen):
		return appliance.DeviceCover
	case errors.Is(err, escpos.ErrAbsent):
		return appliance.DeviceAbsent
	case errors.Is(err, escpos.ErrOffline), errors.Is(err, escpos.ErrNoAnswer), errors.Is(err, escpos.ErrTimeout):
		return appliance.DeviceOffline
	}
	return appliance.DeviceError
}

func (p *escposPrinter) Status() appliance.DeviceStatus {
	s := p.dev.State()
	st := appliance.DeviceStatus{Name: p.profile.Name + " " + p.where, Detail: s.Detail, Since: s.Since}
	switch s.Code {
	case escpos.StateOK, escpos.StateUnknown:
		st.State = appliance.DeviceOK
	case escpos.StatePaperLow:
		st.State = appliance.DevicePaperLow
	case escpos.StatePaperOut:
		st.State = appliance.DevicePaperOut
	case escpos.StateCoverOpen:
		st.State = appliance.DeviceCover
	case escpos.StateOffline:
		st.State = appliance.DeviceOffline
	case escpos.StateAbsent:
		st.State = appliance.DeviceAbsent
	default:
		st.State = appliance.DeviceError
	}
	return st
}

// runDisplay keeps the pole display showing what the customer sees: the
// item as it is scanned, then, once scanning pauses, the total; what was
// paid and the change; the greeting when idle. An unplugged display is
// opened again at the next change.
func (h *hardware) runDisplay(ctx context.Context, dd *wire.DisplayDevice, proto display.Protocol) {
	const totalAfter = 3 * time.Second
	var (
		port   serial.Port
		disp   *display.Display
		failed bool
	)
	defer func() {
		if port != nil {
			port.Close()
		}
	}()
	name := "display " + dd.Path
	h.setState(name, appliance.DeviceOffline, "not opened yet")
	show := func(f func(d *display.Display) error) {
		if disp == nil {
			baud := dd.Baud
			if baud == 0 {
				baud = 9600
			}
			p, err := serial.Open(dd.Path, &serial.Mode{BaudRate: baud})
			if err != nil {
				if !failed {
					h.log.Warn("customer display not available", "path", dd.Path, "err", err)
				}
				h.setState(name, appliance.DeviceAbsent, err.Error())
				failed = true
				return
			}
			d, err := display.New(p, proto, display.Options{Greeting: dd.Greeting})
			if err != nil {
				p.Close()
				h.log.Error("customer display", "path", dd.Path, "err", err)
				failed = true
				return
			}
			port, disp = p, d
			if failed {
				h.log.Info("customer display back", "path", dd.Path)
			}
			failed = false
		}
		if err := f(disp); err != nil {
			h.log.Warn("customer display write failed", "path", dd.Path, "err", err)
			h.setState(name, appliance.DeviceOffline, err.Error())
			port.Close()
			port, disp, failed = nil, nil, true
			return
		}
		h.setState(name, appliance.DeviceOK, "")
	}
	show((*display.Display).Idle)
	var totalTimer <-chan time.Time
	var last appliance.CustomerView
	for {
		select {
		case <-ctx.Done():
			return
		case <-totalTimer:
			totalTimer = nil
			show(func(d *display.Display) error { return d.Total(last.Total.String()) })
		case v := <-h.display:
			last, totalTimer = v, nil
			switch v.State {
			case appliance.CustomerCart:
				if v.Last != nil {
					show(func(d *display.Display) error { return d.Item(v.Last.Name, v.Last.Net.String()) })
					totalTimer = time.After(totalAfter)
				}
			case appliance.CustomerPaying:
				// The customer scans the code on the screen; the pole says
				// how much it is for.
				show(func(d *display.Display) error { return d.Item("BAYAR DENGAN QRIS", v.QRAmount.String()) })
			case appliance.CustomerPaid:
				show(func(d *display.Display) error { return d.Paid(v.Paid.String(), v.Change.String()) })
			default:
				show((*display.Display).Idle)
			}
		}
	}
}

// runScanner reads a serial scanner's codes into the till screen's scan
// path, opening the port again after an unplug.
func (h *hardware) runScanner(ctx context.Context, sd wire.ScannerDevice) {
	baud := sd.Baud
	if baud == 0 {
		baud = 9600
	}
	failed := false
	name := "scanner " + sd.Path
	for ctx.Err() == nil {
		p, err := serial.Open(sd.Path, &serial.Mode{BaudRate: baud})
		if err == nil {
			// A read timeout lets the reader notice ctx; the port answers
			// (0, nil) when it passes.
			err = p.SetReadTimeout(200 * time.Millisecond)
		}
		if err != nil {
			if p != nil {
				p.Close()
			}
			if !failed {
				h.log.Warn("scanner not available", "path", sd.Path, "err", err)
			}
			h.setState(name, appliance.DeviceAbsent, err.Error())
			failed = true
		} else {
			h.log.Info("scanner connected", "path", sd.Path)
			h.setState(name, appliance.DeviceOK, "")
			failed = false
			err = scanner.Scanner{Logger: h.log}.Run(ctx, p, func(code string) {
				h.mu.Lock()
				srv := h.web
				h.mu.Unlock()
				srv.Scan(code)
			})
			p.Close()
			if ctx.Err() == nil {
				h.log.Warn("scanner lost", "path", sd.Path, "err", err)
				h.setState(name, appliance.DeviceAbsent, err.Error())
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}
