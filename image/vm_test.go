package image_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasirpos/kasir/image"
)

// TestVM builds the vm image twice (the bytes must be the same), checks
// its file systems with the Linux tools, boots it under QEMU, sells
// through the till's API, kills QEMU, boots the same disk again and finds
// the sale.
func TestVM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and boots a disk image under QEMU (minutes)")
	}
	image.NeedTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	logw := &testWriter{t: t}
	build := func(out string) *image.Result {
		t.Helper()
		start := time.Now()
		res, err := image.Build(ctx, image.Config{
			Target: image.TargetVM, Out: out, Version: "test", Source: "..", Demo: true, Log: logw,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("built %s in %s", res.Image, time.Since(start).Round(time.Millisecond))
		return res
	}
	res := build(t.TempDir())
	if again := build(t.TempDir()); again.Sum != res.Sum {
		t.Errorf("two builds differ: sha256 %s, then %s", res.Sum, again.Sum)
	}
	sums, err := os.ReadFile(res.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sums), res.Sum+"  "+filepath.Base(res.Image)) {
		t.Errorf("%s = %q, want the image's sum %s", res.SHA256, sums, res.Sum)
	}

	t.Run("contents", func(t *testing.T) { checkContents(t, res.Image) })

	// First boot formats /perm; the demo catalog is loaded then.
	vm := bootVM(ctx, t, res.Image)
	c := vm.client(t)
	c.do(t, "POST", "/api/v1/login", `{"pin":"1111"}`, 200, nil)
	var shift struct{ Shift json.RawMessage }
	c.do(t, "GET", "/api/v1/shift", "", 200, &shift)
	if string(shift.Shift) == "null" {
		c.do(t, "POST", "/api/v1/shift/open", `{"float":200000}`, 0, nil)
	}
	var products struct {
		Products []struct{ SKU string }
	}
	c.do(t, "GET", "/api/v1/products?limit=1", "", 200, &products)
	if len(products.Products) == 0 {
		t.Fatal("the demo catalog is empty")
	}
	var cart struct {
		ID      string `json:"id"`
		CashDue int64  `json:"cash_due"`
	}
	c.do(t, "POST", "/api/v1/cart/lines", fmt.Sprintf(`{"code":%q,"qty":2}`, products.Products[0].SKU), 200, &cart)
	var sale struct {
		Number string
		Total  int64
	}
	c.do(t, "POST", "/api/v1/cart/pay", fmt.Sprintf(`{"cart_id":%q,"payments":[{"method":"cash","amount":%d}]}`, cart.ID, cart.CashDue), 201, &sale)
	if sale.Number == "" || sale.Total <= 0 {
		t.Fatalf("sale = %+v", sale)
	}
	t.Logf("sold %s for Rp %d", sale.Number, sale.Total)
	vm.kill(t)

	// The second boot finds /perm formatted and the sale on it.
	vm = bootVM(ctx, t, res.Image)
	c = vm.client(t)
	c.do(t, "POST", "/api/v1/login", `{"pin":"1111"}`, 200, nil)
	var got struct {
		Number string
		Total  int64
	}
	c.do(t, "GET", "/api/v1/sales/"+sale.Number, "", 200, &got)
	if got.Number != sale.Number || got.Total != sale.Total {
		t.Errorf("after the reboot, sale %s = %+v, want total %d", sale.Number, got, sale.Total)
	}
	vm.kill(t)
}

// checkContents checks the partition table and each file system with the
// tools Linux has for them.
func checkContents(t *testing.T, img string) {
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
	for _, w := range []string{image.RootCmdline(image.RootA) + " ", "init=" + image.InitPath, "console=ttyAMA0"} {
		if !bytes.Contains(cmdline, []byte(w)) {
			t.Errorf("cmdline.txt = %q, want %q in it", cmdline, w)
		}
	}
	if !bytes.HasSuffix(cmdline, []byte("\n")) {
		t.Errorf("cmdline.txt = %q, want a final newline (gokrazy's switch pads before it)", cmdline)
	}

	dir := t.TempDir()
	fat := filepath.Join(dir, "boot.fat")
	extract(t, f, boot, fat)
	run(t, "fsck.fat", "-n", "-v", fat)

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

// vm is a QEMU running the image.
type vm struct {
	cmd     *exec.Cmd
	console *syncBuffer
	base    string
	exited  chan struct{}
}

// bootVM boots img the way the Pi's firmware would: with the kernel and
// the command line read from its boot partition (QEMU's virt machine has
// no firmware that reads FAT), and waits until the till answers /healthz.
func bootVM(ctx context.Context, t *testing.T, img string) *vm {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	_, ps, err := image.ReadPartitions(f)
	if err != nil {
		t.Fatal(err)
	}
	kernel, err := image.ReadBootFile(f, ps[image.BootPartition-1].Offset, "vmlinuz")
	if err != nil {
		t.Fatal(err)
	}
	cmdline, err := image.ReadBootFile(f, ps[image.BootPartition-1].Offset, "cmdline.txt")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	kpath := filepath.Join(t.TempDir(), "vmlinuz")
	if err := os.WriteFile(kpath, kernel, 0o644); err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	v := &vm{console: &syncBuffer{}, base: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan struct{})}
	v.cmd = exec.Command("qemu-system-aarch64",
		"-M", "virt", "-cpu", "cortex-a57", "-smp", "2", "-m", "1024",
		"-nographic", "-no-reboot",
		"-kernel", kpath, "-append", strings.TrimSpace(string(cmdline)),
		"-drive", "file="+img+",format=raw,if=virtio",
		// User networking only, forwarded from loopback.
		"-netdev", fmt.Sprintf("user,id=net0,hostfwd=tcp:127.0.0.1:%d-:8080", port),
		"-device", "virtio-net-pci,netdev=net0",
	)
	v.cmd.Stdout, v.cmd.Stderr = v.console, v.console
	start := time.Now()
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { v.cmd.Wait(); close(v.exited) }()
	t.Cleanup(func() {
		v.cmd.Process.Kill()
		<-v.exited
		if t.Failed() {
			t.Logf("serial console:\n%s", v.console.tail(150))
		}
	})

	// Bounded: a first boot under software emulation, with the demo
	// catalog to load, takes under a minute here.
	deadline := time.Now().Add(4 * time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", v.base+"/healthz", nil)
		hc := &http.Client{Timeout: 3 * time.Second}
		resp, err := hc.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Logf("boot to serving: %s", time.Since(start).Round(100*time.Millisecond))
				return v
			}
		}
		select {
		case <-v.exited:
			t.Fatalf("QEMU exited before the till answered: %v\n%s", v.cmd.ProcessState, v.console.tail(150))
		case <-ctx.Done():
			t.Fatalf("the till did not answer /healthz: %v\n%s", ctx.Err(), v.console.tail(150))
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the till did not answer /healthz within 4 minutes\n%s", v.console.tail(150))
		}
	}
}

// kill pulls the plug: SIGKILL, no shutdown.
func (v *vm) kill(t *testing.T) {
	t.Helper()
	if err := v.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-v.exited
}

type client struct {
	base string
	hc   *http.Client
}

func (v *vm) client(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{base: v.base, hc: &http.Client{Jar: jar, Timeout: time.Minute}}
}

// do sends a JSON request and decodes the answer into out. want 0 accepts
// any 2xx.
func (c *client) do(t *testing.T, method, path, body string, want int, out any) {
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

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) tail(lines int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := strings.Split(s.b.String(), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
