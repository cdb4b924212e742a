package wire

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func signedBatch(t *testing.T, key ed25519.PrivateKey) *Batch {
	t.Helper()
	rec := func(seq int64) json.RawMessage {
		b, _ := json.Marshal(Record{Store: "S001", Till: "T01", Epoch: "e1", Seq: seq, Kind: "sale"})
		return b
	}
	b := &Batch{V: BatchVersion, ID: BatchID("T01", "e1", 5, 6), Store: "S001", Till: "T01", Epoch: "e1",
		First: 5, Last: 6, Records: []json.RawMessage{rec(5), rec(6)}}
	b.Sign(key)
	return b
}

func TestBatchSignature(t *testing.T) {
	pub, priv := keys(t)
	otherPub, otherPriv := keys(t)
	b := signedBatch(t, priv)
	// Through JSON, as it travels.
	raw, _ := json.Marshal(b)
	var got Batch
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(pub); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	if err := got.Verify(otherPub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another till's key: %v, want bad signature", err)
	}
	tamper := []struct {
		name string
		f    func(b *Batch)
	}{
		{"epoch", func(b *Batch) { b.Epoch = "e2" }},
		{"till", func(b *Batch) { b.Till = "T02" }},
		{"store", func(b *Batch) { b.Store = "S002" }},
		{"first", func(b *Batch) { b.First = 4 }},
		{"record", func(b *Batch) {
			b.Records[1] = json.RawMessage(`{"store":"S001","till":"T01","epoch":"e1","seq":6,"kind":"void"}`)
		}},
		{"record order", func(b *Batch) { b.Records[0], b.Records[1] = b.Records[1], b.Records[0] }},
		{"records split differently", func(b *Batch) {
			b.Records = []json.RawMessage{append(append(json.RawMessage{}, b.Records[0]...), b.Records[1]...)}
		}},
	}
	for _, tt := range tamper {
		c := *signedBatch(t, priv)
		tt.f(&c)
		if err := c.Verify(pub); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s changed: %v, want bad signature", tt.name, err)
		}
	}
	old := *signedBatch(t, priv)
	old.V, old.Sig = 1, nil
	if err := old.Verify(pub); !errors.Is(err, ErrUnsigned) {
		t.Errorf("v1 batch: %v, want unsigned", err)
	}
	forged := signedBatch(t, otherPriv)
	if err := forged.Verify(pub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signed by another key: %v", err)
	}
}

func TestAckSignature(t *testing.T) {
	pub, priv := keys(t)
	_, otherPriv := keys(t)
	a := Ack{Store: "S001", Till: "T03", Epoch: "e1", Seq: 300, Time: time.Now()}
	a.Sign(priv)
	raw, _ := json.Marshal(a)
	var got Ack
	json.Unmarshal(raw, &got)
	if err := got.Verify(pub); err != nil {
		t.Fatalf("head office's ack: %v", err)
	}
	for name, f := range map[string]func(a *Ack){
		"seq": func(a *Ack) { a.Seq = 301 }, "till": func(a *Ack) { a.Till = "T04" },
		"epoch": func(a *Ack) { a.Epoch = "e2" }, "time": func(a *Ack) { a.Time = a.Time.Add(time.Second) },
	} {
		c := got
		f(&c)
		if err := c.Verify(pub); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	unsigned := Ack{V: 1, Store: "S001", Till: "T03", Epoch: "e1", Seq: 300}
	if err := unsigned.Verify(pub); !errors.Is(err, ErrUnsigned) {
		t.Errorf("unsigned ack: %v", err)
	}
	forged := Ack{Store: "S001", Till: "T03", Epoch: "e1", Seq: 300}
	forged.Sign(otherPriv)
	if err := forged.Verify(pub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ack signed by someone else: %v", err)
	}
}

func TestKeyChain(t *testing.T) {
	k1pub, k1 := keys(t)
	k2pub, k2 := keys(t)
	k3pub, _ := keys(t)
	_, stranger := keys(t)
	now := time.Now()
	r1, _ := Rotate(k1, k2pub, 1, now)
	r2, _ := Rotate(k2, k3pub, 2, now)
	chain, _ := json.Marshal([]*Envelope{r1, r2})

	for _, tt := range []struct {
		name    string
		trusted ed25519.PublicKey
		want    ed25519.PublicKey
		version int64
	}{
		{"slept through both", k1pub, k3pub, 2},
		{"took the first", k2pub, k3pub, 2},
		{"up to date", k3pub, k3pub, 0},
	} {
		got, v, err := FollowChain(chain, tt.trusted, 0)
		if err != nil || !got.Equal(tt.want) || v != tt.version {
			t.Errorf("%s: key %s version %d err %v; want %s version %d", tt.name, EncodeKey(got), v, err, EncodeKey(tt.want), tt.version)
		}
	}
	// A rotation signed by anyone but the trusted key is refused, and the
	// trusted key stays.
	evil, _ := Rotate(stranger, k3pub, 1, now)
	evil.Body = r1.Body // claims to come from k1
	bad, _ := json.Marshal([]*Envelope{evil})
	if got, _, err := FollowChain(bad, k1pub, 0); !errors.Is(err, ErrBadSignature) || !got.Equal(k1pub) {
		t.Errorf("forged rotation: key %s err %v", EncodeKey(got), err)
	}
	// Another fleet's chain.
	other, _ := json.Marshal([]*Envelope{r2})
	if _, _, err := FollowChain(other, k1pub, 0); !errors.Is(err, ErrKeyChain) {
		t.Errorf("chain that skips our key: %v", err)
	}
	if _, _, err := FollowChain([]byte("{"), k1pub, 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("garbage: %v", err)
	}
}
