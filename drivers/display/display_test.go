package display_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/kasirpos/kasir/drivers/display"
)

// counter counts what the display wrote, so the test knows how much to read
// from the other end of the pty.
type counter struct {
	w io.Writer
	n int
}

func (c *counter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += n
	return n, err
}

func TestDisplayOnPTY(t *testing.T) {
	steps := []struct {
		name string
		do   func(d *display.Display) error
		want []string
	}{
		{"greeting", (*display.Display).Idle, []string{
			"   SELAMAT DATANG   ",
			"    TERIMA KASIH    ",
		}},
		{"item", func(d *display.Display) error { return d.Item("Indomie Goreng", "Rp 3.500") }, []string{
			"Indomie Goreng      ",
			"            Rp 3.500",
		}},
		{"long name", func(d *display.Display) error {
			return d.Item("Susu UHT Ultra Milk Full Cream 1L", "Rp 18.900")
		}, []string{
			"Susu UHT Ultra Milk ",
			"           Rp 18.900",
		}},
		{"accents and odd spaces", func(d *display.Display) error {
			return d.Item("Café Crème\u00a0Brûlée — Spécial", "Rp\u00a012.500")
		}, []string{
			"Cafe Creme Brulee - ",
			"           Rp 12.500",
		}},
		{"control bytes in a name", func(d *display.Display) error {
			return d.Item("Teh\x1b@Botol\x0c\r\n", "Rp 5.000")
		}, []string{
			"Teh @Botol          ",
			"            Rp 5.000",
		}},
		{"total", func(d *display.Display) error { return d.Total("Rp 125.400") }, []string{
			"TOTAL               ",
			"          Rp 125.400",
		}},
		{"paid and change", func(d *display.Display) error { return d.Paid("Rp 150.000", "Rp 24.600") }, []string{
			"BAYAR     Rp 150.000",
			"KEMBALI    Rp 24.600",
		}},
		{"amount wider than the line", func(d *display.Display) error {
			return d.Paid("Rp 1.234.567.890.123.456", "Rp 0")
		}, []string{
			".234.567.890.123.456", // the last 20 characters
			"KEMBALI         Rp 0",
		}},
		{"clear", (*display.Display).Clear, []string{
			"                    ",
			"                    ",
		}},
	}
	for _, p := range []display.Protocol{display.CD5220, display.Epson} {
		t.Run(p.String(), func(t *testing.T) {
			master, slave := openPTY(t)
			out := &counter{w: slave}
			d, err := display.New(out, p, display.Options{})
			if err != nil {
				t.Fatal(err)
			}
			screen := display.NewScreen(p, 20, 2)
			for _, st := range steps {
				before := out.n
				if err := st.do(d); err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				got := readN(t, master, out.n-before)
				if _, err := screen.Write(got); err != nil {
					t.Fatalf("%s: decode % X: %v", st.name, got, err)
				}
				if screen.Pending() {
					t.Fatalf("%s: sent an unfinished command: % X", st.name, got)
				}
				if lines := screen.Lines(); !slices.Equal(lines, st.want) {
					t.Errorf("%s:\n got %q\nwant %q", st.name, lines, st.want)
				}
				if screen.Cursor() {
					t.Errorf("%s: cursor shown", st.name)
				}
			}
		})
	}
}

func TestDisplayOneRow(t *testing.T) {
	for _, p := range []display.Protocol{display.CD5220, display.Epson} {
		t.Run(p.String(), func(t *testing.T) {
			var buf bytes.Buffer
			d, err := display.New(&buf, p, display.Options{Columns: 16, Rows: 1, Greeting: []string{"Toko Makmur"}})
			if err != nil {
				t.Fatal(err)
			}
			screen := display.NewScreen(p, 16, 1)
			for _, st := range []struct {
				do   func() error
				want string
			}{
				{d.Idle, "  Toko Makmur   "},
				{func() error { return d.Item("Kopi Kapal Api Special", "Rp 2.000") }, "Kopi Ka Rp 2.000"},
				{func() error { return d.Total("Rp 9.000") }, "TOTAL   Rp 9.000"},
				{func() error { return d.Paid("Rp 10.000", "Rp 1.000") }, "KEMBALI Rp 1.000"},
			} {
				buf.Reset()
				if err := st.do(); err != nil {
					t.Fatal(err)
				}
				if _, err := screen.Write(buf.Bytes()); err != nil {
					t.Fatal(err)
				}
				if got := screen.Lines(); !slices.Equal(got, []string{st.want}) {
					t.Errorf("got %q, want %q", got, st.want)
				}
			}
		})
	}
}

// The bytes on the wire, spelled out: this is the command set as documented.
func TestDisplayBytes(t *testing.T) {
	for _, tc := range []struct {
		p    display.Protocol
		want string
	}{
		{display.CD5220, "\x1b@\x1b_\x00" + "\x1bQA  Hi  \r" + "\x1bQB Rp 1 \r"},
		{display.Epson, "\x1b@\x1f\x01\x1fC\x00" + "\x1f$\x01\x01  Hi  " + "\x1f$\x01\x02 Rp 1 "},
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			var buf bytes.Buffer
			d, err := display.New(&buf, tc.p, display.Options{Columns: 6, Greeting: []string{"Hi", "Rp 1"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Idle(); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tc.want {
				t.Errorf("bytes = %q, want %q", got, tc.want)
			}
			buf.Reset()
			if err := d.Clear(); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.String(), "\x0c"; got != want {
				t.Errorf("clear = %q, want %q (no second init)", got, want)
			}
		})
	}
}

func TestDisplayUnplugged(t *testing.T) {
	for _, p := range []display.Protocol{display.CD5220, display.Epson} {
		t.Run(p.String(), func(t *testing.T) {
			master, slave := openPTY(t)
			d, err := display.New(slave, p, display.Options{})
			if err != nil {
				t.Fatal(err)
			}
			master.Close() // the cable is pulled
			if err := d.Item("Gula Pasir 1kg", "Rp 17.500"); err == nil {
				t.Fatal("no error writing to an unplugged display")
			}
		})
	}
}

// flaky fails its first write, like a display that was unplugged and then
// plugged back in.
type flaky struct {
	fail bool
	buf  bytes.Buffer
}

func (f *flaky) Write(b []byte) (int, error) {
	if f.fail {
		f.fail = false
		return 0, errors.New("write /dev/ttyUSB1: input/output error")
	}
	return f.buf.Write(b)
}

func TestDisplayInitialisesAgainAfterAnError(t *testing.T) {
	w := &flaky{}
	d, err := display.New(w, display.Epson, display.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Idle(); err != nil {
		t.Fatal(err)
	}
	w.fail = true
	if err := d.Total("Rp 1"); err == nil {
		t.Fatal("write error not returned")
	}
	w.buf.Reset()
	if err := d.Total("Rp 1"); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(w.buf.Bytes(), []byte("\x1b@")) {
		t.Errorf("screen after an error = %q, want it to start with ESC @", w.buf.Bytes())
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    io.Writer
		p    display.Protocol
		o    display.Options
	}{
		{"no writer", nil, display.CD5220, display.Options{}},
		{"unknown protocol", io.Discard, display.Protocol(7), display.Options{}},
		{"three rows", io.Discard, display.Epson, display.Options{Rows: 3}},
		{"wide", io.Discard, display.Epson, display.Options{Columns: 80}},
	} {
		if _, err := display.New(tc.w, tc.p, tc.o); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestParseProtocol(t *testing.T) {
	for in, want := range map[string]display.Protocol{"cd5220": display.CD5220, " CD5220": display.CD5220, "epson": display.Epson, "ESCPOS": display.Epson} {
		if got, err := display.ParseProtocol(in); err != nil || got != want {
			t.Errorf("ParseProtocol(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := display.ParseProtocol("vt100"); err == nil {
		t.Error("vt100 accepted")
	}
}
