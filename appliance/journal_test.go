package appliance

import (
	"strings"
	"testing"
	"time"
)

// chain makes n journal entries linked from GenesisHash.
func journalChain(n int) []JournalEntry {
	prev := GenesisHash
	t0 := time.Date(2026, 11, 30, 1, 0, 0, 123456789, time.UTC)
	out := make([]JournalEntry, n)
	for i := range out {
		e := JournalEntry{ID: int64(i + 1), Time: t0.Add(time.Duration(i) * time.Minute), User: "sari",
			Kind: "sale", Ref: ReceiptNumber("S001", "T01", int64(i+1)), Seq: int64(i + 1),
			Body: []byte(`{"total":` + itoa(int64(1000*(i+1))) + `}`), PrevHash: prev}
		e.Hash = e.ChainHash()
		prev = e.Hash
		out[i] = e
	}
	return out
}

func TestVerifyJournal(t *testing.T) {
	entries := journalChain(5)
	last, err := VerifyJournal(GenesisHash, entries)
	if err != nil || last != entries[4].Hash {
		t.Fatalf("VerifyJournal = %s, %v; want %s", last, err, entries[4].Hash)
	}
	// Verifying in pages gives the same answer.
	mid, err := VerifyJournal(GenesisHash, entries[:2])
	if err != nil {
		t.Fatal(err)
	}
	if last2, err := VerifyJournal(mid, entries[2:]); err != nil || last2 != last {
		t.Errorf("second page: %s, %v", last2, err)
	}
	if got, err := VerifyJournal(last, nil); err != nil || got != last {
		t.Errorf("no entries: %s, %v", got, err)
	}
}

func TestVerifyJournalDetectsTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func([]JournalEntry) []JournalEntry
		badID  int64 // the first entry that must fail
	}{
		{"edited body", func(es []JournalEntry) []JournalEntry {
			es[2].Body = []byte(`{"total":1}`)
			return es
		}, 3},
		{"edited body with a fresh hash", func(es []JournalEntry) []JournalEntry {
			es[2].Body = []byte(`{"total":1}`)
			es[2].Hash = es[2].ChainHash()
			return es
		}, 4},
		{"edited time", func(es []JournalEntry) []JournalEntry {
			es[1].Time = es[1].Time.Add(time.Nanosecond)
			return es
		}, 2},
		{"edited user", func(es []JournalEntry) []JournalEntry {
			es[0].User = "budi"
			return es
		}, 1},
		{"edited seq", func(es []JournalEntry) []JournalEntry {
			es[3].Seq = 99
			return es
		}, 4},
		{"deleted entry", func(es []JournalEntry) []JournalEntry {
			return append(es[:2:2], es[3:]...)
		}, 4},
		{"deleted first entry", func(es []JournalEntry) []JournalEntry {
			return es[1:]
		}, 2},
		{"reordered pair", func(es []JournalEntry) []JournalEntry {
			es[1], es[2] = es[2], es[1]
			return es
		}, 3},
		{"renumbered entry", func(es []JournalEntry) []JournalEntry {
			es[4].ID = 50
			return es
		}, 50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es := c.tamper(journalChain(5))
			_, err := VerifyJournal(GenesisHash, es)
			if err == nil {
				t.Fatal("VerifyJournal accepted a tampered journal")
			}
			if ErrorCode(err) != CodeCorrupt {
				t.Errorf("error code %s, want corrupt", ErrorCode(err))
			}
			if want := "journal entry " + itoa(c.badID) + ":"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want it to name %q", err, want)
			}
		})
	}
}

// The hash takes each field with its length, so moving bytes from one
// field to its neighbour changes it.
func TestChainHashFieldBoundaries(t *testing.T) {
	a := JournalEntry{ID: 1, User: "ab", Kind: "c", PrevHash: GenesisHash}
	b := JournalEntry{ID: 1, User: "a", Kind: "bc", PrevHash: GenesisHash}
	if a.ChainHash() == b.ChainHash() {
		t.Error("moving a byte between fields kept the hash")
	}
	// The zone a time is held in does not matter, only the instant.
	c := journalChain(1)[0]
	d := c
	d.Time = c.Time.In(time.FixedZone("WIB", 7*3600))
	if c.ChainHash() != d.ChainHash() {
		t.Error("the same instant in another zone changed the hash")
	}
}
