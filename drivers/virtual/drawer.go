package virtual

import (
	"context"
	"sync"
	"time"
)

// Drawer is a cash drawer that only counts its openings.
type Drawer struct {
	mu     sync.Mutex
	opens  int
	lastAt time.Time
}

// Open "opens" the drawer.
func (d *Drawer) Open(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opens++
	d.lastAt = time.Now()
	return ctx.Err()
}

// Opens reports how often the drawer was opened and when last.
func (d *Drawer) Opens() (int, time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.opens, d.lastAt
}
