package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kasirpos/kasir/appliance"
)

// chromium finds Debian's Chromium; `make test` installs it (make deps).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed: run `make deps` (apt-get install chromium)")
	return ""
}

// browser starts headless Chromium at the given window size.
func browser(t *testing.T, w, h int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
		// This machine has no internet: keep Chromium from trying.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// screenshot keeps a picture of the screen for a person to look at: in
// $KASIR_SCREENSHOTS when set, else in the test's temp dir.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := os.Getenv("KASIR_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err == nil {
		t.Logf("screenshot: %s", p)
	}
}

// TestCashierInBrowser is a cashier's first sale in real Chromium against
// `kasir serve --demo`: log in on the PIN pad, open the shift, scan three
// items through the scan field as a keyboard-wedge scanner types them, pay
// cash with a quick button, read the change, and find the sale in the API.
func TestCashierInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: run without -short (make test)")
	}
	s := startServer(t, "")
	api := newClient(t, s.URL)
	api.login("1111")
	ps := barcodes(t, api, 3)
	var total int64
	for _, p := range ps {
		total += p.PriceNow
	}
	quick := "100000"
	if total > 100000 {
		quick = "exact"
	}

	for _, size := range [][2]int{{1024, 600}, {1280, 800}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			ctx := browser(t, size[0], size[1])
			css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
			pin := []chromedp.Action[chromedp.Void]{
				chromedp.EmulateViewport(int64(size[0]), int64(size[1])),
				chromedp.Navigate(s.URL + "/"),
				chromedp.WaitVisible(css(`#pin-pad`)),
			}
			for range 4 {
				pin = append(pin, chromedp.Click(css(`#pin-pad button[data-digit="1"]`)))
			}
			pin = append(pin, chromedp.Click(css(`#pin-ok`)))
			if err := chromedp.Do(ctx, pin...); err != nil {
				t.Fatalf("login: %v", err)
			}
			// The first run opens the shift; the second finds it open.
			var sh struct{ Shift *struct{ ID int64 } }
			api.must(200, "GET", "/api/v1/shift", nil, &sh)
			needShift := sh.Shift == nil
			if needShift {
				if err := chromedp.Do(ctx, chromedp.WaitVisible(css(`#shift-open-float`))); err != nil {
					screenshot(t, ctx, "no-shift-dialog")
					t.Fatalf("no shift dialog: %v", err)
				}
			}
			if needShift {
				screenshot(t, ctx, "open-shift")
				if err := chromedp.Do(ctx,
					chromedp.SendKeys(css(`#shift-open-float`), "200000"),
					chromedp.Click(css(`#shift-open-ok`)),
				); err != nil {
					t.Fatalf("open shift: %v", err)
				}
			}
			if err := chromedp.Do(ctx, chromedp.WaitVisible(css(`#scan`))); err != nil {
				t.Fatalf("sale screen: %v", err)
			}
			for i, p := range ps {
				// A keyboard-wedge scanner types into whatever has focus:
				// the scan field must have it without being clicked.
				if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.activeElement && document.activeElement.id === 'scan'`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					screenshot(t, ctx, "scan-focus")
					t.Fatalf("scan field has no focus before scan %d: %v", i+1, err)
				}
				if err := chromedp.Do(ctx,
					chromedp.KeyEvent(p.Barcodes[0]+kb.Enter),
					chromedp.WaitVisible(css(fmt.Sprintf(`#cart-lines .cart-line:nth-of-type(%d)`, i+1))),
				); err != nil {
					screenshot(t, ctx, "scan-failed")
					t.Fatalf("scan %s: %v", p.Barcodes[0], err)
				}
			}
			screenshot(t, ctx, fmt.Sprintf("cart-%dx%d", size[0], size[1]))
			if err := chromedp.Do(ctx,
				chromedp.Click(css(`#btn-pay`)),
				chromedp.WaitVisible(css(`button.quick-cash[data-amount="`+quick+`"]`)),
			); err != nil {
				t.Fatalf("pay screen: %v", err)
			}
			screenshot(t, ctx, fmt.Sprintf("pay-%dx%d", size[0], size[1]))
			if err := chromedp.Do(ctx,
				chromedp.Click(css(`button.quick-cash[data-amount="`+quick+`"]`)),
				chromedp.WaitVisible(css(`#change-amount`)),
			); err != nil {
				screenshot(t, ctx, "pay-failed")
				t.Fatalf("pay: %v", err)
			}
			change, err := chromedp.Run(ctx, chromedp.Text(css(`#change-amount`)))
			if err != nil {
				t.Fatal(err)
			}
			number, err := chromedp.Run(ctx, chromedp.Text(css(`#sale-number`)))
			if err != nil {
				t.Fatal(err)
			}
			screenshot(t, ctx, fmt.Sprintf("done-%dx%d", size[0], size[1]))

			var sale saleJSON
			api.must(200, "GET", "/api/v1/sales/"+strings.TrimSpace(number), nil, &sale)
			if len(sale.Lines) != 3 || sale.Total != total {
				t.Fatalf("sale %s: %d lines, total %d; want 3 lines, total %d", number, len(sale.Lines), sale.Total, total)
			}
			if got, want := strings.TrimSpace(change), appliance.Rupiah(sale.Change).String(); got != want {
				t.Errorf("change shown %q, want %q", got, want)
			}
			if quick == "100000" && sale.Paid != 100000 {
				t.Errorf("paid %d, want the quick button's 100000", sale.Paid)
			}
		})
	}
}
