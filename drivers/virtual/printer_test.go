package virtual

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPrinterKeepsJobsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	p, err := NewPrinter(dir, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, title := range []string{"S001-T01-000001", "S001-T01-000002"} {
		if err := p.Print(ctx, title, "TOTAL 12.500\n"); err != nil {
			t.Fatal(err)
		}
	}
	p2, err := NewPrinter(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Print(ctx, "S001-T01-000003", "x\n"); err != nil {
		t.Fatal(err)
	}
	jobs, err := p2.Jobs(10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(jobs), 3; got != want {
		t.Fatalf("jobs = %d, want %d", got, want)
	}
	if got, want := jobs[0].Title, "S001-T01-000003"; got != want {
		t.Errorf("newest = %q, want %q", got, want)
	}
	if got, want := jobs[2].Text, "TOTAL 12.500\n"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if !jobs[2].Time.Equal(at) {
		t.Errorf("time = %v, want %v", jobs[2].Time, at)
	}
}

func TestPrinterFault(t *testing.T) {
	p, err := NewPrinter(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.SetFault(ErrPaperOut)
	if err := p.Print(context.Background(), "a", "b"); !errors.Is(err, ErrPaperOut) {
		t.Fatalf("err = %v, want paper out", err)
	}
	p.SetFault(nil)
	if err := p.Print(context.Background(), "a", "b"); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := p.Jobs(0); len(jobs) != 1 {
		t.Fatalf("jobs = %d, want 1", len(jobs))
	}
}
