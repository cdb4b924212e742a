package virtual

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kasirpos/kasir/internal/durable"
)

// Job is one printed job as it came out.
type Job struct {
	ID    string
	Time  time.Time
	Title string
	Text  string
}

// Printer keeps each job as a file in Dir, written durably (write, fsync,
// rename, fsync the folder), so the paper survives a power cut like a real
// roll would. The zero value is not usable; use NewPrinter.
type Printer struct {
	dir string
	now func() time.Time

	mu   sync.Mutex
	seq  int
	fail error // when set, jobs fail with it (tests simulate paper out)
}

// NewPrinter makes dir if needed and returns a printer that writes there.
func NewPrinter(dir string, now func() time.Time) (*Printer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("virtual printer: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	p := &Printer{dir: dir, now: now}
	names, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	for _, n := range names {
		var s int
		if _, err := fmt.Sscanf(filepath.Base(n), "%08d", &s); err == nil && s > p.seq {
			p.seq = s
		}
	}
	return p, nil
}

// ErrPaperOut is what a printer told to fail reports.
var ErrPaperOut = errors.New("virtual printer: paper out")

// SetFault makes every job fail with err until it is cleared with nil.
func (p *Printer) SetFault(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = err
}

// Fault returns the simulated fault, if any.
func (p *Printer) Fault() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fail
}

// Print writes one job.
func (p *Printer) Print(ctx context.Context, title, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p.seq++
	t := p.now()
	name := fmt.Sprintf("%08d-%s.txt", p.seq, safe(title))
	body := "# " + t.UTC().Format(time.RFC3339) + " " + title + "\n" + text
	if err := durable.WriteFile(filepath.Join(p.dir, name), []byte(body), 0o644); err != nil {
		p.seq--
		return fmt.Errorf("virtual printer: write %s: %w", name, err)
	}
	return nil
}

func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// Jobs returns the newest jobs, newest first, at most limit.
func (p *Printer) Jobs(limit int) ([]Job, error) {
	names, err := filepath.Glob(filepath.Join(p.dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	out := make([]Job, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			continue
		}
		head, text, _ := strings.Cut(string(b), "\n")
		j := Job{ID: strings.TrimSuffix(filepath.Base(n), ".txt"), Text: text}
		if f := strings.SplitN(strings.TrimPrefix(head, "# "), " ", 2); len(f) == 2 {
			j.Time, _ = time.Parse(time.RFC3339, f[0])
			j.Title = f[1]
		}
		out = append(out, j)
	}
	return out, nil
}
