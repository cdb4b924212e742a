package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kasirpos/kasir/drivers/display"
	"github.com/kasirpos/kasir/drivers/escpos"
	"github.com/kasirpos/kasir/drivers/escpos/escpostest"
	"github.com/kasirpos/kasir/internal/ptytest"
	"github.com/kasirpos/kasir/wire"
)

// serialPTY is a pseudo-terminal standing for a serial device: the till
// opens the slave by its path, the test plays the device on the master.
func serialPTY(t *testing.T) (master *os.File, path string) {
	t.Helper()
	m, s := ptytest.Open(t)
	return m, s.Name()
}

// poleDisplay decodes what the till sends to a pole display on a pty.
type poleDisplay struct {
	mu      sync.Mutex
	screen  *display.Screen
	err     error
	changed chan struct{}
}

func startPole(t *testing.T, master *os.File) *poleDisplay {
	p := &poleDisplay{screen: display.NewScreen(display.CD5220, 20, 2), changed: make(chan struct{})}
	go func() {
		b := make([]byte, 256)
		for {
			n, err := master.Read(b)
			p.mu.Lock()
			if n > 0 && p.err == nil {
				_, p.err = p.screen.Write(b[:n])
			}
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return p
}

// wait waits until the screen shows both lines, or fails the test.
func (p *poleDisplay) wait(t *testing.T, line1, line2 string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		lines, err, changed := p.screen.Lines(), p.err, p.changed
		p.mu.Unlock()
		if err != nil {
			t.Fatalf("pole display decode: %v", err)
		}
		if strings.HasPrefix(strings.TrimSpace(lines[0]), line1) && strings.Contains(lines[1], line2) {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("pole display shows %q, want %q / %q", lines, line1, line2)
		}
	}
}

// The till on real drivers against emulated hardware: an ESC/POS printer on
// a serial line, a CD5220 pole display and a serial scanner, each on a
// pseudo-terminal. A scan reaches the screen's event stream; a sale prints
// its receipt and shows item, total and change on the pole; paper out and
// an unplugged printer leave the sale committed and its receipt queued, and
// the receipt comes out whole once the printer is back.
func TestTillOnEmulatedHardware(t *testing.T) {
	profile := escpos.Presets["epson-tm-t82"]
	emu := escpostest.StartPTY(t, profile)
	poleMaster, polePath := serialPTY(t)
	pole := startPole(t, poleMaster)
	scanMaster, scanPath := serialPTY(t)

	devs := wire.Devices{
		Printer:  &wire.PrinterDevice{Transport: "serial", Path: emu.Path(), Baud: 115200, Profile: "epson-tm-t82"},
		Display:  &wire.DisplayDevice{Path: polePath, Protocol: "cd5220", Greeting: []string{"SELAMAT DATANG", "TOKO KASIR"}},
		Scanners: []wire.ScannerDevice{{Path: scanPath}},
	}
	b, _ := json.Marshal(devs)
	devFile := filepath.Join(t.TempDir(), "devices.json")
	if err := os.WriteFile(devFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "", "--devices", devFile)
	pole.wait(t, "SELAMAT DATANG", "TOKO KASIR")

	// A code from the serial scanner reaches the till screen's stream.
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 1000)
	ps := barcodes(t, c, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewScanner(resp.Body)
	for events.Scan() && events.Text() != "event: status" {
	}
	// The stream is open once its first status has come; the scanner's
	// code goes to the screens listening then.
	if _, err := scanMaster.Write([]byte(ps[0].Barcodes[0] + "\r\n")); err != nil {
		t.Fatal(err)
	}
	var scanned string
	for events.Scan() {
		if events.Text() == "event: scan" && events.Scan() {
			var d struct{ Code string }
			json.Unmarshal([]byte(strings.TrimPrefix(events.Text(), "data: ")), &d)
			scanned = d.Code
			break
		}
	}
	if scanned != ps[0].Barcodes[0] {
		t.Fatalf("scan event %q, want %q (%v)", scanned, ps[0].Barcodes[0], events.Err())
	}

	// A sale: the pole shows the item as scanned and then the paid and
	// change; the receipt comes out of the printer whole.
	sell := func(p product) saleJSON {
		t.Helper()
		var cv cartView
		c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": p.Barcodes[0]}, &cv)
		pole.wait(t, display.ASCII(p.Name)[:min(20, len(display.ASCII(p.Name)))], "")
		var sale saleJSON
		c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cv.ID, "payments": []map[string]any{{"method": "cash", "amount": 100000}}}, &sale)
		return sale
	}
	jobWith := func(n int, number string) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer wcancel()
		jobs, err := emu.WaitJobs(wctx, n)
		if err != nil {
			t.Fatalf("waiting for %d jobs: %v (have %d)", n, err, len(emu.Jobs()))
		}
		for _, j := range jobs {
			if j.Err == nil && j.Paper != nil && strings.Contains(j.Paper.Text(), number) && j.Paper.Cuts > 0 {
				return
			}
		}
		for i, j := range jobs {
			num := ""
			if j.Paper != nil {
				for _, l := range j.Paper.Lines {
					if strings.Contains(l, "S001-") {
						num = l
					}
				}
			}
			t.Logf("job %d: fault %q err %v raw %d bytes %q", i, j.Fault, j.Err, len(j.Raw), num)
		}
		t.Fatalf("no whole receipt %s among %d jobs; log:\n%s", number, len(jobs), s.Log())
	}
	sale := sell(ps[0])
	if !sale.Printed {
		t.Fatalf("sale %s not printed", sale.Number)
	}
	jobWith(1, sale.Number)
	pole.wait(t, "BAYAR", "KEMBALI")

	// Paper out: the sale stands, the cashier hears why, the receipt waits
	// and comes out whole when paper is back.
	emu.SetPaperOut(true)
	var out struct {
		saleJSON
		Code string `json:"print_error_code"`
	}
	var cv cartView
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[1].Barcodes[0]}, &cv)
	c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cv.ID, "payments": []map[string]any{{"method": "cash", "amount": 100000}}}, &out)
	if out.Printed || out.Code != "print_paper_out" {
		t.Fatalf("sale during paper out: printed=%v code=%q", out.Printed, out.Code)
	}
	var st struct {
		Printer    struct{ State string }
		PrintQueue struct{ Pending int } `json:"print_queue"`
	}
	c.must(200, "GET", "/api/v1/status", nil, &st)
	if st.Printer.State != "paper_out" || st.PrintQueue.Pending != 1 {
		t.Fatalf("status during paper out: %+v", st)
	}
	before := len(emu.Jobs())
	emu.SetPaperOut(false)
	jobWith(before+1, out.Number)
	// The queue empties once the printer's status after the job says it
	// printed; only then is the next fault the next job's. (A printer
	// unplugged between the paper and that answer gets the receipt again:
	// paper is at least once, never lost.)
	for deadline := time.Now().Add(60 * time.Second); ; {
		c.must(200, "GET", "/api/v1/status", nil, &st)
		if st.PrintQueue.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("print queue never emptied: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Unplugged: the same, and the printer is found again at its path.
	emu.Unplug()
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[2].Barcodes[0]}, &cv)
	c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cv.ID, "payments": []map[string]any{{"method": "cash", "amount": 100000}}}, &out)
	if out.Printed || out.Code != "print_offline" {
		t.Fatalf("sale while unplugged: printed=%v code=%q", out.Printed, out.Code)
	}
	before = len(emu.Jobs())
	if err := emu.Plug(); err != nil {
		t.Fatal(err)
	}
	jobWith(before+1, out.Number)
}

// A code from a serial scanner rings up on the till screen in the browser,
// as if the cashier had scanned it into the wedge field.
func TestSerialScannerInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: run without -short (make test)")
	}
	scanMaster, scanPath := serialPTY(t)
	b, _ := json.Marshal(wire.Devices{Scanners: []wire.ScannerDevice{{Path: scanPath}}})
	devFile := filepath.Join(t.TempDir(), "devices.json")
	if err := os.WriteFile(devFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "", "--devices", devFile)
	api := newClient(t, s.URL)
	api.login("9999")
	openShift(api, 1000)
	ps := barcodes(t, api, 1)

	ctx := browser(t, 1024, 600)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	login := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(s.URL + "/"),
		chromedp.WaitVisible(css(`#pin-pad`)),
	}
	for range 4 {
		login = append(login, chromedp.Click(css(`#pin-pad button[data-digit="1"]`)))
	}
	login = append(login, chromedp.Click(css(`#pin-ok`)), chromedp.WaitVisible(css(`#scan`)))
	if err := chromedp.Do(ctx, login...); err != nil {
		screenshot(t, ctx, "serial-scan-login")
		t.Fatalf("login: %v", err)
	}
	// The screen listens once its event stream is open; the status strip
	// shows the first status it brought.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('#status-strip .st-shift')`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("status strip: %v", err)
	}
	if _, err := scanMaster.Write([]byte(ps[0].Barcodes[0] + "\r")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(css(`#cart-lines .cart-line`))); err != nil {
		screenshot(t, ctx, "serial-scan")
		t.Fatalf("the scanned code did not ring up: %v", err)
	}
	var cv cartView
	api.must(200, "GET", "/api/v1/cart", nil, &cv)
	if len(cv.Lines) != 1 || cv.Lines[0].SKU != ps[0].SKU {
		t.Fatalf("cart %+v, want one %s", cv, ps[0].SKU)
	}
}

// A device in the devices file that is not plugged in is a line on the
// status strip, and the till sells as before.
func TestMissingDevicesShowOnStrip(t *testing.T) {
	dir := t.TempDir()
	devs := wire.Devices{
		Printer:  &wire.PrinterDevice{Transport: "usb", Path: filepath.Join(dir, "lp0"), Profile: "epson-tm-t82"},
		Display:  &wire.DisplayDevice{Path: filepath.Join(dir, "ttyUSB1"), Protocol: "epson"},
		Scanners: []wire.ScannerDevice{{Path: filepath.Join(dir, "ttyACM0")}},
	}
	b, _ := json.Marshal(devs)
	devFile := filepath.Join(dir, "devices.json")
	if err := os.WriteFile(devFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "", "--devices", devFile)
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 1000)
	var st struct {
		Printer struct{ State string }
		Devices []struct{ Name, State string }
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		c.must(200, "GET", "/api/v1/status", nil, &st)
		absent := 0
		for _, d := range st.Devices {
			if d.State == "absent" {
				absent++
			}
		}
		if absent == 2 && st.Printer.State == "absent" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v, want the printer, display and scanner absent", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ps := barcodes(t, c, 1)
	var cv cartView
	c.must(200, "POST", "/api/v1/cart/lines", map[string]any{"code": ps[0].Barcodes[0]}, &cv)
	var out struct {
		saleJSON
		Code string `json:"print_error_code"`
	}
	c.must(201, "POST", "/api/v1/cart/pay", map[string]any{"cart_id": cv.ID, "payments": []map[string]any{{"method": "cash", "amount": 100000}}}, &out)
	if out.Number == "" || out.Printed || out.Code != "print_offline" {
		t.Fatalf("sale with no printer: %+v", out)
	}
}
