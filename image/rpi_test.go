package image_test

import (
	"context"
	"testing"
	"time"

	"github.com/kasirpos/kasir/image"
	"github.com/kasirpos/kasir/image/imagetest"
)

// TestRPi builds the rpi image, checks that its boot partition holds what
// the Pi's firmware needs, and boots its kernel and root under QEMU's
// raspi3b: a direct kernel boot (QEMU cannot run the Pi's GPU firmware)
// with the device tree from the boot partition, the whole image as the SD
// card and the network on usb-net, whose usb0 the init runs dhcp on.
func TestRPi(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and boots a disk image under QEMU (minutes)")
	}
	image.NeedTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := image.Build(ctx, image.Config{
		// No demo catalog: loading it on the emulated Pi takes minutes,
		// and the till serves without it.
		Target: image.TargetRPi, Out: t.TempDir(), Version: "pi", Source: "..", Log: &testWriter{t: t},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %s", res.Image, time.Since(start).Round(time.Millisecond))
	t.Run("contents", func(t *testing.T) { checkContents(t, res.Image, image.TargetRPi) })

	vm := bootVM(ctx, t, res.Image, newVMSpec(t, imagetest.Raspi3B))
	c := vm.client(t)
	var st struct{ Version string }
	c.do(t, "GET", "/api/v1/status", "", 200, &st)
	if st.Version != "pi" {
		t.Errorf("the till on the Pi answers version %q, want pi", st.Version)
	}
	vm.kill(t)
}
