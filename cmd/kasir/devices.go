package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.bug.st/serial/enumerator"
)

// devices lists what a technician can put in the devices section: serial
// ports (with USB vendor and product ids) and USB printer-class devices.
func devices(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, _ := newFlags("devices", stderr)
	root := fs.String("root", "/", "filesystem root to look in (for tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "serial ports (printer transport \"serial\", display, scanners):")
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		fmt.Fprintf(stdout, "  cannot list: %v\n", err)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	n := 0
	for _, p := range ports {
		if !p.IsUSB && !strings.HasPrefix(filepath.Base(p.Name), "ttyAMA") && !strings.HasPrefix(filepath.Base(p.Name), "ttyS0") {
			continue // the dozens of legacy ttyS ports every PC kernel makes
		}
		n++
		line := "  " + p.Name
		if p.IsUSB {
			line += fmt.Sprintf("  USB %s:%s", strings.ToLower(p.VID), strings.ToLower(p.PID))
			if p.Product != "" {
				line += "  " + p.Product
			}
			if p.SerialNumber != "" {
				line += "  serial " + p.SerialNumber
			}
		}
		fmt.Fprintln(stdout, line)
	}
	if n == 0 {
		fmt.Fprintln(stdout, "  none found")
	}

	fmt.Fprintln(stdout, "USB printers (printer transport \"usb\"):")
	lps := usbPrinters(*root)
	for _, p := range lps {
		fmt.Fprintln(stdout, "  "+p)
	}
	if len(lps) == 0 {
		fmt.Fprintln(stdout, "  none found")
	}
	return nil
}

// usbPrinters lists /dev/usb/lp* with the USB ids and names sysfs gives for
// each: /sys/class/usbmisc/lpN/device is the printer's USB interface, whose
// parent is the device with idVendor, idProduct, manufacturer and product.
func usbPrinters(root string) []string {
	devs, _ := filepath.Glob(filepath.Join(root, "dev/usb/lp*"))
	sort.Strings(devs)
	var out []string
	for _, d := range devs {
		name := filepath.Base(d)
		line := "/dev/usb/" + name
		iface, err := filepath.EvalSymlinks(filepath.Join(root, "sys/class/usbmisc", name, "device"))
		if err == nil {
			dev := filepath.Dir(iface)
			read := func(f string) string {
				b, _ := os.ReadFile(filepath.Join(dev, f))
				return strings.TrimSpace(string(b))
			}
			if v, p := read("idVendor"), read("idProduct"); v != "" {
				line += fmt.Sprintf("  USB %s:%s", v, p)
			}
			if s := strings.TrimSpace(read("manufacturer") + " " + read("product")); s != "" {
				line += "  " + s
			}
		}
		out = append(out, line)
	}
	return out
}
