package appliance

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// JournalEntry is one line of the till's tamper-evident journal. Every
// business fact (sale, void, refund, shift open and close, cash in and out)
// gets one, in the same transaction as the fact itself. Each entry's hash
// covers the previous entry's hash, so editing or deleting any entry breaks
// every hash after it.
type JournalEntry struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	User     string    `json:"user"`
	Kind     string    `json:"kind"`
	Ref      string    `json:"ref"`  // receipt number, shift id, …
	Seq      int64     `json:"seq"`  // the outbox sequence of the fact
	Body     []byte    `json:"body"` // the fact as JSON
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// GenesisHash is the previous hash of the first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ChainHash computes an entry's hash from its fields and the previous hash.
func (e *JournalEntry) ChainHash() string {
	h := sha256.New()
	w := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	w(e.PrevHash)
	w(strconv.FormatInt(e.ID, 10))
	w(e.Time.UTC().Format(time.RFC3339Nano))
	w(e.User)
	w(e.Kind)
	w(e.Ref)
	w(strconv.FormatInt(e.Seq, 10))
	w(string(e.Body))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyJournal checks a run of entries in id order, starting after an entry
// whose hash is prev (GenesisHash for the start). It returns the hash of the
// last entry, or an error naming the first entry that does not verify.
func VerifyJournal(prev string, entries []JournalEntry) (string, error) {
	for i := range entries {
		e := &entries[i]
		if e.PrevHash != prev {
			return prev, Errorf(CodeCorrupt, "journal entry %d: previous hash %s, want %s", e.ID, e.PrevHash, prev)
		}
		if got := e.ChainHash(); got != e.Hash {
			return prev, Errorf(CodeCorrupt, "journal entry %d: hash %s, computed %s", e.ID, e.Hash, got)
		}
		prev = e.Hash
	}
	return prev, nil
}
