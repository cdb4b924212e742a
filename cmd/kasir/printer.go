package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/drivers/escpos"
	"github.com/kasirpos/kasir/drivers/virtual"
	"github.com/kasirpos/kasir/wire"
)

// docOf turns the till's receipt into the printer's document.
func docOf(r *appliance.Receipt) escpos.Doc {
	d := escpos.Doc{Barcode: r.Barcode, QR: r.QR, Cut: r.Cut}
	for _, l := range r.Lines {
		d.Lines = append(d.Lines, escpos.Line{Text: l.Text, Center: l.Center, Bold: l.Bold, Big: l.Big})
	}
	return d
}

// renderReceipt encodes r for the printer. What the profile cannot print (a
// line wider than the paper, a barcode it cannot encode) will never print,
// so it is marked unprintable and the queue goes on without it.
func renderReceipt(r *appliance.Receipt, p escpos.Profile) ([]byte, error) {
	b, err := escpos.Render(docOf(r), p)
	if err != nil {
		return nil, fmt.Errorf("render %s for %s: %w (%w)", r.Title, p.Name, err, appliance.ErrUnprintable)
	}
	return b, nil
}

// printerProfile is the profile a printer device names, with its columns
// override; nil means the virtual printer's default.
func printerProfile(d *wire.PrinterDevice) (escpos.Profile, error) {
	name := "epson-tm-t82"
	if d != nil && d.Profile != "" {
		name = d.Profile
	}
	p, ok := escpos.Presets[name]
	if !ok {
		names := slices.Sorted(maps.Keys(escpos.Presets))
		return p, fmt.Errorf("printer profile %q: use one of %s", name, strings.Join(names, ", "))
	}
	switch {
	case d != nil && d.Columns != 0:
		p.Columns = d.Columns
	case d == nil:
		// The demo's paper: 80 mm at the config's default 42 columns.
		p.Columns = appliance.DefaultConfig().ReceiptWidth
	}
	return p, nil
}

// virtualPrinter is the make-run printer: it renders each receipt to the
// ESC/POS bytes a real printer of its profile would get, decodes them back
// as that printer would, and keeps the paper, so the demo shows what paper
// would show — and a receipt that would not print on the real one does not
// print here either.
type virtualPrinter struct {
	p       *virtual.Printer
	profile escpos.Profile
}

func (v *virtualPrinter) Print(ctx context.Context, r *appliance.Receipt) error {
	if err := v.p.Fault(); err != nil {
		return &appliance.DeviceFault{State: appliance.DevicePaperOut, Err: err}
	}
	b, err := renderReceipt(r, v.profile)
	if err != nil {
		return err
	}
	paper, err := escpos.Decode(b, v.profile)
	if err != nil {
		return fmt.Errorf("virtual printer: %w (%w)", err, appliance.ErrUnprintable)
	}
	return v.p.Print(ctx, r.Title, paperText(paper))
}

// paperText is the paper as text, with the codes a scanner would read
// written out where they were printed.
func paperText(p *escpos.Paper) string {
	var b strings.Builder
	b.WriteString(p.Text())
	for _, c := range p.Barcodes {
		b.WriteString("[" + c + "]\n")
	}
	for _, q := range p.QRs {
		b.WriteString("[QR " + q + "]\n")
	}
	return b.String()
}

func (v *virtualPrinter) Status() appliance.DeviceStatus {
	name := "virtual " + v.profile.Name
	if err := v.p.Fault(); err != nil {
		return appliance.DeviceStatus{Name: name, State: appliance.DevicePaperOut, Detail: err.Error()}
	}
	return appliance.DeviceStatus{Name: name, State: appliance.DeviceOK}
}

func (v *virtualPrinter) Printed(limit int) ([]appliance.PrintedReceipt, error) {
	jobs, err := v.p.Jobs(limit)
	if err != nil {
		return nil, err
	}
	out := make([]appliance.PrintedReceipt, len(jobs))
	for i, j := range jobs {
		out[i] = appliance.PrintedReceipt{ID: j.ID, Time: j.Time, Title: j.Title, Text: j.Text}
	}
	return out, nil
}
