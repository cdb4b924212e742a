package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/creack/pty"
	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/drivers/escpos"
	"github.com/kasirpos/kasir/drivers/escpos/escpostest"
	"go.bug.st/serial"
)

// benchPrint measures, at a serial line's speed, the time from "pay" to the
// last byte of the receipt at the printer: the sale's commit, the print
// queue, rendering, the status check before the job, the job on the wire.
// The printer is the ESC/POS emulator on a pseudo-terminal taking bytes at
// the line's rate; the baseline is the line's own limit for the same bytes
// (10 bits a byte over the baud rate).
func benchPrint(ctx context.Context, dir string, baud, n int, out io.Writer) error {
	profile := escpos.Presets["epson-tm-t82"]
	master, slave, err := pty.Open()
	if err != nil {
		return err
	}
	defer master.Close()
	defer slave.Close()
	emu := escpostest.New(profile)
	emu.SetBaud(baud)
	go emu.Serve(master)

	path := slave.Name()
	dev := escpos.New(escpos.SerialDialer(func() (escpos.SerialPort, error) {
		return serial.Open(path, &serial.Mode{BaudRate: baud})
	}), profile, escpos.Options{})
	defer dev.Close()

	till, u, codes, done, err := benchTill(ctx, dir, &benchPrinter{dev: dev, profile: profile}, profile.Columns)
	if err != nil {
		return err
	}
	defer done()
	var got, limit []time.Duration
	var bytes int
	for i := range n {
		for j := range 3 {
			if _, err := till.AddLine(ctx, u, codes[(i*3+j)%len(codes)], 0); err != nil {
				return err
			}
		}
		t0 := time.Now()
		res, err := till.Pay(ctx, u, "", []appliance.Payment{{Method: appliance.MethodCash, Amount: 1000000}})
		if err != nil {
			return err
		}
		if !res.Printed {
			return fmt.Errorf("sale %s did not print: %v", res.Number, res.PrintErr())
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		jobs, err := emu.WaitJobs(wctx, i+1)
		cancel()
		if err != nil {
			return fmt.Errorf("receipt %s never reached the printer: %w", res.Number, err)
		}
		got = append(got, time.Since(t0))
		job := jobs[len(jobs)-1]
		if job.Err != nil {
			return fmt.Errorf("receipt %s: %w", res.Number, job.Err)
		}
		bytes = len(job.Raw)
		limit = append(limit, time.Duration(len(job.Raw))*10*time.Second/time.Duration(baud))
	}
	row(out, fmt.Sprintf("pay to last receipt byte, %d baud", baud), got, fmt.Sprintf("line limit, %d bytes at %d baud", bytes, baud), limit)
	return nil
}

// benchPrinter is the till's printer on the ESC/POS driver, as kasir wires it.
type benchPrinter struct {
	dev     *escpos.Printer
	profile escpos.Profile
}

func (p *benchPrinter) Print(ctx context.Context, r *appliance.Receipt) error {
	d := escpos.Doc{Barcode: r.Barcode, QR: r.QR, Cut: r.Cut}
	for _, l := range r.Lines {
		d.Lines = append(d.Lines, escpos.Line{Text: l.Text, Center: l.Center, Bold: l.Bold, Big: l.Big})
	}
	b, err := escpos.Render(d, p.profile)
	if err != nil {
		return err
	}
	return p.dev.Print(ctx, b)
}

func (p *benchPrinter) Status() appliance.DeviceStatus {
	return appliance.DeviceStatus{State: appliance.DeviceOK}
}
