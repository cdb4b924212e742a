package image_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/image"
	"github.com/kasirpos/kasir/image/imagetest"
)

// TestVM builds the vm image twice (the bytes must be the same), checks
// its file systems with the Linux tools, boots it under QEMU, sells
// through the till's API, kills QEMU, boots the same disk again and finds
// the sale. Then it pushes a second version, provisioned for a Mosquitto
// on the host, to the running till over the network: the push refuses
// while a cart is open, the new version answers after the reboot with the
// old sales intact, and a sale made there reaches head office.
func TestVM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and boots a disk image under QEMU (minutes)")
	}
	image.NeedTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	logw := &testWriter{t: t}
	build := func(out, version, provision string) *image.Result {
		t.Helper()
		start := time.Now()
		res, err := image.Build(ctx, image.Config{
			Target: image.TargetVM, Out: out, Version: version, Source: "..", Demo: true, Provision: provision, Log: logw,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("built %s in %s", res.Image, time.Since(start).Round(time.Millisecond))
		return res
	}
	res := build(t.TempDir(), "A", "")
	if again := build(t.TempDir(), "A", ""); again.Sum != res.Sum {
		t.Errorf("two builds differ: sha256 %s, then %s", res.Sum, again.Sum)
	}
	sums, err := os.ReadFile(res.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sums), res.Sum+"  "+filepath.Base(res.Image)) {
		t.Errorf("%s = %q, want the image's sum %s", res.SHA256, sums, res.Sum)
	}

	t.Run("contents", func(t *testing.T) { checkContents(t, res.Image, image.TargetVM) })

	// Version B: the same source, provisioned for head office's broker on
	// the host, which the guest reaches at QEMU's gateway 10.0.2.2 (slirp
	// forwards it to the host's loopback, where Mosquitto listens).
	hq := startHeadOffice(ctx, t)
	resB := build(t.TempDir(), "B", hq.provision(t))

	// First boot formats /perm; the demo catalog is loaded then.
	spec := newVMSpec(t, imagetest.Virt)
	vm := bootVM(ctx, t, res.Image, spec)
	password := vm.password(t)
	c := vm.client(t)
	c.do(t, "POST", "/api/v1/login", `{"pin":"1111"}`, 200, nil)
	var shift struct{ Shift json.RawMessage }
	c.do(t, "GET", "/api/v1/shift", "", 200, &shift)
	if string(shift.Shift) == "null" {
		c.do(t, "POST", "/api/v1/shift/open", `{"float":200000}`, 0, nil)
	}
	sale := c.sell(t)
	vm.kill(t)

	// The second boot finds /perm formatted and the sale on it.
	vm = bootVM(ctx, t, res.Image, spec)
	if vm.Console.Contains("first boot: update password") {
		t.Error("the second boot printed the update password again")
	}
	c = vm.client(t)
	c.do(t, "POST", "/api/v1/login", `{"pin":"1111"}`, 200, nil)
	c.checkSale(t, sale)

	t.Run("push", func(t *testing.T) {
		u, err := image.OpenUpdate(resB.Image)
		if err != nil {
			t.Fatal(err)
		}
		defer u.Close()
		if u.Version != "B" {
			t.Fatalf("update version %q, want B", u.Version)
		}
		cfg := image.PushConfig{
			Till: spec.TillAddr(), Gokrazy: spec.GokrazyAddr(),
			Password: password, Update: u, Wait: 4 * time.Minute, Log: logw,
		}
		bad := cfg
		bad.Password = "wrong"
		bad.Force = true
		if _, err := image.Push(ctx, bad); !errors.Is(err, image.ErrBadPassword) {
			t.Errorf("push with a wrong password: %v, want %v", err, image.ErrBadPassword)
		}

		// A cart open: the push refuses (or, until the till answers
		// /api/v1/busy, says that it cannot tell).
		cart := c.addLine(t)
		_, err = image.Push(ctx, cfg)
		switch {
		case errors.Is(err, image.ErrTillBusy):
			t.Logf("refused: %v", err)
		case errors.Is(err, image.ErrNoBusyCheck):
			t.Logf("the till has no busy check yet: %v", err)
		default:
			t.Fatalf("push with a cart open: %v, want a refusal", err)
		}
		second := c.pay(t, cart)

		// The push reboots the till; QEMU (-no-reboot) exits, and is
		// started again as the Pi's firmware would boot: with the kernel
		// and cmdline.txt from the boot partition, which now names root B.
		start := time.Now()
		pushed := make(chan error, 1)
		go func() {
			_, err := image.Push(ctx, cfg)
			if errors.Is(err, image.ErrNoBusyCheck) {
				t.Logf("pushing with --force: %v", err)
				cfg.Force = true
				_, err = image.Push(ctx, cfg)
			}
			pushed <- err
		}()
		select {
		case <-vm.Exited:
		case err := <-pushed:
			t.Fatalf("push ended before the till rebooted: %v\n%s", err, vm.Console.Tail(80))
		case <-time.After(5 * time.Minute):
			t.Fatalf("the till did not reboot after the push\n%s", vm.Console.Tail(80))
		}
		vm = bootVM(ctx, t, res.Image, spec)
		if err := <-pushed; err != nil {
			t.Fatalf("push: %v\n%s", err, vm.Console.Tail(80))
		}
		t.Logf("network update, reboot included: %s", time.Since(start).Round(100*time.Millisecond))
		cmdline := vm.Cmdline
		if !strings.Contains(cmdline, image.RootCmdline(image.RootB)) {
			t.Errorf("cmdline.txt after the update = %q, want %s", cmdline, image.RootCmdline(image.RootB))
		}
		c = vm.client(t)
		var st struct{ Version string }
		c.do(t, "GET", "/api/v1/status", "", 200, &st)
		if st.Version != "B" {
			t.Errorf("after the push the till runs %q, want B", st.Version)
		}
		c.do(t, "POST", "/api/v1/login", `{"pin":"1111"}`, 200, nil)
		c.checkSale(t, sale)
		c.checkSale(t, second)

		// B came provisioned: the init copied kasir.json to /perm, and
		// the till's sales now go to head office.
		t.Run("uplink", func(t *testing.T) {
			third := c.sell(t)
			hq.waitSale(ctx, t, third, vm)
		})
	})
	vm.kill(t)
}

// checkContents checks the partition table and each file system with the
// tools Linux has for them.
func checkContents(t *testing.T, img, target string) {
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, ps, err := image.ReadPartitions(f)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := image.Layout(image.DiskSize)
	if id != image.DiskID || fmt.Sprint(ps) != fmt.Sprint(want) {
		t.Fatalf("partitions: disk %08x %v, want %08x %v", id, ps, image.DiskID, want)
	}
	boot := ps[image.BootPartition-1]
	cmdline, err := image.ReadBootFile(f, boot.Offset, "cmdline.txt")
	if err != nil {
		t.Fatal(err)
	}
	console := "console=ttyAMA0"
	if target == image.TargetRPi {
		console = "console=serial0,115200"
	}
	for _, w := range []string{image.RootCmdline(image.RootA) + " ", "init=" + image.InitPath, console} {
		if !bytes.Contains(cmdline, []byte(w)) {
			t.Errorf("cmdline.txt = %q, want %q in it", cmdline, w)
		}
	}
	if v, err := image.ReadBootFile(f, boot.Offset, image.VersionFile); err != nil || len(bytes.TrimSpace(v)) == 0 {
		t.Errorf("%s: %q, %v; want the version", image.VersionFile, v, err)
	}
	if !bytes.HasSuffix(cmdline, []byte("\n")) {
		t.Errorf("cmdline.txt = %q, want a final newline (gokrazy's switch pads before it)", cmdline)
	}

	dir := t.TempDir()
	fat := filepath.Join(dir, "boot.fat")
	extract(t, f, boot, fat)
	run(t, "fsck.fat", "-n", "-v", fat)
	if target == image.TargetRPi {
		checkFirmware(t, fat)
	}

	for _, n := range []int{image.RootA, image.RootB} {
		p := ps[n-1]
		out := run(t, "unsquashfs", "-o", fmt.Sprint(p.Offset), "-lls", img)
		for _, w := range []string{
			"squashfs-root/gokrazy/init", "squashfs-root/gokrazy/dhcp", "squashfs-root/gokrazy/ntp",
			"squashfs-root/gokrazy/randomd", "squashfs-root/user/kasir", "squashfs-root/user/till -> ../gokrazy/init",
			"squashfs-root/etc/resolv.conf -> ../tmp/resolv.conf", "squashfs-root/etc/hostname",
			"squashfs-root/perm", "squashfs-root/proc", "squashfs-root/dev",
		} {
			if !strings.Contains(out, w) {
				t.Errorf("root %d lacks %s:\n%s", n, w, out)
			}
		}
		if !strings.Contains(out, "-rwxr-xr-x root/root") {
			t.Errorf("root %d: want executables owned by root:\n%s", n, out)
		}
	}

	// /perm ships empty; the init formats it at first boot with
	// FormatPerm, which e2fsck must accept.
	perm := filepath.Join(dir, "perm.img")
	if err := os.WriteFile(perm, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(perm, ps[image.PermPartition-1].Size); err != nil {
		t.Fatal(err)
	}
	if err := image.FormatPerm(perm); err != nil {
		t.Fatal(err)
	}
	run(t, "e2fsck", "-f", "-n", perm)
}

func extract(t *testing.T, r io.ReaderAt, p image.Partition, name string) {
	t.Helper()
	out, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, io.NewSectionReader(r, p.Offset, p.Size)); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func newVMSpec(t testing.TB, machine string) imagetest.Spec {
	t.Helper()
	s, err := imagetest.NewSpec(machine)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// vm is a QEMU running the image.
type vm struct{ *imagetest.VM }

// bootVM boots img (see imagetest.Boot) and waits, at most 4 minutes
// (virt) or 6 (raspi3b, whose emulated SD card is slow), until the till
// answers /healthz. A first boot under virt, with the demo catalog to load,
// takes under a minute and a half here on a loaded machine.
func bootVM(ctx context.Context, t testing.TB, img string, spec imagetest.Spec) *vm {
	t.Helper()
	wait := 4 * time.Minute
	if spec.Machine == imagetest.Raspi3B {
		wait = 6 * time.Minute
	}
	v, err := imagetest.Boot(ctx, img, spec, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		v.Kill()
		if t.Failed() {
			t.Logf("serial console:\n%s", v.Console.Tail(150))
		}
	})
	t.Logf("%s: boot to serving: %s (kernel to init: %s, to the till starting: %s)", spec.Machine,
		v.Serving.Round(100*time.Millisecond), v.Kernel.Round(100*time.Millisecond), v.Till.Round(100*time.Millisecond))
	return &vm{v}
}

// password is the update password the init printed at first boot.
func (v *vm) password(t testing.TB) string {
	t.Helper()
	pw, err := v.Password()
	if err != nil {
		t.Fatalf("%v\n%s", err, v.Console.Tail(100))
	}
	return pw
}

// kill pulls the plug: SIGKILL, no shutdown.
func (v *vm) kill(t testing.TB) {
	t.Helper()
	if err := v.Kill(); err != nil {
		t.Fatal(err)
	}
}

type client struct {
	base string
	hc   *http.Client
}

func (v *vm) client(t testing.TB) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{base: v.Base, hc: &http.Client{Jar: jar, Timeout: time.Minute}}
}

// do sends a JSON request and decodes the answer into out. want 0 accepts
// any 2xx.
func (c *client) do(t testing.TB, method, path, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if want == 0 && resp.StatusCode/100 != 2 || want != 0 && resp.StatusCode != want {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// checkFirmware checks that the Pi boot partition holds what the firmware
// of a 3B+, 4 and 5 reads: the first stage (3B+), the GPU firmware and its
// fixups (3B+, 4; the 5 has them in its EEPROM), config.txt and the files
// it names, cmdline.txt, each board's device tree and the overlays.
func checkFirmware(t *testing.T, fat string) {
	t.Helper()
	out := run(t, "fsck.fat", "-n", "-l", fat)
	have := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Checking" && f[1] == "file" {
			have[strings.ToLower(strings.TrimPrefix(f[2], "/"))] = true
		}
	}
	f, err := os.Open(fat)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	config, err := image.ReadBootFile(f, 0, "config.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bootcode.bin", "start.elf", "fixup.dat", "start4.elf", "fixup4.dat",
		"config.txt", "cmdline.txt",
		"bcm2710-rpi-3-b-plus.dtb", "bcm2710-rpi-3-b.dtb", "bcm2711-rpi-4-b.dtb",
		"bcm2712-rpi-5-b.dtb", "bcm2712d0-rpi-5-b.dtb",
		"overlays/overlay_map.dtb",
	}
	var kernel string
	for _, l := range strings.Split(string(config), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		switch {
		case !ok || strings.HasPrefix(k, "#"):
		case k == "kernel":
			kernel = v
			want = append(want, v)
		case k == "dtoverlay":
			name, _, _ := strings.Cut(v, ",")
			want = append(want, "overlays/"+name+".dtbo")
		}
	}
	if kernel == "" {
		t.Errorf("config.txt names no kernel:\n%s", config)
	}
	if !strings.Contains(string(config), "arm_64bit=1") {
		t.Errorf("config.txt does not start the CPU in 64-bit mode:\n%s", config)
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("the boot partition lacks %s", w)
		}
	}
	if t.Failed() {
		t.Logf("fsck.fat -l:\n%s", out)
	}
}
