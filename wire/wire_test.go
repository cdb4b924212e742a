package wire

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func keys(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestEnvelopeRoundTrip(t *testing.T) {
	pub, priv := keys(t)
	body := []byte(`{"store_name":"Toko A"}`)
	for _, compress := range []bool{false, true} {
		e, err := Seal(priv, KindConfig, 7, time.Date(2026, 11, 30, 1, 2, 3, 4, time.UTC), "S001", "", body, compress)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(e)
		got, b, err := Open(raw, pub, 1<<20)
		if err != nil {
			t.Fatalf("compress=%v: %v", compress, err)
		}
		if !bytes.Equal(b, body) || got.Version != 7 || !got.For("S001", "T01") || got.For("S002", "T01") {
			t.Errorf("compress=%v: %+v %s", compress, got, b)
		}
	}
}

func TestEnvelopeRejections(t *testing.T) {
	pub, priv := keys(t)
	otherPub, otherPriv := keys(t)
	_ = otherPub
	good, _ := Seal(priv, KindCatalog, 3, time.Now(), "S001", "", []byte(`{"products":[]}`), true)
	mutate := func(f func(e *Envelope)) []byte {
		e := *good
		e.Body = append([]byte(nil), good.Body...)
		f(&e)
		b, _ := json.Marshal(&e)
		return b
	}
	forged, _ := Seal(otherPriv, KindCatalog, 3, time.Now(), "S001", "", []byte(`{"products":[]}`), true)
	forgedRaw, _ := json.Marshal(forged)
	big := bytes.Repeat([]byte(" "), 2<<20)
	big[0] = '"'
	big[len(big)-1] = '"'
	bomb, _ := Seal(priv, KindCatalog, 4, time.Now(), "S001", "", big, true)
	bombRaw, _ := json.Marshal(bomb)
	goodRaw, _ := json.Marshal(good)
	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"signed by another key", forgedRaw, ErrBadSignature},
		{"version raised", mutate(func(e *Envelope) { e.Version = 99 }), ErrBadSignature},
		{"store changed", mutate(func(e *Envelope) { e.Store = "S002" }), ErrBadSignature},
		{"till added", mutate(func(e *Envelope) { e.Till = "T09" }), ErrBadSignature},
		{"issued moved", mutate(func(e *Envelope) { e.IssuedAt = e.IssuedAt.Add(time.Hour) }), ErrBadSignature},
		{"body changed", mutate(func(e *Envelope) { e.Body[len(e.Body)-1] ^= 1 }), ErrBadHash},
		{"body truncated", mutate(func(e *Envelope) { e.Body = e.Body[:len(e.Body)/2] }), ErrBadHash},
		{"not JSON", []byte("{\"v\":1,"), ErrMalformed},
		{"truncated message", goodRaw[:len(goodRaw)-10], ErrMalformed},
		{"unknown kind", mutate(func(e *Envelope) { e.Kind = "firmware" }), ErrMalformed},
		{"decompresses past the limit", bombRaw, ErrOversized},
		{"envelope too large", append([]byte(`{"x":"`), append(bytes.Repeat([]byte("a"), 3<<20), '"', '}')...), ErrOversized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Open(tt.raw, pub, 1<<20)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
			if Reason(err) != tt.want.Error() {
				t.Errorf("Reason = %q", Reason(err))
			}
		})
	}
}

func TestBatchValidate(t *testing.T) {
	rec := func(seq int64) json.RawMessage {
		b, _ := json.Marshal(Record{Store: "S001", Till: "T01", Epoch: "e1", Seq: seq, Kind: "sale"})
		return b
	}
	ok := Batch{V: 2, Store: "S001", Till: "T01", Epoch: "e1", First: 5, Last: 6, Records: []json.RawMessage{rec(5), rec(6)}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Batch{
		{V: 2, Store: "S001", Till: "T01", Epoch: "e1", First: 5, Last: 6, Records: []json.RawMessage{rec(5), rec(7)}},
		{V: 2, Store: "S001", Till: "T01", Epoch: "e1", First: 5, Last: 7, Records: []json.RawMessage{rec(5), rec(6)}},
		{V: 2, Store: "S001", Till: "T02", Epoch: "e1", First: 5, Last: 6, Records: []json.RawMessage{rec(5), rec(6)}},
		{V: 2, Store: "S/01", Till: "T01", Epoch: "e1", First: 5, Last: 6, Records: []json.RawMessage{rec(5), rec(6)}},
		{V: 1, Store: "S001", Till: "T01", Epoch: "e1", First: 5, Last: 6, Records: []json.RawMessage{rec(5), rec(6)}},
		{V: 3, Store: "S001", Till: "T01", Epoch: "e1", First: 5, Last: 6, Records: []json.RawMessage{rec(5), rec(6)}},
	}
	for i, b := range bad {
		if err := b.Validate(); err == nil {
			t.Errorf("bad batch %d accepted", i)
		}
	}
	if BatchID("T01", "e1", 5, 6) != "T01/e1/5-6" {
		t.Error(BatchID("T01", "e1", 5, 6))
	}
	for _, c := range []string{"S001", "t-01", "A_B"} {
		if !ValidCode(c) {
			t.Errorf("%q refused", c)
		}
	}
	for _, c := range []string{"", "a/b", "+", "#", "all", strings.Repeat("x", 33)} {
		if ValidCode(c) {
			t.Errorf("%q accepted", c)
		}
	}
}
