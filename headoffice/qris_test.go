package headoffice

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

// A sale only the cashier confirmed (static QRIS) keeps its reconcile flag
// in the sales list, and a qris_late record is kept in order like any other.
func TestIngestQRISReconciliation(t *testing.T) {
	db := openDB(t, t.TempDir())
	ctx := context.Background()
	tl := till{store: "S001", till: "T01", epoch: "q"}
	var sale appliance.OutboxMessage
	json.Unmarshal(tl.record(t, 1), &sale)
	sale.Sale.Reconcile = true
	sale.Sale.Payments = []appliance.Payment{{Method: appliance.MethodQRISStatic, Amount: sale.Sale.Total,
		Reference: "c-1", Confirmation: appliance.ConfirmedByCashier}}
	late := appliance.OutboxMessage{Store: "S001", Till: "T01", Epoch: "q", Seq: 2, Kind: appliance.RecQRISLate,
		Time: sale.Time.Add(60e9), UserID: "u1", UserName: "Sari", Reason: "paid after the charge was closed",
		QRIS: &appliance.QRISAttempt{Reference: "c-2-1", CartID: "c-2", Method: "qris", Amount: 5000, ChargeID: "qr-9", State: "paid", Late: true, LateSeq: 2}}
	b := &wire.Batch{V: wire.BatchVersion, ID: wire.BatchID("T01", "q", 1, 2), Store: "S001", Till: "T01", Epoch: "q", First: 1, Last: 2}
	for _, m := range []appliance.OutboxMessage{sale, late} {
		raw, _ := json.Marshal(m)
		b.Records = append(b.Records, raw)
	}
	if ack, _ := ingest(t, db, b); ack.Seq != 2 {
		t.Fatalf("ack %+v, want both records", ack)
	}
	rows, err := db.Sales(ctx, SalesQuery{Store: "S001", Day: sale.Time.In(wib).Format("2006-01-02")})
	if err != nil || len(rows) != 1 || rows[0].Doc == nil || !rows[0].Doc.Reconcile {
		t.Fatalf("sales %+v, %v; want the sale flagged for reconciliation", rows, err)
	}
	var body string
	if err := db.ro.QueryRowContext(ctx, "SELECT body FROM records WHERE kind = 'qris_late' AND seq = 2").Scan(&body); err != nil {
		t.Fatalf("qris_late record: %v", err)
	}
	var got appliance.OutboxMessage
	if json.Unmarshal([]byte(body), &got); got.QRIS == nil || got.QRIS.ChargeID != "qr-9" || got.QRIS.Amount != 5000 {
		t.Errorf("qris_late body %s", body)
	}
}

// qrisTill makes a till's QRIS records as the till commits them: Record,
// Finalize, Body.
type qrisTill struct {
	store, till, epoch string
	seq                int64
}

func (q *qrisTill) next(t *testing.T, r *appliance.Record) json.RawMessage {
	t.Helper()
	q.seq++
	r.Store, r.Till = q.store, q.till
	if r.Time.IsZero() {
		r.Time = t0.Add(time.Duration(q.seq) * time.Minute).UTC()
	}
	if r.UserName == "" {
		r.UserID, r.UserName = "u1", "Sari"
	}
	r.Finalize(q.epoch, q.seq)
	b, err := r.Body()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (q *qrisTill) batch(recs ...json.RawMessage) *wire.Batch {
	first := q.seq - int64(len(recs)) + 1
	return &wire.Batch{V: wire.BatchVersion, ID: wire.BatchID(q.till, q.epoch, first, q.seq),
		Store: q.store, Till: q.till, Epoch: q.epoch, First: first, Last: q.seq, Records: recs}
}

func qrisStaticSale(amount appliance.Rupiah, ref string, cash appliance.Rupiah) *appliance.Record {
	pays := []appliance.Payment{{Method: appliance.MethodQRISStatic, Amount: amount, Reference: ref,
		Confirmation: appliance.ConfirmedByCashier}}
	if cash > 0 {
		pays = append(pays, appliance.Payment{Method: appliance.MethodCash, Amount: cash})
	}
	return &appliance.Record{Kind: appliance.RecSale, Sale: &appliance.Sale{Kind: appliance.DocSale, UserName: "Sari",
		Total: amount + cash, Paid: amount + cash, Payments: pays, Reconcile: true}}
}

func qrisCashSale(amount appliance.Rupiah) *appliance.Record {
	return &appliance.Record{Kind: appliance.RecSale, Sale: &appliance.Sale{Kind: appliance.DocSale, UserName: "Sari",
		Total: amount, Paid: amount, Payments: []appliance.Payment{{Method: appliance.MethodCash, Amount: amount}}}}
}

func qrisLate(ref, charge string, amount appliance.Rupiah, paid time.Time) *appliance.Record {
	return &appliance.Record{Kind: appliance.RecQRISLate, Reason: "paid after the charge was closed",
		QRIS: &appliance.QRISAttempt{Reference: ref, CartID: ref[:3], Method: appliance.MethodQRIS, Amount: amount,
			ChargeID: charge, State: "paid", Late: true, PaidAt: paid.UTC(), UserName: "Sari"}}
}

// qrisLateAck is the till's decision on a late record's attempt, as
// AckLateQRIS commits it.
func qrisLateAck(t *testing.T, late json.RawMessage, decision, sale string) *appliance.Record {
	t.Helper()
	var m appliance.OutboxMessage
	if err := json.Unmarshal(late, &m); err != nil || m.QRIS == nil {
		t.Fatalf("late record %s: %v", late, err)
	}
	a := *m.QRIS
	a.Ack = &appliance.QRISLateAck{Decision: decision, Sale: sale, SupervisorID: "s1", SupervisorName: "Budi"}
	return &appliance.Record{Kind: appliance.RecQRISLateAck, UserID: "u1", UserName: "Sari", Reason: decision, QRIS: &a}
}

func qrisReport(t *testing.T, st Store, q QRISQuery) *QRISReport {
	t.Helper()
	r, err := st.QRISReconcile(context.Background(), q)
	if err != nil {
		t.Fatalf("QRIS %+v: %v", q, err)
	}
	return r
}

func qrisIDs(r *QRISReport) []string {
	var ids []string
	for _, it := range r.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// scenarioQRIS: ingest derives the reconciliation items from the records'
// bodies; the view filters by store, days and state with totals per state;
// head office's mark is idempotent; the till's ack closes late money.
func scenarioQRIS(t *testing.T, be backend) {
	ctx := context.Background()
	st := be.openFresh(t)
	now := time.Date(2026, 3, 11, 3, 0, 0, 0, time.UTC)
	st.setNow(func() time.Time { return now })

	a := &qrisTill{store: "S001", till: "T01", epoch: "qa"}
	static := a.next(t, qrisStaticSale(15000, "QR-1", 2000))
	cash := a.next(t, qrisCashSale(3000))
	late1 := a.next(t, qrisLate("c-2-1", "qr-9", 5000, t0.Add(10*time.Minute)))
	late2 := a.next(t, qrisLate("c-3-1", "qr-10", 7000, t0.Add(20*time.Minute)))
	first := a.batch(static, cash, late1, late2)
	ingestInto(t, st, first)
	ingestInto(t, st, first) // a duplicate changes nothing

	// Another store, the next day in its own zone (WITA).
	if err := st.setZone(ctx, "S002", "Asia/Makassar"); err != nil {
		t.Fatal(err)
	}
	b := &qrisTill{store: "S002", till: "T02", epoch: "qb"}
	nextDay := time.Date(2026, 3, 11, 0, 30, 0, 0, time.FixedZone("WITA", 8*3600))
	r := qrisStaticSale(20000, "QR-2", 0)
	r.Time = nextDay.UTC()
	ingestInto(t, st, b.batch(b.next(t, r)))

	staticA := qrisID(QRISStatic, "S001", "T01", "qa/1")
	lateA1 := qrisID(QRISLate, "S001", "T01", "c-2-1")
	lateA2 := qrisID(QRISLate, "S001", "T01", "c-3-1")
	staticB := qrisID(QRISStatic, "S002", "T02", "qb/1")

	rep := qrisReport(t, st, QRISQuery{})
	if got, want := qrisIDs(rep), []string{staticA, lateA1, lateA2, staticB}; !slices.Equal(got, want) {
		t.Fatalf("open items %v, want %v", got, want)
	}
	it := rep.Items[0]
	if it.Kind != QRISStatic || it.State != QRISOpen || it.Amount != 15000 || it.Number != "S001-T01-000001" ||
		it.Reference != "QR-1" || it.User != "Sari" || it.Seq != 1 || !it.Time.Equal(t0.Add(time.Minute)) || it.Day != "2026-03-10" {
		t.Errorf("static item %+v", it)
	}
	it = rep.Items[1]
	if it.Kind != QRISLate || it.Amount != 5000 || it.ChargeID != "qr-9" || it.Reference != "c-2-1" || it.Seq != 3 ||
		!it.Time.Equal(t0.Add(10*time.Minute)) || it.Ack != nil {
		t.Errorf("late item %+v", it)
	}
	if it := rep.Items[3]; it.Day != "2026-03-11" || it.Amount != 20000 {
		t.Errorf("S002 item %+v: want its day in WITA", it)
	}
	wantTotals := func(rep *QRISReport, kind, state string, n int, amount appliance.Rupiah) {
		t.Helper()
		if got := rep.Totals[kind][state]; got.Count != n || got.Amount != amount {
			t.Errorf("%s %s total %+v, want %d / %d", kind, state, got, n, amount)
		}
	}
	wantTotals(rep, QRISStatic, QRISOpen, 2, 35000)
	wantTotals(rep, QRISLate, QRISOpen, 2, 12000)
	wantTotals(rep, QRISLate, QRISDone, 0, 0)

	// Days (each store's own) and store.
	if got := qrisIDs(qrisReport(t, st, QRISQuery{From: "2026-03-10", To: "2026-03-10"})); !slices.Equal(got, []string{staticA, lateA1, lateA2}) {
		t.Errorf("10 March: %v", got)
	}
	if got := qrisIDs(qrisReport(t, st, QRISQuery{From: "2026-03-11"})); !slices.Equal(got, []string{staticB}) {
		t.Errorf("from 11 March: %v", got)
	}
	if got := qrisIDs(qrisReport(t, st, QRISQuery{Store: "S002", State: QRISAll})); !slices.Equal(got, []string{staticB}) {
		t.Errorf("S002: %v", got)
	}

	// The till's acknowledgement closes late money.
	ack := a.next(t, qrisLateAck(t, late1, appliance.LateAttached, "S001-T01-000002"))
	ingestInto(t, st, a.batch(ack))
	rep = qrisReport(t, st, QRISQuery{State: QRISDone})
	if len(rep.Items) != 1 || rep.Items[0].ID != lateA1 || rep.Items[0].State != QRISDone {
		t.Fatalf("done after ack: %+v", rep.Items)
	}
	if ak := rep.Items[0].Ack; ak == nil || ak.Decision != appliance.LateAttached || ak.Sale != "S001-T01-000002" ||
		ak.SupervisorName != "Budi" || ak.Seq != 5 {
		t.Errorf("ack %+v", ak)
	}
	wantTotals(rep, QRISLate, QRISOpen, 1, 7000)
	wantTotals(rep, QRISLate, QRISDone, 1, 5000)

	// Head office marks a static sale checked: once, whoever marks again.
	got, err := st.MarkQRIS(ctx, staticA, " Ani ")
	if err != nil || got.CheckedBy != "Ani" || !got.CheckedAt.Equal(now) || got.State != QRISDone {
		t.Fatalf("mark: %+v, %v", got, err)
	}
	later := now.Add(time.Hour)
	st.setNow(func() time.Time { return later })
	got, err = st.MarkQRIS(ctx, staticA, "Joko")
	if err != nil || got.CheckedBy != "Ani" || !got.CheckedAt.Equal(now) {
		t.Errorf("mark again: %+v, %v; want the first mark", got, err)
	}
	// And resolves late money the till never acknowledged.
	if got, err := st.MarkQRIS(ctx, lateA2, "Ani"); err != nil || got.State != QRISDone || got.Ack != nil {
		t.Errorf("resolve late: %+v, %v", got, err)
	}
	rep = qrisReport(t, st, QRISQuery{State: QRISOpen})
	if got := qrisIDs(rep); !slices.Equal(got, []string{staticB}) {
		t.Errorf("open after marks: %v", got)
	}
	wantTotals(rep, QRISStatic, QRISOpen, 1, 20000)
	wantTotals(rep, QRISStatic, QRISDone, 1, 15000)
	wantTotals(rep, QRISLate, QRISDone, 2, 12000)
	if rep := qrisReport(t, st, QRISQuery{State: QRISAll, Limit: 2}); len(rep.Items) != 2 || !rep.Truncated {
		t.Errorf("limit 2: %d items, truncated %v", len(rep.Items), rep.Truncated)
	}

	// A duplicate ack changes nothing.
	ingestInto(t, st, a.batch(ack))
	if rep := qrisReport(t, st, QRISQuery{State: QRISDone}); len(rep.Items) != 3 {
		t.Errorf("done after duplicate: %v", qrisIDs(rep))
	}

	for _, tt := range []struct {
		id, by string
		code   appliance.Code
	}{
		{"static/S009/T01/x/1", "Ani", appliance.CodeNotFound},
		{staticB, " ", appliance.CodeInvalid},
		{"", "Ani", appliance.CodeInvalid},
	} {
		if _, err := st.MarkQRIS(ctx, tt.id, tt.by); appliance.ErrorCode(err) != tt.code {
			t.Errorf("mark %q by %q: %v, want %s", tt.id, tt.by, err, tt.code)
		}
	}
	for _, q := range []QRISQuery{{State: "closed"}, {From: "10-03-2026"}, {From: "2026-03-11", To: "2026-03-10"}, {Store: "s 1"}} {
		if _, err := st.QRISReconcile(ctx, q); appliance.ErrorCode(err) != appliance.CodeInvalid {
			t.Errorf("query %+v: %v, want invalid", q, err)
		}
	}
}

func scenarioHTTPQRIS(t *testing.T, be backend) {
	st := be.openFresh(t)
	a := &qrisTill{store: "S001", till: "T01", epoch: "qa"}
	ingestInto(t, st, a.batch(a.next(t, qrisStaticSale(15000, "QR-1", 0)),
		a.next(t, qrisLate("c-2-1", "qr-9", 5000, t0.Add(10*time.Minute)))))
	h := NewHandler(st, testLog(t))

	w := get(t, h, "/api/v1/qris/reconcile?from=2026-03-10&to=2026-03-10&store=S001&state=open")
	var rep QRISReport
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &rep) != nil || len(rep.Items) != 2 ||
		rep.Totals[QRISStatic][QRISOpen].Amount != 15000 || rep.Totals[QRISLate][QRISOpen].Count != 1 {
		t.Fatalf("reconcile: %d %s", w.Code, w.Body)
	}
	id := rep.Items[0].ID
	post := func(ctype, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/qris/reconcile/mark", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	body, _ := json.Marshal(QRISMark{ID: id, By: "Ani"})
	var first, again QRISItem
	if w := post("application/json", string(body)); w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &first) != nil ||
		first.State != QRISDone || first.CheckedBy != "Ani" || first.CheckedAt.IsZero() {
		t.Fatalf("mark: %d %s", w.Code, w.Body)
	}
	body2, _ := json.Marshal(QRISMark{ID: id, By: "Joko"})
	if w := post("application/json; charset=utf-8", string(body2)); w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &again) != nil ||
		again.CheckedBy != "Ani" || !again.CheckedAt.Equal(first.CheckedAt) {
		t.Errorf("mark again: %d %s", w.Code, w.Body)
	}
	for _, tt := range []struct {
		ctype, body string
		code        int
	}{
		{"application/x-www-form-urlencoded", string(body), 400},
		{"application/json", `{"id":`, 400},
		{"application/json", `{"id":"static/S001/T01/zz/1","by":"Ani"}`, 404},
		{"application/json", `{"id":"` + id + `","by":""}`, 400},
	} {
		if w := post(tt.ctype, tt.body); w.Code != tt.code {
			t.Errorf("POST %s %s: %d %s, want %d", tt.ctype, tt.body, w.Code, w.Body, tt.code)
		}
	}
	w = get(t, h, "/api/v1/qris/reconcile?state=done")
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &rep) != nil || len(rep.Items) != 1 || rep.Items[0].ID != id {
		t.Errorf("done: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "/api/v1/qris/reconcile?state=closed"); w.Code != 400 {
		t.Errorf("bad state: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "/api/v1/qris/reconcile?from=yesterday"); w.Code != 400 {
		t.Errorf("bad from: %d %s", w.Code, w.Body)
	}
}

// scenarioQRISBackfill: a database that ingested QRIS records before
// qris_items existed gets their items when it is migrated.
func scenarioQRISBackfill(t *testing.T, be backend) {
	where := be.fresh(t)
	st := be.open(t, where)
	a := &qrisTill{store: "S001", till: "T01", epoch: "qa"}
	static := a.next(t, qrisStaticSale(15000, "QR-1", 0))
	cash := a.next(t, qrisCashSale(3000))
	late := a.next(t, qrisLate("c-2-1", "qr-9", 5000, t0.Add(10*time.Minute)))
	ingestInto(t, st, a.batch(static, cash, late, a.next(t, qrisLate("c-3-1", "qr-10", 7000, t0.Add(20*time.Minute)))))
	ingestInto(t, st, a.batch(a.next(t, qrisLateAck(t, late, appliance.LateRefunded, ""))))
	want := qrisReport(t, st, QRISQuery{State: QRISAll})
	if len(want.Items) != 3 {
		t.Fatalf("items %v", qrisIDs(want))
	}
	// Back to schema 1, as a head office before this version had it.
	var err error
	switch s := st.(type) {
	case sqliteStore:
		_, err = s.rw.Exec(`DROP TABLE qris_items; DROP TABLE till_keys; DROP TABLE refusals; PRAGMA user_version = 1`)
	case pgStore:
		_, err = s.db.Exec(`DROP TABLE qris_items; DROP TABLE till_keys; DROP TABLE refusals; DELETE FROM schema_version WHERE version > 1`)
	}
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = be.open(t, where)
	got := qrisReport(t, st, QRISQuery{State: QRISAll})
	if !slices.Equal(qrisIDs(got), qrisIDs(want)) || got.Totals[QRISLate][QRISDone].Amount != 5000 ||
		got.Totals[QRISStatic][QRISOpen].Amount != 15000 || got.Items[1].Ack == nil || got.Items[1].Ack.Decision != appliance.LateRefunded {
		t.Errorf("after migration: %+v\nwant %+v", got, want)
	}
}
