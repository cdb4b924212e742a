package localstore

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/qris"
)

func attempt(c *clock, ref, cart string) *appliance.QRISAttempt {
	now := c.next().UTC()
	return &appliance.QRISAttempt{Reference: ref, CartID: cart, Method: "qris", Amount: 27500,
		UserID: "u1", UserName: "Kasir Demo", Created: now, Updated: now}
}

// Attempts round-trip, list by cart and as open, and are replaced whole.
func TestQRISAttempts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	a1, a2, b1 := attempt(c, "c-a-1", "c-a"), attempt(c, "c-a-2", "c-a"), attempt(c, "c-b-1", "c-b")
	for _, a := range []*appliance.QRISAttempt{a1, a2, b1} {
		if err := db.PutQRISAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.QRISAttempt(ctx, "nope"); !errors.Is(err, appliance.ErrNotFound) {
		t.Errorf("unknown reference: %v", err)
	}
	a1.ChargeID, a1.State, a1.Payload, a1.ExpiresAt = "qr-1", qris.Pending, "000201…", c.next().UTC()
	a1.Abandoned, a1.Updated = true, c.next().UTC()
	if err := db.PutQRISAttempt(ctx, a1); err != nil {
		t.Fatal(err)
	}
	got, err := db.QRISAttempt(ctx, "c-a-1")
	if err != nil || !reflect.DeepEqual(got, a1) {
		t.Errorf("QRISAttempt = %+v, %v; want %+v", got, err, a1)
	}
	cart, _ := db.CartQRISAttempts(ctx, "c-a")
	if len(cart) != 2 || cart[0].Reference != "c-a-1" || cart[1].Reference != "c-a-2" {
		t.Errorf("CartQRISAttempts = %+v", cart)
	}
	b1.Done = true
	db.PutQRISAttempt(ctx, b1)
	open, _ := db.OpenQRISAttempts(ctx)
	if len(open) != 2 || open[0].Reference != "c-a-1" || open[1].Reference != "c-a-2" {
		t.Errorf("OpenQRISAttempts = %+v", open)
	}
	// A charge id belongs to one attempt.
	a2.ChargeID = "qr-1"
	if err := db.PutQRISAttempt(ctx, a2); err == nil {
		t.Error("two attempts with one charge")
	}
	if err := db.PutQRISAttempt(ctx, &appliance.QRISAttempt{Reference: "x"}); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Errorf("attempt without cart: %v", err)
	}
}

// A qris_late record and its attempt are one transaction: the attempt says
// which record settled it, and a failed commit leaves both as they were.
func TestQRISLateRecordSettlesAttempt(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	a := attempt(c, "c-a-1", "c-a")
	a.ChargeID, a.State, a.Late = "qr-1", qris.Paid, true
	if err := db.PutQRISAttempt(ctx, a); err != nil {
		t.Fatal(err)
	}
	rec := record(appliance.RecQRISLate, c)
	rec.Reason = "paid after the charge was closed"
	rec.QRIS = a
	commit(t, db, rec)
	got, _ := db.QRISAttempt(ctx, "c-a-1")
	if got.LateSeq != rec.Seq || !got.Done || !got.Settled() {
		t.Errorf("attempt after the late record: %+v", got)
	}
	if open, _ := db.OpenQRISAttempts(ctx); len(open) != 0 {
		t.Errorf("open after settling: %+v", open)
	}
	late, _ := db.LateQRIS(ctx, 10)
	if len(late) != 1 || late[0].Reference != "c-a-1" {
		t.Errorf("LateQRIS = %+v", late)
	}
	rows, _ := db.Outbox(ctx, 0, 10)
	var m appliance.OutboxMessage
	if err := json.Unmarshal(rows[0].Body, &m); err != nil || m.Kind != appliance.RecQRISLate || m.QRIS == nil || m.QRIS.ChargeID != "qr-1" || rows[0].Topic != "sales" {
		t.Errorf("outbox row %s on %s", rows[0].Body, rows[0].Topic)
	}
	if j := allJournal(t, db); len(j) != 1 || j[0].Ref != "qris-c-a-1" {
		t.Errorf("journal %+v", j)
	}

	// A failing transaction (a second sale of one cart) leaves the attempt
	// unsettled and the record as it was.
	b := attempt(c, "c-b-1", "c-b")
	b.ChargeID, b.State = "qr-2", qris.Paid
	db.PutQRISAttempt(ctx, b)
	sale := saleRec(c, 0, appliance.DocSale, "", true)
	sale.Sale.CartID = "c-b"
	commit(t, db, sale)
	again := saleRec(c, 0, appliance.DocSale, "", true)
	again.Sale.CartID = "c-b"
	again.QRIS = b
	if err := db.Commit(ctx, again); appliance.ErrorCode(err) != appliance.CodeConflict {
		t.Fatalf("second sale of a cart: %v", err)
	}
	if b.Sale != "" || b.Done {
		t.Errorf("attempt changed by a failed commit: %+v", b)
	}
	if got, _ := db.QRISAttempt(ctx, "c-b-1"); got.Settled() || got.Done {
		t.Errorf("stored attempt after a failed commit: %+v", got)
	}
	if err := db.Commit(ctx, &appliance.Record{Kind: appliance.RecQRISLate, Time: c.next()}); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Errorf("qris_late without attempt: %v", err)
	}
}
