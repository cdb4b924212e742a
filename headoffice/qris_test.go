package headoffice

import (
	"context"
	"encoding/json"
	"testing"

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
	b := &wire.Batch{V: wire.Version, ID: wire.BatchID("T01", "q", 1, 2), Store: "S001", Till: "T01", Epoch: "q", First: 1, Last: 2}
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
