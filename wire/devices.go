package wire

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Devices says which peripherals a till has and where: it travels in the
// provisioning file (kasir.json) or a devices file of its own. A device left
// out is not there; the printer and drawer then default to the virtual ones
// (make run), and no device is ever a reason not to sell.
type Devices struct {
	Printer  *PrinterDevice  `json:"printer,omitempty"`
	Drawer   *DrawerDevice   `json:"drawer,omitempty"`
	Display  *DisplayDevice  `json:"display,omitempty"`
	Scanners []ScannerDevice `json:"scanners,omitempty"`
}

// PrinterDevice is a receipt printer.
type PrinterDevice struct {
	// Transport: "serial" (Path, Baud), "usb" (a printer-class device file
	// such as /dev/usb/lp0 in Path), "tcp" (Addr host:9100) or "virtual".
	Transport string `json:"transport"`
	Path      string `json:"path,omitempty"`
	Addr      string `json:"addr,omitempty"`
	Baud      int    `json:"baud,omitempty"`
	// Profile names a preset: epson-tm-t82, epson-tm-t20, xprinter-xp-58,
	// xprinter-xp-80, generic-58.
	Profile string `json:"profile"`
	// Columns overrides the preset's characters per line (32, 42 or 48).
	Columns int `json:"columns,omitempty"`
}

// DrawerDevice is the cash drawer.
type DrawerDevice struct {
	// Kind: "printer" (the printer's kick port, KickPin 2 or 5), "gpio"
	// (a relay on Relay, an optional open sensor on Sensor) or "virtual".
	Kind    string `json:"kind"`
	KickPin int    `json:"kick_pin,omitempty"`
	Relay   string `json:"relay,omitempty"`  // GPIO name, "GPIO17"
	Sensor  string `json:"sensor,omitempty"` // GPIO name, "GPIO27"
	// SensorOpenHigh: the sensor reads high while the drawer is open;
	// false: low while open.
	SensorOpenHigh bool `json:"sensor_open_high,omitempty"`
	PulseMs        int  `json:"pulse_ms,omitempty"`
	// LeftOpenAfter is when an open drawer turns into a warning.
	LeftOpenAfter string `json:"left_open_after,omitempty"` // "60s"
}

// DisplayDevice is a customer pole display on a serial port.
type DisplayDevice struct {
	Path     string   `json:"path"`
	Baud     int      `json:"baud,omitempty"`
	Protocol string   `json:"protocol"` // "cd5220" or "epson"
	Greeting []string `json:"greeting,omitempty"`
}

// ScannerDevice is a barcode scanner on a serial port (USB-CDC: /dev/ttyACM0).
type ScannerDevice struct {
	Path string `json:"path"`
	Baud int    `json:"baud,omitempty"`
}

// Problems lists what is wrong, in words a technician can act on.
func (d *Devices) Problems() []string {
	var out []string
	if p := d.Printer; p != nil {
		switch p.Transport {
		case "serial", "usb":
			if p.Path == "" {
				out = append(out, fmt.Sprintf("printer: transport %s needs a path (e.g. /dev/ttyUSB0, /dev/usb/lp0)", p.Transport))
			}
		case "tcp":
			if p.Addr == "" {
				out = append(out, "printer: transport tcp needs addr host:9100")
			}
		case "virtual":
		default:
			out = append(out, fmt.Sprintf("printer: transport %q: use serial, usb, tcp or virtual", p.Transport))
		}
		if p.Baud < 0 {
			out = append(out, "printer: baud must be positive")
		}
		if p.Columns != 0 && p.Columns != 32 && p.Columns != 42 && p.Columns != 48 {
			out = append(out, fmt.Sprintf("printer: columns %d: use 32, 42 or 48", p.Columns))
		}
	}
	if d := d.Drawer; d != nil {
		switch d.Kind {
		case "printer":
			if d.KickPin != 0 && d.KickPin != 2 && d.KickPin != 5 {
				out = append(out, fmt.Sprintf("drawer: kick_pin %d: use 2 or 5", d.KickPin))
			}
		case "gpio":
			if d.Relay == "" {
				out = append(out, "drawer: gpio needs relay (a pin name such as GPIO17)")
			}
		case "virtual":
		default:
			out = append(out, fmt.Sprintf("drawer: kind %q: use printer, gpio or virtual", d.Kind))
		}
		if d.LeftOpenAfter != "" {
			if v, err := time.ParseDuration(d.LeftOpenAfter); err != nil || v <= 0 {
				out = append(out, fmt.Sprintf("drawer: left_open_after %q: use a duration such as 60s", d.LeftOpenAfter))
			}
		}
	}
	if p := d.Display; p != nil {
		if p.Path == "" {
			out = append(out, "display: path is missing (e.g. /dev/ttyUSB1)")
		}
		if p.Protocol != "cd5220" && p.Protocol != "epson" {
			out = append(out, fmt.Sprintf("display: protocol %q: use cd5220 or epson", p.Protocol))
		}
	}
	for i, s := range d.Scanners {
		if s.Path == "" {
			out = append(out, fmt.Sprintf("scanner %d: path is missing (e.g. /dev/ttyACM0)", i+1))
		}
	}
	return out
}

// ReadDevices reads and checks a devices file.
func ReadDevices(path string) (*Devices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Devices
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: not a devices file: %v", path, err)
	}
	if probs := d.Problems(); len(probs) > 0 {
		return &d, fmt.Errorf("%s: %s", path, strings.Join(probs, "; "))
	}
	return &d, nil
}
