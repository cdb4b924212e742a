package appliance

import (
	"context"
	"time"
)

// Status is what the status strip shows.
type Status struct {
	Store   string `json:"store"`
	Till    string `json:"till"`
	Version string `json:"version"`
	Online  bool   `json:"online"`
	// QRIS says whether dynamic QRIS is offered now (set up and online).
	QRIS bool `json:"qris"`
	SyncState
	OldestSeconds int64           `json:"oldest_unsynced_seconds"`
	SyncLevel     string          `json:"sync_level"` // ok, amber, red
	Catalog       CatalogStatus   `json:"catalog"`
	Printer       DeviceStatus    `json:"printer"`
	Drawer        DeviceStatus    `json:"drawer"`
	Devices       []DeviceStatus  `json:"devices,omitempty"` // pole display, scanners
	PrintQueue    PrintQueueState `json:"print_queue"`
	ShiftOpen     bool            `json:"shift_open"`
	ShiftID       int64           `json:"shift_id,omitempty"`
	ClockBehind   bool            `json:"clock_behind"`
	// ClockUntrusted: NTP has not synchronised since the till started, so
	// sales carry clock_untrusted.
	ClockUntrusted bool      `json:"clock_untrusted"`
	Database       string    `json:"database"`
	Time           time.Time `json:"time"`
	TimeZone       string    `json:"time_zone"`
	Zone           string    `json:"zone"`
	LockedSeconds  int64     `json:"locked_seconds,omitempty"`
}

// CatalogStatus says which catalog the till sells from and how old it is.
type CatalogStatus struct {
	CatalogInfo
	AgeSeconds int64 `json:"age_seconds"`
	Stale      bool  `json:"stale"`
}

// Status reports sync, catalog and device state. It reads only local state
// and never waits on the network.
func (t *Till) Status(ctx context.Context) (Status, error) {
	t.mu.Lock()
	cfg := t.cfg
	st := Status{
		Store: cfg.Store, Till: cfg.Till, Version: t.version,
		ShiftOpen: t.shift.Open(), ClockBehind: t.clockBehind, ClockUntrusted: !t.trustClock(), Database: "ok",
		TimeZone: cfg.TimeZone, Zone: cfg.ZoneName(),
	}
	if st.ShiftOpen {
		st.ShiftID = t.shift.ID
	}
	t.mu.Unlock()
	now := t.now()
	st.Time = now
	st.Online = t.online()
	st.QRIS = t.QRISAvailable()
	sync, err := t.store.SyncState(ctx)
	if err != nil {
		st.Database = "error"
		return st, Wrap(CodeStoreFailed, err, "sync state")
	}
	st.SyncState = sync
	st.SyncLevel = "ok"
	if !sync.OldestUnsynced.IsZero() {
		age := now.Sub(sync.OldestUnsynced)
		st.OldestSeconds = int64(max(age, 0).Seconds())
		switch {
		case cfg.AlarmUnsynced.Duration > 0 && age > cfg.AlarmUnsynced.Duration:
			st.SyncLevel = "red"
		case cfg.WarnUnsynced.Duration > 0 && age > cfg.WarnUnsynced.Duration:
			st.SyncLevel = "amber"
		}
	}
	info, err := t.catalog.Info()
	if err == nil {
		st.Catalog.CatalogInfo = info
		if !info.LoadedAt.IsZero() {
			age := now.Sub(info.LoadedAt)
			st.Catalog.AgeSeconds = int64(max(age, 0).Seconds())
			st.Catalog.Stale = cfg.MaxCatalogAge.Duration > 0 && age > cfg.MaxCatalogAge.Duration
		}
	}
	if st.PrintQueue, err = t.store.PrintQueueState(ctx); err != nil {
		st.Database = "error"
		return st, Wrap(CodeStoreFailed, err, "print queue state")
	}
	st.Printer = t.printer.Status()
	st.Drawer = t.drawer.Status()
	if t.devices != nil {
		st.Devices = t.devices()
	}
	return st, nil
}
