package appliance

import (
	"context"
	"time"
)

// DrawerOpening is one opening of a drawer with an open sensor, from open to
// close, as the journal keeps it: when, for how long, whether the till had
// kicked it (and why) or it was opened with the key, and whether it was
// left open past the warning time.
type DrawerOpening struct {
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at"`
	Seconds  float64   `json:"seconds"`
	Kicked   bool      `json:"kicked"`            // the till opened it
	Why      string    `json:"why,omitempty"`     // receipt number, "no sale", "shift open", "cash move"
	LeftOpen bool      `json:"left_open"`         // open longer than the warning time
	ShiftID  int64     `json:"shift_id,omitzero"` // the shift open at the time
}

// kick is the till's last drawer kick, to tell a kicked opening from one
// made with the key.
type kick struct {
	at  time.Time
	why string
}

// kickWindow is how soon after a kick the sensor must see the drawer open
// for the opening to count as the till's.
const kickWindow = 3 * time.Second

func (t *Till) openDrawer(ctx context.Context, why string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	t.mu.Lock()
	t.lastKick = kick{at: t.now(), why: why}
	t.mu.Unlock()
	if err := t.drawer.Open(dctx); err != nil {
		t.log.Error("drawer open failed", "why", why, "err", err)
	}
}

// DrawerClosed journals one opening seen by the drawer's sensor, once it has
// closed. An opening the till did not kick (the key, a forced drawer) is
// journaled as such and logged as a warning.
func (t *Till) DrawerClosed(ctx context.Context, opened, closed time.Time, leftOpen bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := &DrawerOpening{OpenedAt: opened.UTC(), ClosedAt: closed.UTC(), Seconds: closed.Sub(opened).Seconds(), LeftOpen: leftOpen}
	if k := t.lastKick; !k.at.IsZero() && !opened.Before(k.at.Add(-time.Second)) && opened.Sub(k.at) <= kickWindow {
		d.Kicked, d.Why = true, k.why
	}
	if t.shift.Open() {
		d.ShiftID = t.shift.ID
	}
	if !d.Kicked {
		t.log.Warn("drawer opened without a kick", "opened", opened, "seconds", d.Seconds)
	}
	when, _ := t.stamp()
	return t.commit(ctx, &Record{Kind: RecDrawer, Time: when, UserID: "drawer", UserName: "drawer", Drawer: d})
}
