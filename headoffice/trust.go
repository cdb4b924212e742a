package headoffice

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kasirpos/kasir/wire"
)

// ErrUnknownTill: no key is registered for the till (kasir-hq till add).
var ErrUnknownTill = errors.New("headoffice: unknown till")

// Refusal reasons: why a message that claimed to be a till's was not
// taken. None of them is ever acknowledged: an ack would let the real till
// delete records head office does not have.
const (
	RefusedUnsigned     = "unsigned"      // a version 1 batch: the till's software predates signing
	RefusedUnknownTill  = "unknown_till"  // no key registered for that store and till
	RefusedBadSignature = "bad_signature" // not signed by the till's key
	RefusedWrongTopic   = "wrong_topic"   // names another till than its topic
	RefusedMalformed    = "malformed"     // not a batch at all
)

// Refusal is how often messages claiming to be one till's were refused for
// one reason. Refusals for tills head office does not know are counted
// together under store and till "*", so that whoever makes up codes cannot
// grow the table.
type Refusal struct {
	Store  string    `json:"store"`
	Till   string    `json:"till"`
	Reason string    `json:"reason"`
	Count  int64     `json:"count"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	Detail string    `json:"detail"` // the last one's, for the log reader
}

// trustSchema is SQLite's migration for till keys and refusals.
const trustSchema = `
-- The public half of each till's signing key, registered by kasir-hq till
-- add; a batch counts only when this key signed it.
CREATE TABLE till_keys (
	store      TEXT NOT NULL,
	till       TEXT NOT NULL,
	public_key TEXT NOT NULL,
	added      INTEGER NOT NULL,
	PRIMARY KEY (store, till)
) STRICT;

-- Messages refused as not provably a till's, counted per till and reason.
CREATE TABLE refusals (
	store  TEXT NOT NULL,
	till   TEXT NOT NULL,
	reason TEXT NOT NULL,
	count  INTEGER NOT NULL,
	first  INTEGER NOT NULL,
	last   INTEGER NOT NULL,
	detail TEXT NOT NULL,
	PRIMARY KEY (store, till, reason)
) STRICT;
`

// TillKey returns the key a till signs its batches with, or ErrUnknownTill.
func (db *DB) TillKey(ctx context.Context, store, till string) (ed25519.PublicKey, error) {
	var s string
	err := db.ro.QueryRowContext(ctx, `SELECT public_key FROM till_keys WHERE store = ? AND till = ?`, store, till).Scan(&s)
	return decodeTillKey(store, till, s, err)
}

func decodeTillKey(store, till, s string, err error) (ed25519.PublicKey, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w %s/%s", ErrUnknownTill, store, till)
	}
	if err != nil {
		return nil, fmt.Errorf("headoffice: key of %s/%s: %w", store, till, err)
	}
	k, err := wire.DecodeKey(s)
	if err != nil {
		return nil, fmt.Errorf("headoffice: key of %s/%s: %w", store, till, err)
	}
	return k, nil
}

// PutTillKey registers (or replaces, for a till provisioned again) the key
// a till signs with. The till shows on the fleet page from then on, as
// never seen until it speaks.
func (db *DB) PutTillKey(ctx context.Context, store, till string, pub ed25519.PublicKey) error {
	if !wire.ValidCode(store) || !wire.ValidCode(till) || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w till key: store %q till %q", ErrMalformed, store, till)
	}
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("headoffice: register key of %s/%s: %w", store, till, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO till_keys (store, till, public_key, added) VALUES (?, ?, ?, ?)
		ON CONFLICT (store, till) DO UPDATE SET public_key = excluded.public_key, added = excluded.added`,
		store, till, wire.EncodeKey(pub), db.now().UnixNano()); err != nil {
		return fmt.Errorf("headoffice: register key of %s/%s: %w", store, till, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tills (store, till) VALUES (?, ?) ON CONFLICT DO NOTHING`, store, till); err != nil {
		return fmt.Errorf("headoffice: register %s/%s: %w", store, till, err)
	}
	return tx.Commit()
}

// RecordRefusal counts a refused message. r.Store and r.Till are what the
// message claimed; they are counted as "*" unless the till is registered.
func (db *DB) RecordRefusal(ctx context.Context, r Refusal) error {
	now := db.now().UTC()
	_, err := db.rw.ExecContext(ctx, `INSERT INTO refusals (store, till, reason, count, first, last, detail)
		SELECT COALESCE(k.store, '*'), COALESCE(k.till, '*'), ?, 1, ?, ?, ?
		FROM (SELECT 1) LEFT JOIN till_keys k ON k.store = ? AND k.till = ? WHERE true
		ON CONFLICT (store, till, reason) DO UPDATE SET count = refusals.count + 1, last = excluded.last,
			detail = excluded.detail`,
		r.Reason, now.UnixNano(), now.UnixNano(), refusalDetail(r), r.Store, r.Till)
	if err != nil {
		return fmt.Errorf("headoffice: record refusal for %s/%s: %w", r.Store, r.Till, err)
	}
	return nil
}

// refusalDetail keeps a detail short: it may be an attacker's words.
func refusalDetail(r Refusal) string {
	d := r.Detail
	if r.Store != "" || r.Till != "" {
		d = fmt.Sprintf("%.32s/%.32s: %s", r.Store, r.Till, d)
	}
	if len(d) > 300 {
		d = d[:300]
	}
	return d
}

// Refusals lists every refusal count, by store, till and reason.
func (db *DB) Refusals(ctx context.Context) ([]Refusal, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT store, till, reason, count, first, last, detail FROM refusals
		ORDER BY store, till, reason`)
	if err != nil {
		return nil, fmt.Errorf("headoffice: refusals: %w", err)
	}
	defer rows.Close()
	var out []Refusal
	for rows.Next() {
		var r Refusal
		var first, last int64
		if err := rows.Scan(&r.Store, &r.Till, &r.Reason, &r.Count, &first, &last, &r.Detail); err != nil {
			return nil, fmt.Errorf("headoffice: refusals: %w", err)
		}
		r.First, r.Last = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// withRefusals attaches each till's refusals to its fleet row.
func withRefusals(tills []TillState, refusals []Refusal) []TillState {
	at := map[[2]string]int{}
	for i, t := range tills {
		at[[2]string{t.Store, t.Till}] = i
	}
	for _, r := range refusals {
		if i, ok := at[[2]string{r.Store, r.Till}]; ok {
			tills[i].Refusals = append(tills[i].Refusals, r)
		}
	}
	for i := range tills {
		sort.Slice(tills[i].Refusals, func(a, b int) bool {
			return tills[i].Refusals[a].Last.After(tills[i].Refusals[b].Last)
		})
	}
	return tills
}
