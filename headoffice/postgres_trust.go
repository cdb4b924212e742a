package headoffice

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/kasirpos/kasir/wire"
)

// pgTrustSchema is trustSchema in PostgreSQL's terms.
const pgTrustSchema = `
CREATE TABLE till_keys (
	store      TEXT NOT NULL,
	till       TEXT NOT NULL,
	public_key TEXT NOT NULL,
	added      TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (store, till)
);
CREATE TABLE refusals (
	store  TEXT NOT NULL,
	till   TEXT NOT NULL,
	reason TEXT NOT NULL,
	count  BIGINT NOT NULL,
	first  TIMESTAMPTZ NOT NULL,
	last   TIMESTAMPTZ NOT NULL,
	detail TEXT NOT NULL,
	PRIMARY KEY (store, till, reason)
);
`

// TillKey is DB.TillKey on PostgreSQL.
func (p *PG) TillKey(ctx context.Context, store, till string) (ed25519.PublicKey, error) {
	var s string
	err := p.db.QueryRowContext(ctx, `SELECT public_key FROM till_keys WHERE store = $1 AND till = $2`, store, till).Scan(&s)
	return decodeTillKey(store, till, s, err)
}

// PutTillKey is DB.PutTillKey on PostgreSQL.
func (p *PG) PutTillKey(ctx context.Context, store, till string, pub ed25519.PublicKey) error {
	if !wire.ValidCode(store) || !wire.ValidCode(till) || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w till key: store %q till %q", ErrMalformed, store, till)
	}
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("headoffice: register key of %s/%s: %w", store, till, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO till_keys (store, till, public_key, added) VALUES ($1, $2, $3, $4)
		ON CONFLICT (store, till) DO UPDATE SET public_key = excluded.public_key, added = excluded.added`,
		store, till, wire.EncodeKey(pub), pgTime(p.now())); err != nil {
		return fmt.Errorf("headoffice: register key of %s/%s: %w", store, till, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tills (store, till) VALUES ($1, $2) ON CONFLICT DO NOTHING`, store, till); err != nil {
		return fmt.Errorf("headoffice: register %s/%s: %w", store, till, err)
	}
	return tx.Commit()
}

// RecordRefusal is DB.RecordRefusal on PostgreSQL.
func (p *PG) RecordRefusal(ctx context.Context, r Refusal) error {
	now := pgTime(p.now())
	_, err := p.db.ExecContext(ctx, `INSERT INTO refusals (store, till, reason, count, first, last, detail)
		SELECT COALESCE(k.store, '*'), COALESCE(k.till, '*'), $1, 1, $2, $2, $3
		FROM (SELECT 1) AS one LEFT JOIN till_keys k ON k.store = $4 AND k.till = $5
		ON CONFLICT (store, till, reason) DO UPDATE SET count = refusals.count + 1, last = excluded.last,
			detail = excluded.detail`,
		r.Reason, now, pgText(refusalDetail(r)), r.Store, r.Till)
	if err != nil {
		return fmt.Errorf("headoffice: record refusal for %s/%s: %w", r.Store, r.Till, err)
	}
	return nil
}

// Refusals is DB.Refusals on PostgreSQL.
func (p *PG) Refusals(ctx context.Context) ([]Refusal, error) {
	rows, err := p.db.QueryContext(ctx, `SELECT store, till, reason, count, first, last, detail FROM refusals
		ORDER BY store, till, reason`)
	if err != nil {
		return nil, fmt.Errorf("headoffice: refusals: %w", err)
	}
	defer rows.Close()
	var out []Refusal
	for rows.Next() {
		var r Refusal
		if err := rows.Scan(&r.Store, &r.Till, &r.Reason, &r.Count, &r.First, &r.Last, &r.Detail); err != nil {
			return nil, fmt.Errorf("headoffice: refusals: %w", err)
		}
		r.First, r.Last = r.First.UTC(), r.Last.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
