// Package imagetest boots the till's disk images under QEMU, for the image
// tests and the bench: qemu-system-aarch64 with user networking forwarded
// from 127.0.0.1 only, started the way a Pi's firmware would start the
// image (kernel, device tree and cmdline.txt read from its boot partition,
// since QEMU runs no firmware that reads FAT), bounded by timeouts.
//
// It must never run QEMU with networking reachable from outside the host.
package imagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kasirpos/kasir/image"
)

// Machines QEMU emulates.
const (
	Virt    = "virt"    // -M virt, for the vm image
	Raspi3B = "raspi3b" // -M raspi3b, for the rpi image
)

// Spec is how QEMU runs an image. It stays the same across reboots, so
// the till answers on the same ports after an update.
type Spec struct {
	Machine     string // Virt or Raspi3B
	Port        int    // host port forwarded to the till's 8080
	GokrazyPort int    // host port forwarded to gokrazy's 80
}

// NewSpec picks two free loopback ports.
func NewSpec(machine string) (Spec, error) {
	s := Spec{Machine: machine}
	for _, p := range []*int{&s.Port, &s.GokrazyPort} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return s, err
		}
		*p = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	return s, nil
}

// TillAddr is the till's API on the host, host:port.
func (s Spec) TillAddr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// GokrazyAddr is gokrazy's web server on the host, host:port.
func (s Spec) GokrazyAddr() string { return fmt.Sprintf("127.0.0.1:%d", s.GokrazyPort) }

// VM is a QEMU running an image.
type VM struct {
	Console *Console
	Base    string // the till's API, http://127.0.0.1:port
	Cmdline string // cmdline.txt as read from the boot partition at boot
	Exited  chan struct{}
	// Serving is the time from QEMU's start to the till's first 200 on
	// /healthz; Kernel, to the kernel starting the init; Till, to the
	// till's "starting" log line (the console lines say when).
	Serving, Kernel, Till time.Duration

	cmd *exec.Cmd
}

// Boot starts QEMU on img and waits, at most wait, until the till answers
// /healthz. With -no-reboot, a reboot ends QEMU (Exited closes); boot
// again to follow it, as the Pi's firmware would, from what the boot
// partition says then.
func Boot(ctx context.Context, img string, spec Spec, wait time.Duration) (*VM, error) {
	dir, err := os.MkdirTemp("", "kasir-qemu-")
	if err != nil {
		return nil, err
	}
	args, cmdline, err := qemuArgs(img, spec, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	v := &VM{Console: &Console{}, Base: "http://" + spec.TillAddr(), Cmdline: cmdline, Exited: make(chan struct{})}
	v.cmd = exec.Command("qemu-system-aarch64", args...)
	v.cmd.Stdout, v.cmd.Stderr = v.Console, v.Console
	start := time.Now()
	if err := v.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { v.cmd.Wait(); os.RemoveAll(dir); close(v.Exited) }()

	// The console lines are timed apart from the HTTP polls, which may
	// each wait seconds for a guest that is not listening yet.
	var mu sync.Mutex
	watchDone := make(chan struct{})
	go func() {
		for {
			mu.Lock()
			if v.Kernel == 0 && v.Console.Contains("Run /gokrazy/init") {
				v.Kernel = time.Since(start)
			}
			if v.Till == 0 && v.Console.Contains("msg=starting") {
				v.Till = time.Since(start)
			}
			mu.Unlock()
			select {
			case <-watchDone:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	defer func() { close(watchDone); mu.Lock(); mu.Unlock() }()

	fail := func(format string, args ...any) (*VM, error) {
		v.Kill()
		return nil, fmt.Errorf("%s: %s\n%s", spec.Machine, fmt.Sprintf(format, args...), v.Console.Tail(150))
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	hc := &http.Client{Timeout: 3 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", v.Base+"/healthz", nil)
		if resp, err := hc.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				v.Serving = time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				if v.Kernel == 0 {
					v.Kernel = v.Serving
				}
				if v.Till == 0 {
					v.Till = v.Serving
				}
				return v, nil
			}
		}
		select {
		case <-v.Exited:
			return fail("QEMU exited before the till answered: %v", v.cmd.ProcessState)
		case <-ctx.Done():
			return fail("the till did not answer /healthz within %s", wait)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func qemuArgs(img string, spec Spec, dir string) (args []string, cmdline string, err error) {
	f, err := os.Open(img)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	_, ps, err := image.ReadPartitions(f)
	if err != nil {
		return nil, "", err
	}
	boot := ps[image.BootPartition-1].Offset
	copyOut := func(name, to string) (string, error) {
		b, err := image.ReadBootFile(f, boot, name)
		if err != nil {
			return "", err
		}
		p := filepath.Join(dir, to)
		return p, os.WriteFile(p, b, 0o644)
	}
	kernel, err := copyOut("vmlinuz", "vmlinuz")
	if err != nil {
		return nil, "", err
	}
	cl, err := image.ReadBootFile(f, boot, "cmdline.txt")
	if err != nil {
		return nil, "", err
	}
	cmdline = string(cl)
	netdev := fmt.Sprintf("user,id=net0,hostfwd=tcp:%s-:8080,hostfwd=tcp:%s-:80", spec.TillAddr(), spec.GokrazyAddr())
	switch spec.Machine {
	case Virt:
		args = []string{
			"-M", "virt", "-cpu", "cortex-a57", "-smp", "2", "-m", "1024",
			"-nographic",
			"-append", strings.TrimSpace(cmdline),
			"-drive", "file=" + img + ",format=raw,if=virtio",
			// romfile= leaves out the network boot ROM (efi-virtio.rom
			// from ipxe-qemu, which qemu-system-arm only recommends): the
			// kernel is booted directly, so nothing would run it.
			"-netdev", netdev, "-device", "virtio-net-pci,netdev=net0,romfile=",
		}
	case Raspi3B:
		// The console is the mini UART (ttyS0, QEMU's second serial
		// port), which config.txt's miniuart-bt overlay gives the GPIO
		// header; the watchdog driver would reset QEMU's board.
		dtb, err := copyOut("bcm2710-rpi-3-b.dtb", "pi.dtb")
		if err != nil {
			return nil, "", err
		}
		var kargs []string
		for _, a := range strings.Fields(cmdline) {
			if !strings.HasPrefix(a, "console=") {
				kargs = append(kargs, a)
			}
		}
		kargs = append(kargs, "console=ttyS0,115200", "initcall_blacklist=bcm2835_wdt_driver_init")
		args = []string{
			"-M", "raspi3b", "-m", "1024", "-dtb", dtb,
			"-display", "none", "-monitor", "none", "-serial", "null", "-serial", "stdio",
			"-append", strings.Join(kargs, " "),
			"-drive", "file=" + img + ",format=raw,if=sd",
			"-netdev", netdev, "-device", "usb-net,netdev=net0",
		}
	default:
		return nil, "", fmt.Errorf("imagetest: unknown machine %q", spec.Machine)
	}
	return append(args, "-no-reboot", "-kernel", kernel), cmdline, nil
}

// Kill pulls the plug: SIGKILL, no shutdown. It waits for QEMU to exit.
func (v *VM) Kill() error {
	err := v.cmd.Process.Kill()
	<-v.Exited
	if errors.Is(err, os.ErrProcessDone) {
		err = nil
	}
	return err
}

var passwordLine = regexp.MustCompile(`first boot: update password for this till \(gokrazy web UI, user gokrazy\): (\S+)`)

// Password is the update password the init printed on the console at
// first boot.
func (v *VM) Password() (string, error) {
	m := passwordLine.FindStringSubmatch(v.Console.String())
	if m == nil {
		return "", errors.New("imagetest: no update password on the console (not a first boot?)")
	}
	return m[1], nil
}

// Console collects QEMU's serial console.
type Console struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}

func (c *Console) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// Contains reports whether the console has shown s.
func (c *Console) Contains(s string) bool { return strings.Contains(c.String(), s) }

// Tail returns the console's last lines.
func (c *Console) Tail(lines int) string {
	ls := strings.Split(c.String(), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}
