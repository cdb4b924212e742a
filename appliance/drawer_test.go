package appliance_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// An opening the sensor saw right after the till's kick is the sale's; one
// with no kick (the key) is journaled as such. Both travel to head office.
func TestDrawerOpeningsJournaled(t *testing.T) {
	f := newFixture(t, nil)
	f.add(t, "AIR", appliance.QtyOne)
	res, err := f.till.Pay(f.ctx, f.u, "", cash(5000))
	if err != nil {
		t.Fatal(err)
	}
	at := f.clock.Now()
	if err := f.till.DrawerClosed(f.ctx, at.Add(200*time.Millisecond), at.Add(9*time.Second), false); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(at.Add(time.Hour))
	if err := f.till.DrawerClosed(f.ctx, at.Add(time.Hour), at.Add(time.Hour+5*time.Minute), true); err != nil {
		t.Fatal(err)
	}
	entries, err := f.db.Journal(f.ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []appliance.DrawerOpening
	for _, e := range entries {
		if e.Kind != string(appliance.RecDrawer) {
			continue
		}
		var m appliance.OutboxMessage
		if err := json.Unmarshal(e.Body, &m); err != nil || m.Drawer == nil {
			t.Fatalf("entry %d: %v %s", e.ID, err, e.Body)
		}
		got = append(got, *m.Drawer)
	}
	if len(got) != 2 {
		t.Fatalf("%d drawer entries, want 2", len(got))
	}
	if !got[0].Kicked || got[0].Why != res.Number || got[0].Seconds < 8.7 || got[0].Seconds > 8.9 || got[0].LeftOpen {
		t.Errorf("sale opening %+v", got[0])
	}
	if got[1].Kicked || !got[1].LeftOpen || got[1].Seconds != 300 {
		t.Errorf("key opening %+v", got[1])
	}
}
