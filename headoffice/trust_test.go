package headoffice

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/kasirpos/kasir/wire"
)

// Issue 10, attack 1: with S001/T01's broker password, a last will on
// pos/up/S001/T02/sales planted a sale for T02 (Rp 1) at head office, and
// T02's real sale with that number was then dropped as a duplicate. A batch
// counts only when the key registered for the till of its topic signed it.
func scenarioWorkerRefusesForgeries(t *testing.T, be backend) {
	st := be.openFresh(t)
	conn := newFakeConn(4)
	startWorker(t, st, conn, false, true)
	t01 := till{store: "S001", till: "T01", epoch: "e1"}
	t02 := till{store: "S001", till: "T02", epoch: "e2"}

	forge := func(tl till, signer ed25519.PrivateKey, first, last int64) *wire.Batch {
		b := tl.batch(t, first, last)
		b.Sign(signer)
		return b
	}
	t01Key := testTillKey("S001", "T01")
	unsigned := till{store: "S001", till: "T03", epoch: "e3"}.batch(t, 1, 1)
	unsigned.V, unsigned.Sig = 1, nil
	_, stranger, _ := ed25519.GenerateKey(nil)
	attacks := []struct {
		topic string
		b     *wire.Batch
	}{
		// T01's login signs a sale for T02 with the only key it has.
		{wire.SalesTopic("S001", "T02"), forge(t02, t01Key, 1, 1)},
		// … and for another store's till.
		{wire.SalesTopic("S002", "T01"), forge(till{store: "S002", till: "T01", epoch: "x"}, t01Key, 1, 1)},
		// T01's genuine batch, replayed on T02's topic.
		{wire.SalesTopic("S001", "T02"), t01.batch(t, 1, 1)},
		// An old till's unsigned batch.
		{wire.SalesTopic("S001", "T03"), unsigned},
		// A till head office never registered, signing with a key of its own.
		{wire.SalesTopic("S009", "T99"), forge(till{store: "S009", till: "T99", epoch: "z"}, stranger, 1, 1)},
		// Not a batch.
		{wire.SalesTopic("S001", "T02"), nil},
	}
	for _, a := range attacks {
		if a.b == nil {
			conn.deliver(t, a.topic, []byte(`{"v":2,"store":"S001"`))
			continue
		}
		conn.deliver(t, a.topic, payload(t, a.b))
	}
	// T02's own sale with the number the forgery took is applied and acked:
	// the first ack published at all.
	conn.deliver(t, wire.SalesTopic("S001", "T02"), payload(t, t02.batch(t, 1, 2)))
	m, ack := conn.nextAck(t)
	if m.Topic != wire.AckTopic("S001", "T02") || ack.Seq != 2 || ack.Epoch != "e2" {
		t.Fatalf("first ack %+v on %s: a forgery was acknowledged", ack, m.Topic)
	}
	conn.noAck(t)
	if got := st.applied(t, t02); len(got) != 2 {
		t.Errorf("T02's records %v, want its own two", got)
	}
	if got := st.applied(t, till{store: "S002", till: "T01", epoch: "x"}); len(got) != 0 {
		t.Errorf("a forged S002 record was applied: %v", got)
	}
	if got := st.applied(t, till{store: "S001", till: "T03", epoch: "e3"}); len(got) != 0 {
		t.Errorf("an unsigned record was applied: %v", got)
	}

	refusals, err := st.Refusals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	count := map[[3]string]int64{}
	for _, r := range refusals {
		count[[3]string{r.Store, r.Till, r.Reason}] = r.Count
	}
	for _, want := range []struct {
		store, till, reason string
		n                   int64
	}{
		{"S001", "T02", RefusedBadSignature, 1},
		{"S002", "T01", RefusedBadSignature, 1},
		{"S001", "T02", RefusedWrongTopic, 1},
		{"S001", "T03", RefusedUnsigned, 1},
		{"*", "*", RefusedUnknownTill, 1},
		{"S001", "T02", RefusedMalformed, 1},
	} {
		if got := count[[3]string{want.store, want.till, want.reason}]; got != want.n {
			t.Errorf("refusals of %s/%s for %s: %d, want %d (all: %+v)", want.store, want.till, want.reason, got, want.n, refusals)
		}
	}
	// The fleet page shows them with the till.
	fleet, err := st.Fleet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fleet {
		if f.Store == "S001" && f.Till == "T02" && len(f.Refusals) != 3 {
			t.Errorf("fleet row of T02 shows refusals %+v", f.Refusals)
		}
		if f.Store == "S009" {
			t.Errorf("an unregistered till made a fleet row: %+v", f)
		}
	}
}

func scenarioTillKeys(t *testing.T, be backend) {
	st := be.openFresh(t)
	ctx := context.Background()
	if _, err := st.TillKey(ctx, "S001", "T01"); !errors.Is(err, ErrUnknownTill) {
		t.Fatalf("key of an unregistered till: %v", err)
	}
	k1 := testTillKey("S001", "T01").Public().(ed25519.PublicKey)
	k2 := testTillKey("S001", "T01-again").Public().(ed25519.PublicKey)
	if err := st.PutTillKey(ctx, "S001", "T01", k1); err != nil {
		t.Fatal(err)
	}
	if got, err := st.TillKey(ctx, "S001", "T01"); err != nil || !got.Equal(k1) {
		t.Fatalf("key %v %v", got, err)
	}
	// Provisioned again: the new key replaces the old.
	if err := st.PutTillKey(ctx, "S001", "T01", k2); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.TillKey(ctx, "S001", "T01"); !got.Equal(k2) {
		t.Fatal("the new key did not replace the old")
	}
	if err := st.PutTillKey(ctx, "S/1", "T01", k1); !errors.Is(err, ErrMalformed) {
		t.Errorf("a bad code: %v", err)
	}
	fleet, err := st.Fleet(ctx)
	if err != nil || len(fleet) != 1 || fleet[0].Till != "T01" || !fleet[0].LastSeen.IsZero() {
		t.Errorf("a registered till on the fleet: %+v %v", fleet, err)
	}
	// Made-up codes are counted together: they cannot grow the table.
	for i := range 50 {
		r := Refusal{Store: "X", Till: string(rune('A' + i%26)), Reason: RefusedUnknownTill, Detail: "made up"}
		if err := st.RecordRefusal(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	refusals, err := st.Refusals(ctx)
	if err != nil || len(refusals) != 1 || refusals[0].Store != "*" || refusals[0].Count != 50 || refusals[0].First.IsZero() {
		t.Errorf("refusals %+v %v", refusals, err)
	}
}
