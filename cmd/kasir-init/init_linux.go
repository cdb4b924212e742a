package main

import (
	"log"
	"os/exec"

	"github.com/gokrazy/gokrazy"
)

// tillLink is the symlink to this binary that runs the till; gokrazy names
// a service after its binary, so the web UI lists it as "till".
const tillLink = "/user/till"

func initMain() error {
	// /perm must be formatted, and its first-boot files in place, before
	// Boot mounts it and reads the web UI password from it.
	if err := preparePerm(); err != nil {
		log.Printf("kasir-init: /perm: %v", err)
	}
	if err := gokrazy.Boot(buildTimestamp); err != nil {
		return err
	}
	services := []*gokrazy.Service{
		gokrazy.NewService(exec.Command("/gokrazy/dhcp")),
		// USB network adapters and QEMU's raspi3b usb-net come up as
		// usb0; this one waits for it, harmlessly, where there is none.
		gokrazy.NewService(exec.Command("/gokrazy/dhcp", "-interface=usb0")),
		gokrazy.NewService(exec.Command("/gokrazy/ntp")),
		gokrazy.NewService(exec.Command("/gokrazy/randomd")),
		gokrazy.NewService(exec.Command(tillLink)),
	}
	if err := gokrazy.SuperviseServices(services); err != nil {
		return err
	}
	select {} // init must never exit: the kernel panics when it does
}
