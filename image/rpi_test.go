package image_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kasirpos/kasir/image"
	"github.com/kasirpos/kasir/image/imagetest"
	"github.com/kasirpos/kasir/wire"
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
	// No kasir.json on the card: the till serves its setup screen, behind
	// the setup PIN that first boot wrote to the boot partition.
	var hz struct {
		Version string
		Setup   bool
	}
	c.do(t, "GET", "/healthz", "", 200, &hz)
	if hz.Version != "pi" || !hz.Setup {
		t.Errorf("the till on the Pi answers %+v, want version pi in setup", hz)
	}
	var setup struct {
		Mode     string
		Problems []struct{ ID string }
	}
	c.do(t, "GET", "/api/v1/setup", "", 200, &setup)
	if setup.Mode != "provision" || len(setup.Problems) == 0 {
		t.Errorf("setup state %+v, want provision with what is missing", setup)
	}
	pin := setupPIN(t, res.Image)
	c.do(t, "POST", "/api/v1/setup/unlock", `{"pin":"00000000"}`, 401, nil)
	c.do(t, "POST", "/api/v1/setup/unlock", fmt.Sprintf(`{"pin":%q}`, pin), 200, nil)
	vm.kill(t)
}

// setupPIN reads the setup PIN the till's first boot wrote to the boot
// partition, as a technician would from a laptop.
func setupPIN(t *testing.T, img string) string {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, parts, err := image.ReadPartitions(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if p.Number != image.BootPartition {
			continue
		}
		b, err := image.ReadBootFile(f, p.Offset, wire.SetupPINFile)
		if err != nil {
			t.Fatalf("%s on the boot partition: %v", wire.SetupPINFile, err)
		}
		pin := wire.ParseSetupPIN(string(b))
		if pin == "" {
			t.Fatalf("no PIN in %s:\n%s", wire.SetupPINFile, b)
		}
		return pin
	}
	t.Fatal("no boot partition")
	return ""
}
