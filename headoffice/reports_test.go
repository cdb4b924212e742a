package headoffice

import (
	"context"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

func TestZReportFromShiftClose(t *testing.T) {
	db := openDB(t, t.TempDir())
	ctx := context.Background()
	tl := till{store: "S001", till: "T01", epoch: "e1", kinds: map[int64]appliance.RecordKind{
		1: appliance.RecShiftOpen, 5: appliance.RecShiftClose}}
	// The close arrives before the sales it follows: it must wait for them.
	ingest(t, db, tl.batch(t, 5, 5))
	if zs, err := db.ZReports(ctx, "S001", "T01", 0); err != nil || len(zs) != 0 {
		t.Fatalf("Z report before its seq is applied: %v %v", zs, err)
	}
	ingest(t, db, tl.batch(t, 1, 4))
	zs, err := db.ZReports(ctx, "S001", "T01", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) != 1 || zs[0].Kind != "Z" || zs[0].ShiftID != 1 || zs[0].Net != 6000 || zs[0].Store != "S001" {
		t.Fatalf("Z reports %+v", zs)
	}
	if zs, _ := db.ZReports(ctx, "S001", "T02", 0); len(zs) != 0 {
		t.Errorf("another till's Z reports: %+v", zs)
	}
	if zs, _ := db.ZReports(ctx, "", "", 0); len(zs) != 1 {
		t.Errorf("fleet Z reports: %+v", zs)
	}
}

func TestSalesByStoreAndDayInWIB(t *testing.T) {
	db := openDB(t, t.TempDir())
	ctx := context.Background()
	day := func(h, m int, d int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, wib) }
	// 00:30 WIB on the 11th is still the 10th in UTC: it belongs to the 11th.
	a := till{store: "S001", till: "T01", epoch: "a",
		kinds: map[int64]appliance.RecordKind{3: appliance.RecVoid, 4: appliance.RecShiftOpen, 5: appliance.RecRefund},
		times: map[int64]time.Time{1: day(23, 50, 9), 2: day(0, 10, 10), 3: day(12, 0, 10), 4: day(12, 1, 10), 5: day(23, 59, 10), 6: day(0, 30, 11)}}
	b := till{store: "S002", till: "T01", epoch: "b",
		times: map[int64]time.Time{1: day(8, 0, 10), 2: day(9, 0, 10)}}
	// S003 is in WIT (UTC+9): 23:30 WIT on the 10th is 21:30 WIB.
	c := till{store: "S003", till: "T01", epoch: "c",
		times: map[int64]time.Time{1: time.Date(2026, 3, 10, 23, 30, 0, 0, time.FixedZone("WIT", 9*3600)),
			2: time.Date(2026, 3, 11, 0, 30, 0, 0, time.FixedZone("WIT", 9*3600))}}
	if err := db.SetStoreZone(ctx, "S003", "Asia/Jayapura"); err != nil {
		t.Fatal(err)
	}
	ingest(t, db, a.batch(t, 1, 6))
	ingest(t, db, b.batch(t, 1, 2))
	ingest(t, db, c.batch(t, 1, 2))

	tests := []struct {
		name string
		q    SalesQuery
		want []string
	}{
		{"one store's day", SalesQuery{Store: "S001", Day: "2026-03-10"},
			[]string{"S001-T01-000002", "S001-T01-000003", "S001-T01-000005"}},
		{"next day starts at midnight WIB", SalesQuery{Store: "S001", Day: "2026-03-11"}, []string{"S001-T01-000006"}},
		{"voids only", SalesQuery{Store: "S001", Day: "2026-03-10", Kind: appliance.DocVoid}, []string{"S001-T01-000003"}},
		{"every store, each in its zone", SalesQuery{Day: "2026-03-10"},
			[]string{"S001-T01-000002", "S002-T01-000001", "S002-T01-000002", "S001-T01-000003", "S003-T01-000001", "S001-T01-000005"}},
		{"a till", SalesQuery{Store: "S002", Till: "T01", Day: "2026-03-10", Limit: 1}, []string{"S002-T01-000001"}},
		{"empty day", SalesQuery{Store: "S001", Day: "2026-03-12"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := db.Sales(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Number)
				if r.Doc == nil || r.Doc.Number != r.Number || r.Day != tt.q.Day && tt.q.Day != "" {
					t.Errorf("row %+v", r)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	rows, _ := db.Sales(ctx, SalesQuery{Store: "S001", Day: "2026-03-10", Kind: appliance.DocRefund})
	if len(rows) != 1 || rows[0].Kind != appliance.DocRefund || rows[0].Total != 5000 || rows[0].Ref != "S001-T01-000001" || rows[0].User != "Sari" {
		t.Errorf("refund row %+v", rows)
	}
	for _, q := range []SalesQuery{{Day: "10-03-2026"}, {Day: ""}, {Day: "2026-03-10", Kind: "gift"}, {Day: "2026-03-10", Store: "S/1"}} {
		if _, err := db.Sales(ctx, q); appliance.ErrorCode(err) != appliance.CodeInvalid {
			t.Errorf("query %+v: %v, want invalid", q, err)
		}
	}
}

func TestFleetFromStatusAndConfigAcks(t *testing.T) {
	db := openDB(t, t.TempDir())
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	ingest(t, db, tl.batch(t, 1, 3))

	oldest := now.Add(-2 * time.Hour)
	st := wire.Status{V: 1, Store: "S001", Till: "T01", Online: true, Time: now, Epoch: "e1", LastSeq: 9, AckedSeq: 2,
		Backlog: 7, OldestUnsynced: oldest, Software: "v1.2", CatalogVersion: "41", ConfigVersion: "7",
		Devices: map[string]appliance.DeviceStatus{"printer": {Name: "printer", State: appliance.DevicePaperLow}}}
	if err := db.RecordStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	rej := wire.ConfigAck{V: 1, Store: "S001", Till: "T01", Kind: wire.KindConfig, Version: 8, Status: "rejected", Reason: "bad_signature", Time: now}
	if err := db.RecordConfigAck(ctx, rej); err != nil {
		t.Fatal(err)
	}
	applied := wire.ConfigAck{V: 1, Store: "S001", Till: "T01", Kind: wire.KindCatalog, Version: 42, Status: "applied", Time: now}
	if err := db.RecordConfigAck(ctx, applied); err != nil {
		t.Fatal(err)
	}
	// A till that only ever reported presence, and went away.
	if err := db.RecordStatus(ctx, wire.Status{V: 1, Store: "S002", Till: "T09"}); err != nil {
		t.Fatal(err)
	}

	fleet, err := db.Fleet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fleet) != 2 {
		t.Fatalf("fleet %+v", fleet)
	}
	f := fleet[0]
	if !f.Online || !f.LastSeen.Equal(now) || f.Epoch != "e1" || f.AckedSeq != 3 || f.ReportedAckedSeq != 2 ||
		f.ReportedLastSeq != 9 || f.ReportedBacklog != 7 || !f.OldestUnsynced.Equal(oldest) || f.Software != "v1.2" ||
		f.CatalogVersion != "41" || f.ConfigVersion != "7" || f.Devices["printer"].State != appliance.DevicePaperLow ||
		f.Gap != nil || f.Pending != 0 {
		t.Errorf("till %+v", f)
	}
	if f.LastRejection == nil || f.LastRejection.Reason != "bad_signature" || f.LastRejection.Version != 8 {
		t.Errorf("last rejection %+v", f.LastRejection)
	}
	if f.LastConfigAck == nil || f.LastConfigAck.Status != "applied" || f.LastConfigAck.Version != 42 {
		t.Errorf("last config ack %+v", f.LastConfigAck)
	}
	if g := fleet[1]; g.Store != "S002" || g.Online || !g.LastSeen.IsZero() || g.AckedSeq != 0 {
		t.Errorf("absent till %+v", g)
	}

	// The last will: offline, with backlog and versions kept as last
	// reported and last seen unchanged.
	seen := now
	now = now.Add(time.Minute)
	if err := db.RecordStatus(ctx, wire.Status{V: 1, Store: "S001", Till: "T01"}); err != nil {
		t.Fatal(err)
	}
	fleet, _ = db.Fleet(ctx)
	if f := fleet[0]; f.Online || f.ReportedBacklog != 7 || f.Software != "v1.2" || !f.LastSeen.Equal(seen) {
		t.Errorf("after the will %+v", f)
	}
	// Back online, then a replayed older status is ignored.
	st.Time, st.Backlog = now, 0
	if err := db.RecordStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	stale := st
	stale.Time, stale.Backlog = now.Add(-time.Hour), 99
	if err := db.RecordStatus(ctx, stale); err != nil {
		t.Fatal(err)
	}
	fleet, _ = db.Fleet(ctx)
	if f := fleet[0]; !f.Online || f.ReportedBacklog != 0 || !f.StatusTime.Equal(now) {
		t.Errorf("after a stale status %+v", f)
	}

	for _, bad := range []wire.ConfigAck{
		{Store: "S001", Till: "T01", Kind: "firmware", Status: "applied"},
		{Store: "S001", Till: "T01", Kind: wire.KindConfig, Status: "maybe"},
		{Store: "", Till: "T01", Kind: wire.KindConfig, Status: "applied"},
	} {
		if err := db.RecordConfigAck(ctx, bad); err == nil {
			t.Errorf("config ack %+v accepted", bad)
		}
	}
}
