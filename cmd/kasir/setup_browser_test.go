package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kasirpos/kasir/wire"
)

// TestSetupInBrowser is a technician at a new till's touchscreen: the setup
// screen says kasir.json is missing, a wrong setup PIN is refused, the right
// one opens the form; saving starts the till, which asks for the first
// supervisor; that supervisor then logs in on the till's own PIN pad.
func TestSetupInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: run without -short (make test)")
	}
	dir := t.TempDir()
	prov := filepath.Join(dir, "kasir.json")
	s := startTill(t, "--data", filepath.Join(dir, "kasir"), "--provision", prov)
	text, err := os.ReadFile(filepath.Join(dir, setupPINName))
	if err != nil {
		t.Fatal(err)
	}
	pin := wire.ParseSetupPIN(string(text))

	ctx := browser(t, 1024, 600)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1024, 600),
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(css(`#setup-lock`)),
	); err != nil {
		t.Fatalf("setup screen: %v", err)
	}
	problems, err := chromedp.Run(ctx, chromedp.Text(css(`#setup-problems`)))
	if err != nil || !strings.Contains(problems, "kasir.json belum ada") || !strings.Contains(problems, "kasir.json is missing") {
		t.Errorf("problems shown: %q, %v", problems, err)
	}
	screenshot(t, ctx, "setup-lock")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(css(`#setup-pin`), "00000000"),
		chromedp.Click(css(`#setup-unlock`)),
		chromedp.WaitVisible(css(`#setup-error`)),
	); err != nil {
		t.Fatalf("wrong PIN: %v", err)
	}
	if msg, _ := chromedp.Run(ctx, chromedp.Text(css(`#setup-error`))); !strings.Contains(msg, "PIN setup salah") {
		t.Errorf("wrong PIN message %q", msg)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(css(`#setup-pin`), pin),
		chromedp.Click(css(`#setup-unlock`)),
		chromedp.WaitVisible(css(`#setup-provision`)),
		chromedp.SendKeys(css(`#f-store`), "S001"),
		chromedp.SendKeys(css(`#f-till`), "T 1"), // a space: refused
		chromedp.SendKeys(css(`#f-broker`), "tcp://127.0.0.1:1"),
		chromedp.SendKeys(css(`#f-username`), "s001-t01"),
		chromedp.SendKeys(css(`#f-password`), "pw"),
		chromedp.SendKeys(css(`#f-hq-key`), hqKey(t)),
		chromedp.SetValue(css(`#f-tz`), "Asia/Jayapura"),
		chromedp.Click(css(`#setup-save`)),
		chromedp.WaitVisible(css(`#f-till.bad`)),
	); err != nil {
		screenshot(t, ctx, "setup-form")
		t.Fatalf("provisioning form: %v", err)
	}
	screenshot(t, ctx, "setup-form-problem")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(css(`#f-till`), "T01"),
		chromedp.Click(css(`#setup-save`)),
		chromedp.WaitVisible(css(`#setup-user`)),
	); err != nil {
		screenshot(t, ctx, "setup-save")
		t.Fatalf("save: %v", err)
	}
	screenshot(t, ctx, "setup-first-user")
	if p, err := os.ReadFile(prov); err != nil || !strings.Contains(string(p), `"time_zone": "Asia/Jayapura"`) {
		t.Errorf("kasir.json: %s, %v", p, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(css(`#u-name`), "Sari"),
		chromedp.SendKeys(css(`#u-pin`), "8642"),
		chromedp.SendKeys(css(`#u-pin2`), "8642"),
		chromedp.Click(css(`#user-save`)),
		chromedp.WaitVisible(css(`#setup-done`)),
		chromedp.Click(css(`#go-till`)),
		chromedp.WaitVisible(css(`#pin-pad`)),
	); err != nil {
		screenshot(t, ctx, "setup-user")
		t.Fatalf("first supervisor: %v", err)
	}
	login := []chromedp.Action[chromedp.Void]{}
	for _, d := range "8642" {
		login = append(login, chromedp.Click(css(`#pin-pad button[data-digit="`+string(d)+`"]`)))
	}
	login = append(login, chromedp.Click(css(`#pin-ok`)), chromedp.WaitVisible(css(`#shift-open-float`)))
	if err := chromedp.Do(ctx, login...); err != nil {
		screenshot(t, ctx, "setup-login")
		t.Fatalf("the first supervisor's login: %v", err)
	}
	screenshot(t, ctx, "setup-logged-in")
}
