package escpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"
)

func TestStatusApply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kinds   []StatusKind
		answers []byte
		want    Status
		fault   error
	}{
		{"all clear", AllStatus, []byte{0x12, 0x12, 0x12, 0x12}, Status{}, nil},
		{"drawer pin high", AllStatus, []byte{0x16, 0x12, 0x12, 0x12}, Status{DrawerPin3: true}, nil},
		{"cover open", AllStatus, []byte{0x1A, 0x16, 0x12, 0x12}, Status{Offline: true, CoverOpen: true}, ErrCoverOpen},
		{"paper out", AllStatus, []byte{0x1A, 0x32, 0x12, 0x7E}, Status{Offline: true, PaperOut: true, PaperNearEnd: true}, ErrPaperOut},
		{"paper end stop only", []StatusKind{StatusOffline}, []byte{0x32}, Status{PaperOut: true}, ErrPaperOut},
		{"near end prints", AllStatus, []byte{0x12, 0x12, 0x12, 0x1E}, Status{PaperNearEnd: true}, nil},
		{"one near-end bit", []StatusKind{StatusPaper}, []byte{0x16}, Status{PaperNearEnd: true}, nil},
		{"feed button", []StatusKind{StatusOffline}, []byte{0x1A}, Status{FeedButton: true}, nil},
		{"cutter jam", AllStatus, []byte{0x1A, 0x52, 0x1A, 0x12}, Status{Offline: true, CutterError: true}, ErrPrinterError},
		{"unrecoverable", []StatusKind{StatusError}, []byte{0x32}, Status{Unrecoverable: true}, ErrPrinterError},
		{"auto-recoverable", []StatusKind{StatusError}, []byte{0x52}, Status{AutoRecoverable: true}, ErrPrinterError},
		{"offline, no cause", []StatusKind{StatusPrinter}, []byte{0x1A}, Status{Offline: true}, ErrOffline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatus(tc.kinds, tc.answers)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if f := got.Fault(); !errors.Is(f, tc.fault) || (tc.fault == nil) != (f == nil) {
				t.Errorf("fault: got %v, want %v", f, tc.fault)
			}
		})
	}
}

func TestStatusMalformed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kinds   []StatusKind
		answers []byte
	}{
		{"bit 0 set (XON)", []StatusKind{StatusPrinter}, []byte{0x11}},
		{"bit 1 clear", []StatusKind{StatusPrinter}, []byte{0x10}},
		{"bit 4 clear", []StatusKind{StatusPrinter}, []byte{0x02}},
		{"bit 7 set", []StatusKind{StatusPrinter}, []byte{0x92}},
		{"zero", []StatusKind{StatusPaper}, []byte{0x00}},
		{"0xFF", []StatusKind{StatusError}, []byte{0xFF}},
		{"too few answers", AllStatus, []byte{0x12, 0x12}},
		{"too many answers", []StatusKind{StatusPrinter}, []byte{0x12, 0x12}},
		{"unknown kind", []StatusKind{5}, []byte{0x12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseStatus(tc.kinds, tc.answers); !errors.Is(err, ErrStatus) {
				t.Fatalf("got %v, want ErrStatus", err)
			}
		})
	}
}

func TestASB(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  []byte
		want Status
	}{
		{"ok", []byte{0x10, 0, 0, 0}, Status{}},
		{"cover open", []byte{0x38, 0, 0, 0}, Status{Offline: true, CoverOpen: true}},
		{"paper out", []byte{0x18, 0, 0x0F, 0}, Status{Offline: true, PaperOut: true, PaperNearEnd: true}},
		{"near end", []byte{0x10, 0, 0x03, 0}, Status{PaperNearEnd: true}},
		{"cutter", []byte{0x18, 0x08, 0, 0}, Status{Offline: true, CutterError: true}},
		{"drawer", []byte{0x14, 0, 0, 0}, Status{DrawerPin3: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseASB(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if back := got.ASBMessage(); !bytes.Equal(back, tc.msg) {
				t.Errorf("ASBMessage: got % X, want % X", back, tc.msg)
			}
		})
	}
	for _, bad := range [][]byte{
		{0x12, 0, 0, 0},    // a DLE EOT answer, not a message start
		{0x10, 0x10, 0, 0}, // bit 4 set in byte 2
		{0x10, 0, 0x80, 0}, // bit 7 set in byte 3
		{0x00, 0, 0, 0},    // bit 4 clear in byte 1
		{0x10, 0, 0},       // short
		{0x10, 0, 0, 0, 0}, // long
	} {
		if _, err := ParseASB(bad); !errors.Is(err, ErrStatus) {
			t.Errorf("% X: got %v, want ErrStatus", bad, err)
		}
	}
}

// An emulator builds answers with StatusAnswers; Printer parses them back.
func TestStatusAnswersRoundTrip(t *testing.T) {
	for _, s := range []Status{
		{},
		{Offline: true, CoverOpen: true},
		{Offline: true, PaperOut: true, PaperNearEnd: true},
		{PaperNearEnd: true, DrawerPin3: true},
		{Offline: true, CutterError: true, AutoRecoverable: true},
	} {
		got, err := ParseStatus(AllStatus, s.StatusAnswers(AllStatus...))
		if err != nil {
			t.Fatal(err)
		}
		if got != s {
			t.Errorf("got %+v, want %+v", got, s)
		}
	}
}

func TestASBReaderSkipsNoise(t *testing.T) {
	var got []Status
	var r asbReader
	stream := []byte{0x11, 0x12, 0x18, 0, 0x0F, 0, 0x13, 0x10, 0x00, 0x10, 0, 0, 0}
	//              XON  answer  [paper out message]  XOFF  [cut short] [ok message]
	for _, b := range stream {
		r.feed(b, func(s Status) { got = append(got, s) })
	}
	want := []Status{{Offline: true, PaperOut: true, PaperNearEnd: true}, {}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte{0x12, 0x12, 0x12, 0x12})
	f.Add([]byte{0x1A, 0x32, 0x12, 0x7E})
	f.Add([]byte{0x18, 0, 0x0F, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == len(AllStatus) {
			s, err := ParseStatus(AllStatus, b)
			if err == nil {
				// a status that parses comes back the same from its
				// answers, except that an emulator reports an empty roll
				// on the near-end sensor too
				s.PaperNearEnd = s.PaperNearEnd || s.PaperOut
				if again, err := ParseStatus(AllStatus, s.StatusAnswers(AllStatus...)); err != nil || again != s {
					t.Fatalf("% X: %+v, again %+v, %v", b, s, again, err)
				}
			}
			for _, c := range b {
				if IsStatusAnswer(c) && IsASBStart(c) {
					t.Fatalf("0x%02X is both an answer and a message start", c)
				}
			}
		}
		ParseASB(b)
	})
}

func TestRasterRoundTrip(t *testing.T) {
	// a 10x3 bitmap with a diagonal and a full row
	bm := make([][]bool, 3)
	for y := range bm {
		bm[y] = make([]bool, 10)
		bm[y][y*3] = true
	}
	for x := range 10 {
		bm[2][x] = true
	}
	for _, scale := range []int{1, 3} {
		var buf bytes.Buffer
		p := Presets["generic-58"]
		e := NewEncoder(&buf, p)
		e.Init()
		e.Line("QR:")
		e.Raster(bm, scale)
		e.Line("after")
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		paper, err := Decode(buf.Bytes(), p)
		if err != nil {
			t.Fatal(err)
		}
		if len(paper.Rasters) != 1 {
			t.Fatalf("scale %d: %d rasters", scale, len(paper.Rasters))
		}
		r := paper.Rasters[0]
		wantW := (10*scale + 7) / 8 * 8
		if got, want := r.String(), fmt.Sprintf("RASTER %dx%d", wantW, 3*scale); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		for y := range 3 * scale {
			for x := range wantW {
				want := x < 10*scale && bm[y/scale][x/scale]
				if r.Dots[y][x] != want {
					t.Fatalf("scale %d: dot (%d,%d) = %v, want %v", scale, x, y, r.Dots[y][x], want)
				}
			}
		}
		if got, want := paper.Lines, []string{"QR:", "after"}; !reflect.DeepEqual(got, want) {
			t.Errorf("lines: got %q, want %q", got, want)
		}
	}
}

func TestRasterRefused(t *testing.T) {
	row := func(n int) []bool { return make([]bool, n) }
	for _, tc := range []struct {
		name   string
		bm     [][]bool
		scale  int
		preset string
	}{
		{"wider than 58 mm", [][]bool{row(385)}, 1, "generic-58"},
		{"scaled wider than 58 mm", [][]bool{row(129)}, 3, "generic-58"},
		{"wider than 80 mm", [][]bool{row(100)}, 6, "epson-tm-t82"},
		{"empty", nil, 1, "generic-58"},
		{"ragged", [][]bool{row(8), row(9)}, 1, "generic-58"},
		{"scale 0", [][]bool{row(8)}, 0, "generic-58"},
		{"too tall", make([][]bool, 2304), 1, "generic-58"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.bm {
				if tc.bm[i] == nil {
					tc.bm[i] = row(8)
				}
			}
			e := NewEncoder(io.Discard, Presets[tc.preset])
			e.Raster(tc.bm, tc.scale)
			if err := e.Flush(); !errors.Is(err, ErrImage) {
				t.Fatalf("got %v, want ErrImage", err)
			}
		})
	}
	e := NewEncoder(io.Discard, Presets["generic-58"])
	e.Raster([][]bool{row(384)}, 1)
	if err := e.Flush(); err != nil {
		t.Errorf("full-width image refused: %v", err)
	}
}

func TestDecodeStatusCommands(t *testing.T) {
	var b []byte
	b = append(b, StatusRequest(StatusPrinter)...)
	b = append(b, gs, 'a', ASBAll, esc, '@')
	b = append(b, StatusRequest(StatusPaper)...)
	paper, err := Decode(b, Presets["generic-58"])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DLE EOT 1", "GS a 15", "ESC @", "DLE EOT 4"}
	if !reflect.DeepEqual(paper.Commands, want) {
		t.Errorf("got %q, want %q", paper.Commands, want)
	}
	for _, bad := range [][]byte{
		{gs, 'v', '0', 0, 1, 0, 1},               // data missing
		{gs, 'v', '0', 0, 49, 0, 1, 0},           // 392 dots on 58 mm
		{gs, 'v', '0', 9, 1, 0, 1, 0, 0xFF},      // unknown mode
		{'x', gs, 'v', '0', 0, 1, 0, 1, 0, 0xFF}, // image after unprinted text
	} {
		if _, err := Decode(bad, Presets["generic-58"]); !errors.Is(err, ErrDecode) {
			t.Errorf("% X: got %v, want ErrDecode", bad, err)
		}
	}
	if _, err := Decode([]byte{gs, 'v', '0', 0, 1, 0, 2, 0, 0xFF}, Presets["generic-58"]); !errors.Is(err, ErrIncomplete) {
		t.Errorf("cut-short image: got %v, want ErrIncomplete", err)
	}
}

// timeoutPort is a serial port whose reads always time out the way
// go.bug.st/serial reports it: 0, nil, and at once.
type timeoutPort struct {
	reads    int
	timeouts []time.Duration
}

func (p *timeoutPort) Read([]byte) (int, error)    { p.reads++; return 0, nil }
func (p *timeoutPort) Write(b []byte) (int, error) { return len(b), nil }
func (p *timeoutPort) SetReadTimeout(d time.Duration) error {
	p.timeouts = append(p.timeouts, d)
	return nil
}
func (p *timeoutPort) Close() error { return nil }

func TestSerialZeroReadIsTimeout(t *testing.T) {
	port := &timeoutPort{}
	c := &serialConn{p: port}
	n, err := c.ReadTimeout(make([]byte, 8), time.Second)
	if n != 0 || !errors.Is(err, ErrTimeout) || errors.Is(err, io.EOF) {
		t.Fatalf("got %d, %v; want 0 and ErrTimeout", n, err)
	}
	if port.reads != 1 {
		t.Errorf("%d reads for one timed-out read: the conn retried", port.reads)
	}
	if got, want := port.timeouts, []time.Duration{time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("read timeouts set: got %v, want %v", got, want)
	}
	c.ReadTimeout(make([]byte, 8), -5)
	if got := port.timeouts[1]; got != 0 {
		t.Errorf("poll set timeout %v, want 0 (a negative one is serial.NoTimeout)", got)
	}
}

// shortPort accepts at most 3 bytes a write, as a tty may.
type shortPort struct {
	timeoutPort
	got []byte
}

func (p *shortPort) Write(b []byte) (int, error) {
	n := min(len(b), 3)
	p.got = append(p.got, b[:n]...)
	return n, nil
}

// drainPort is a shortPort that records when it was drained.
type drainPort struct {
	shortPort
	drainedAt []int // bytes written when Drain was called
}

func (p *drainPort) Drain() error { p.drainedAt = append(p.drainedAt, len(p.got)); return nil }

func TestSerialShortWrites(t *testing.T) {
	port := &drainPort{}
	c := &serialConn{p: port}
	data := bytes.Repeat([]byte("0123456789"), 200)
	n, err := c.WriteTimeout(data, time.Minute)
	if err != nil || n != len(data) || !bytes.Equal(port.got, data) {
		t.Fatalf("wrote %d of %d, %v", n, len(data), err)
	}
	if got, want := port.drainedAt, []int{len(data)}; !reflect.DeepEqual(got, want) {
		t.Errorf("drained after %v bytes, want once after all %v", got, want)
	}
}

// stuckPort never finishes a write until closed.
type stuckPort struct {
	timeoutPort
	closed chan struct{}
}

func (p *stuckPort) Write(b []byte) (int, error) { <-p.closed; return 0, errors.New("closed") }
func (p *stuckPort) Close() error                { close(p.closed); return nil }

func TestSerialWriteTimeoutCloses(t *testing.T) {
	port := &stuckPort{closed: make(chan struct{})}
	c := &serialConn{p: port}
	if _, err := c.WriteTimeout([]byte("x"), time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	select {
	case <-port.closed:
	default:
		t.Fatal("a timed-out write left the port open")
	}
}

// pipeFile is a device without deadlines: reads block until the other end
// writes.
type pipeFile struct {
	*io.PipeReader
	w io.Writer
}

func (f pipeFile) Write(b []byte) (int, error) { return f.w.Write(b) }

func TestBlockingConn(t *testing.T) {
	in, printer := io.Pipe()
	var sent bytes.Buffer
	c := newBlockingConn(pipeFile{in, &sent})
	defer c.Close()
	buf := make([]byte, 8)
	if _, err := c.ReadTimeout(buf, 0); !errors.Is(err, ErrTimeout) {
		t.Fatalf("poll of an idle device: got %v, want ErrTimeout", err)
	}
	if _, err := c.ReadTimeout(buf, time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("bounded read of an idle device: got %v, want ErrTimeout", err)
	}
	go printer.Write([]byte{0x12, 0x16})
	n, err := c.ReadTimeout(buf[:1], time.Minute)
	if err != nil || n != 1 || buf[0] != 0x12 {
		t.Fatalf("got %d % X, %v", n, buf[:n], err)
	}
	n, err = c.ReadTimeout(buf, 0) // the held byte, without waiting
	if err != nil || n != 1 || buf[0] != 0x16 {
		t.Fatalf("got %d % X, %v", n, buf[:n], err)
	}
	if _, err := c.WriteTimeout([]byte("job"), time.Minute); err != nil || sent.String() != "job" {
		t.Fatalf("write: %v, sent %q", err, sent.String())
	}
	printer.CloseWithError(errors.New("unplugged"))
	if _, err := c.ReadTimeout(buf, time.Minute); err == nil || errors.Is(err, ErrTimeout) {
		t.Fatalf("read of a gone device: got %v, want its error", err)
	}
}
