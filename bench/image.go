package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/kasirpos/kasir/image"
	"github.com/kasirpos/kasir/image/imagetest"
)

// imageFigures builds the till's disk images from the source tree src (the
// module's directory), boots them under QEMU and updates a running VM over
// the network, printing each figure next to a baseline from the same run:
//
//   - image size, raw and gzip, next to the bytes its file systems use;
//   - build time, cold (an empty Go build cache) next to warm;
//   - boot to a serving till (first boot, which formats /perm, and a
//     second) under QEMU virt and raspi3b, next to the kernel reaching init
//     (the images carry no demo catalog, whose loading would dominate);
//   - a network update's uploads next to the line's own limit (the bytes
//     over the loopback throughput measured now), and the whole update,
//     reboot included, next to a plain boot.
//
// It needs what `make image` and the image tests need: the arm64 C cross
// compiler and qemu-system-aarch64. It takes several minutes.
func imageFigures(ctx context.Context, src string, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "kasir-bench-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(w, "\nkasir bench: image (build, boot under QEMU, network update), work in %s\n", tmp)
	fig := func(name, got, baseName, base, ratio string) {
		fmt.Fprintf(w, "%-40s %12s   %-36s %12s %8s\n", name, got, baseName, base, ratio)
	}
	x := func(a, b float64) string { return fmt.Sprintf("%.2fx", a/b) }
	dur := func(d time.Duration) string {
		if d < time.Second {
			return d.Round(time.Millisecond).String()
		}
		return d.Round(100 * time.Millisecond).String()
	}
	fig("figure", "value", "baseline (same run)", "value", "ratio")

	build := func(target, version string, env ...string) (*image.Result, time.Duration, error) {
		start := time.Now()
		res, err := image.Build(ctx, image.Config{
			Target: target, Out: filepath.Join(tmp, target+"-"+version), Version: version,
			Source: src, Env: env, // no demo catalog: a till gets its catalog from head office
		})
		return res, time.Since(start), err
	}
	cache := "GOCACHE=" + filepath.Join(tmp, "gocache")
	resA, cold, err := build(image.TargetVM, "A", cache)
	if err != nil {
		return err
	}
	_, warm, err := build(image.TargetVM, "A2", cache)
	if err != nil {
		return err
	}
	fig("build vm image, cold (empty GOCACHE)", dur(cold), "build vm image, warm", dur(warm), x(cold.Seconds(), warm.Seconds()))

	raw, err := os.Stat(resA.Image)
	if err != nil {
		return err
	}
	gz, err := os.Stat(resA.Gzip)
	if err != nil {
		return err
	}
	u, err := image.OpenUpdate(resA.Image)
	if err != nil {
		return err
	}
	used := u.Root.Size + u.Boot.Size
	u.Close()
	fig("vm image, raw", mb(raw.Size()), "bytes its file systems use", mb(used), x(float64(raw.Size()), float64(used)))
	fig("vm image, gzip", mb(gz.Size()), "bytes its file systems use", mb(used), x(float64(gz.Size()), float64(used)))

	// Boots: the first formats /perm and loads the demo catalog.
	spec, err := imagetest.NewSpec(imagetest.Virt)
	if err != nil {
		return err
	}
	vm, err := imagetest.Boot(ctx, resA.Image, spec, 5*time.Minute)
	if err != nil {
		return err
	}
	fig("virt: first boot to serving till", dur(vm.Serving), "virt: kernel to init", dur(vm.Kernel), x(vm.Serving.Seconds(), vm.Kernel.Seconds()))
	fig("virt: first boot to the till starting", dur(vm.Till), "virt: kernel to init", dur(vm.Kernel), x(vm.Till.Seconds(), vm.Kernel.Seconds()))
	password, err := vm.Password()
	if err != nil {
		vm.Kill()
		return err
	}
	vm.Kill()
	if vm, err = imagetest.Boot(ctx, resA.Image, spec, 5*time.Minute); err != nil {
		return err
	}
	fig("virt: boot to serving till", dur(vm.Serving), "virt: kernel to init", dur(vm.Kernel), x(vm.Serving.Seconds(), vm.Kernel.Seconds()))
	plainBoot := vm.Serving

	// A network update to version B, QEMU restarted after the till's
	// reboot as the firmware would boot it.
	resB, _, err := build(image.TargetVM, "B")
	if err != nil {
		vm.Kill()
		return err
	}
	u, err = image.OpenUpdate(resB.Image)
	if err != nil {
		vm.Kill()
		return err
	}
	defer u.Close()
	limit, err := loopbackTime(u)
	if err != nil {
		vm.Kill()
		return err
	}
	type pushed struct {
		res *image.PushResult
		err error
	}
	done := make(chan pushed, 1)
	start := time.Now()
	go func() {
		cfg := image.PushConfig{Till: spec.TillAddr(), Gokrazy: spec.GokrazyAddr(), Password: password, Update: u, Wait: 5 * time.Minute}
		r, err := image.Push(ctx, cfg)
		if errors.Is(err, image.ErrNoBusyCheck) {
			cfg.Force = true // the bench's till has no open sale
			r, err = image.Push(ctx, cfg)
		}
		done <- pushed{r, err}
	}()
	select {
	case <-vm.Exited:
	case p := <-done:
		vm.Kill()
		return fmt.Errorf("push ended before the till rebooted: %v", p.err)
	}
	vm2, err := imagetest.Boot(ctx, resA.Image, spec, 5*time.Minute)
	if err != nil {
		return err
	}
	p := <-done
	total := time.Since(start)
	vm2.Kill()
	if p.err != nil {
		return p.err
	}
	fig(fmt.Sprintf("update: upload %s", mb(p.res.Bytes)), dur(p.res.Upload), "same bytes over loopback", dur(limit), x(p.res.Upload.Seconds(), limit.Seconds()))
	fig("update: whole, reboot included", dur(total), "virt: boot to serving till", dur(plainBoot), x(total.Seconds(), plainBoot.Seconds()))

	// The Pi image under raspi3b.
	resPi, piBuild, err := build(image.TargetRPi, "pi")
	if err != nil {
		return err
	}
	fig("build rpi image, warm", dur(piBuild), "build vm image, warm", dur(warm), x(piBuild.Seconds(), warm.Seconds()))
	if piGz, err := os.Stat(resPi.Gzip); err == nil {
		fig("rpi image, gzip", mb(piGz.Size()), "vm image, gzip", mb(gz.Size()), x(float64(piGz.Size()), float64(gz.Size())))
	}
	piSpec, err := imagetest.NewSpec(imagetest.Raspi3B)
	if err != nil {
		return err
	}
	pi, err := imagetest.Boot(ctx, resPi.Image, piSpec, 6*time.Minute)
	if err != nil {
		return err
	}
	pi.Kill()
	fig("raspi3b: first boot to serving till", dur(pi.Serving), "raspi3b: kernel to init", dur(pi.Kernel), x(pi.Serving.Seconds(), pi.Kernel.Seconds()))
	fig("raspi3b: first boot to the till starting", dur(pi.Till), "raspi3b: kernel to init", dur(pi.Kernel), x(pi.Till.Seconds(), pi.Kernel.Seconds()))
	return nil
}

// loopbackTime is how long the update's bytes take over the loopback
// interface to a server that only hashes them away: the fastest any line
// to the till could carry them.
func loopbackTime(u *image.Update) (time.Duration, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	})}
	go srv.Serve(l)
	defer srv.Close()
	start := time.Now()
	for _, p := range []*image.Payload{u.Root, u.Boot} {
		resp, err := http.Post("http://"+l.Addr().String(), "application/octet-stream", p.Reader())
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
	}
	return time.Since(start), nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
