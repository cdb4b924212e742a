package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `kasir devices` names each USB printer with the ids and names sysfs gives.
func TestDevicesListsUSBPrinters(t *testing.T) {
	root := t.TempDir()
	mk := func(p, content string) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("dev/usb/lp0", "")
	mk("dev/usb/lp1", "")
	dev := "sys/bus/usb/devices/1-1.2"
	mk(dev+"/idVendor", "04b8\n")
	mk(dev+"/idProduct", "0202\n")
	mk(dev+"/manufacturer", "EPSON\n")
	mk(dev+"/product", "TM-T82\n")
	if err := os.MkdirAll(filepath.Join(root, dev, "1-1.2:1.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "sys/class/usbmisc/lp0/device")
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.Symlink(filepath.Join(root, dev, "1-1.2:1.0"), link); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "devices", "--root", root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serial ports", "/dev/usb/lp0  USB 04b8:0202  EPSON TM-T82", "/dev/usb/lp1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
