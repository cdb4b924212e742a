// Command kasir-init is the till's init, /gokrazy/init in the image that
// `kasir-image build` writes: Kasir's own steps for /perm (format it when
// blank; at first boot, make this till's update password and print it once
// on the console, and copy kasir.json from the boot partition), then
// gokrazy's Boot, then gokrazy's supervisor running dhcp (on eth0
// and on usb0), ntp, randomd and the till.
//
// The same binary, started as /user/till (a symlink to it), runs the till
// and copies its log to the serial console as well as to gokrazy's log.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// buildTimestamp is set by the image builder and shown by gokrazy's web UI.
var buildTimestamp = "unknown"

func main() {
	var err error
	switch {
	case filepath.Base(os.Args[0]) == "till":
		err = runTill(os.Args[1:])
	case os.Getpid() == 1:
		err = initMain()
	default:
		err = fmt.Errorf("run as the kernel's init (pid 1) or as till")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kasir-init:", err)
		os.Exit(1)
	}
}
