package systemtest

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// strip is a till's touchscreen open in headless Chromium, logged in.
type strip struct {
	ctx context.Context
}

// watchStrip opens the till's UI, logs in with the demo cashier PIN, and
// returns a handle on its status strip.
func watchStrip(t *testing.T, url string) *strip {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("Chromium is not installed: run `make deps`")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1024, 600),
		chromedp.Navigate(url + "/"),
		chromedp.WaitVisible(css(`#pin-pad`)),
	}
	for range 4 {
		steps = append(steps, chromedp.Click(css(`#pin-pad button[data-digit="1"]`)))
	}
	steps = append(steps, chromedp.Click(css(`#pin-ok`)), chromedp.WaitVisible(css(`#scan`)))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser login: %v", err)
	}
	s := &strip{ctx: ctx}
	s.waitFor(t, "Online")
	return s
}

// waitFor waits until the strip shows text.
func (s *strip) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		got, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(`#status-strip`)))
		if err == nil && strings.Contains(got, text) {
			return
		}
		last = got
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("status strip never showed %q; last: %q", text, last)
}
