package escpostest_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/kasirpos/kasir/drivers/escpos"
	"github.com/kasirpos/kasir/drivers/escpos/escpostest"
)

// A status request inside image data is image data: it neither ends the job
// nor, in the emulator, gets an answer.
func TestRequestBytesInsideImage(t *testing.T) {
	p := escpos.Presets["generic-58"]
	emu := escpostest.New(p)
	in, feed := io.Pipe()
	var answers bytes.Buffer
	served := make(chan error, 1)
	go func() {
		served <- emu.Serve(struct {
			io.Reader
			io.Writer
		}{in, &answers})
	}()

	// one row whose bytes are 10 04 01: DLE EOT 1
	bits := []byte{0x10, 0x04, 0x01}
	row := make([]bool, 24)
	for x := range row {
		row[x] = bits[x/8]&(0x80>>(x%8)) != 0
	}
	var job bytes.Buffer
	e := escpos.NewEncoder(&job, p)
	e.Init()
	e.Raster([][]bool{row}, 1)
	e.Line("after")
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(job.Bytes(), escpos.StatusRequest(escpos.StatusPrinter)) {
		t.Fatalf("the image does not hold DLE EOT 1: % X", job.Bytes())
	}
	feed.Write(job.Bytes())
	feed.Write(escpos.StatusRequest(escpos.StatusPaper))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs, err := emu.WaitJobs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	feed.Close()
	<-served
	j := jobs[0]
	if j.Err != nil || len(j.Paper.Rasters) != 1 || j.Paper.Lines[0] != "after" {
		t.Fatalf("job: %v, rasters %v, lines %q", j.Err, j.Paper.Rasters, j.Paper.Lines)
	}
	if got, want := answers.Bytes(), []byte{0x12}; !bytes.Equal(got, want) {
		t.Errorf("answers % X, want % X: only the request after the job", got, want)
	}
	if n := emu.StatusRequests(); n != 1 {
		t.Errorf("%d status requests counted, want 1", n)
	}
}

func TestPaperOutDropsAndAnswers(t *testing.T) {
	p := escpos.Presets["epson-tm-t82"]
	emu := escpostest.New(p)
	in, feed := io.Pipe()
	var answers bytes.Buffer
	served := make(chan error, 1)
	go func() {
		served <- emu.Serve(struct {
			io.Reader
			io.Writer
		}{in, &answers})
	}()
	emu.SetPaperOut(true)
	feed.Write([]byte("\x1b@lost\n"))
	feed.Write(escpos.StatusRequest(escpos.StatusPaper))
	feed.Close()
	<-served
	if got := emu.Jobs(); len(got) != 0 {
		t.Errorf("printed without paper: %+v", got)
	}
	if got := emu.Dropped(); got != 7 {
		t.Errorf("dropped %d bytes, want 7", got)
	}
	s, err := escpos.ParseStatus([]escpos.StatusKind{escpos.StatusPaper}, answers.Bytes())
	if err != nil || !s.PaperOut {
		t.Errorf("answer % X: %+v, %v; want paper out", answers.Bytes(), s, err)
	}
}
