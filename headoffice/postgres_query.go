package headoffice

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

// RecordStatus keeps a till's presence as it reported it, as DB.RecordStatus
// does: an online status replaces everything the till reported before and
// marks it seen now, unless it is older (by the till's clock) than the one
// kept; an offline one (the last will) changes only the presence.
func (p *PG) RecordStatus(ctx context.Context, s wire.Status) error {
	if !wire.ValidCode(s.Store) || !wire.ValidCode(s.Till) {
		return fmt.Errorf("%w status: store %q till %q", ErrMalformed, s.Store, s.Till)
	}
	now := p.now().UTC()
	if !s.Online {
		_, err := p.db.ExecContext(ctx, `INSERT INTO tills (store, till, online, status_time) VALUES ($1, $2, false, $3)
			ON CONFLICT (store, till) DO UPDATE SET online = false,
				status_time = COALESCE(excluded.status_time, tills.status_time)`,
			s.Store, s.Till, pgTime(s.Time))
		if err != nil {
			return fmt.Errorf("headoffice: record status of %s/%s: %w", s.Store, s.Till, err)
		}
		return nil
	}
	var devices any
	if len(s.Devices) > 0 {
		b, err := json.Marshal(s.Devices)
		if err != nil {
			return fmt.Errorf("headoffice: record status of %s/%s: %w", s.Store, s.Till, err)
		}
		devices = string(b)
	}
	_, err := p.db.ExecContext(ctx, `INSERT INTO tills (store, till, online, last_seen, status_time, epoch,
			reported_last_seq, reported_acked_seq, backlog, oldest_unsynced, software, catalog_version, config_version, devices)
		VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (store, till) DO UPDATE SET online = true, last_seen = excluded.last_seen,
			status_time = excluded.status_time, epoch = COALESCE(excluded.epoch, tills.epoch),
			reported_last_seq = excluded.reported_last_seq, reported_acked_seq = excluded.reported_acked_seq,
			backlog = excluded.backlog, oldest_unsynced = excluded.oldest_unsynced,
			software = excluded.software, catalog_version = excluded.catalog_version,
			config_version = excluded.config_version, devices = excluded.devices
		WHERE excluded.status_time IS NULL OR tills.status_time IS NULL OR NOT tills.online
			OR excluded.status_time >= tills.status_time`,
		s.Store, s.Till, now, pgTime(s.Time), pgNullText(s.Epoch),
		s.LastSeq, s.AckedSeq, s.Backlog, pgTime(s.OldestUnsynced),
		pgNullText(s.Software), pgNullText(s.CatalogVersion), pgNullText(s.ConfigVersion), devices)
	if err != nil {
		return fmt.Errorf("headoffice: record status of %s/%s: %w", s.Store, s.Till, err)
	}
	return nil
}

// RecordConfigAck keeps a till's latest answer to a catalog or config
// envelope, and a rejection as its last rejection, as DB.RecordConfigAck does.
func (p *PG) RecordConfigAck(ctx context.Context, a wire.ConfigAck) error {
	if !wire.ValidCode(a.Store) || !wire.ValidCode(a.Till) ||
		(a.Kind != wire.KindCatalog && a.Kind != wire.KindConfig && a.Kind != wire.KindKey) ||
		(a.Status != "applied" && a.Status != "rejected") {
		return fmt.Errorf("%w config ack: store %q till %q kind %q status %q", ErrMalformed, a.Store, a.Till, a.Kind, a.Status)
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("headoffice: record config ack of %s/%s: %w", a.Store, a.Till, err)
	}
	var rejection any
	if a.Status == "rejected" {
		rejection = string(b)
	}
	_, err = p.db.ExecContext(ctx, `INSERT INTO tills (store, till, last_config_ack, last_rejection) VALUES ($1, $2, $3, $4)
		ON CONFLICT (store, till) DO UPDATE SET last_config_ack = excluded.last_config_ack,
			last_rejection = COALESCE(excluded.last_rejection, tills.last_rejection)`,
		a.Store, a.Till, string(b), rejection)
	if err != nil {
		return fmt.Errorf("headoffice: record config ack of %s/%s: %w", a.Store, a.Till, err)
	}
	return nil
}

// Fleet returns every till head office has heard of, by store and till.
func (p *PG) Fleet(ctx context.Context) ([]TillState, error) {
	rows, err := p.db.QueryContext(ctx, `SELECT t.store, t.till, t.online, t.last_seen, t.status_time, t.epoch,
			t.reported_last_seq, t.reported_acked_seq, t.backlog, t.oldest_unsynced,
			t.software, t.catalog_version, t.config_version, t.devices, t.last_config_ack, t.last_rejection,
			COALESCE(s.acked_seq, 0),
			(SELECT MIN(p.seq) FROM pending p WHERE p.store = t.store AND p.till = t.till AND p.epoch = t.epoch),
			(SELECT COUNT(*) FROM pending p WHERE p.store = t.store AND p.till = t.till AND p.epoch = t.epoch)
		FROM tills t LEFT JOIN series s ON s.store = t.store AND s.till = t.till AND s.epoch = t.epoch
		ORDER BY t.store, t.till`)
	if err != nil {
		return nil, fmt.Errorf("headoffice: fleet: %w", err)
	}
	defer rows.Close()
	var out []TillState
	for rows.Next() {
		var (
			ts                               TillState
			lastSeen, statusTime, oldest     sql.NullTime
			epoch, software, catalog, config sql.NullString
			devices, lastAck, lastRejection  sql.NullString
			firstPending                     sql.NullInt64
		)
		if err := rows.Scan(&ts.Store, &ts.Till, &ts.Online, &lastSeen, &statusTime, &epoch,
			&ts.ReportedLastSeq, &ts.ReportedAckedSeq, &ts.ReportedBacklog, &oldest,
			&software, &catalog, &config, &devices, &lastAck, &lastRejection,
			&ts.AckedSeq, &firstPending, &ts.Pending); err != nil {
			return nil, fmt.Errorf("headoffice: fleet: %w", err)
		}
		ts.LastSeen, ts.StatusTime, ts.OldestUnsynced = fromPGTime(lastSeen), fromPGTime(statusTime), fromPGTime(oldest)
		ts.Epoch, ts.Software, ts.CatalogVersion, ts.ConfigVersion = epoch.String, software.String, catalog.String, config.String
		if err := ts.decode(devices, lastAck, lastRejection, firstPending); err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("headoffice: fleet: %w", err)
	}
	refusals, err := p.Refusals(ctx)
	if err != nil {
		return nil, err
	}
	return withRefusals(out, refusals), nil
}

// SetStoreZone sets the time zone a store's business days are counted in
// (Asia/Jakarta, Asia/Makassar or Asia/Jayapura).
func (p *PG) SetStoreZone(ctx context.Context, store, zone string) error {
	if !wire.ValidCode(store) {
		return appliance.Errorf(appliance.CodeInvalid, "store %q", store)
	}
	if _, err := location(zone); err != nil {
		return appliance.Errorf(appliance.CodeInvalid, "store %s: %v", store, err)
	}
	_, err := p.db.ExecContext(ctx, `INSERT INTO stores (store, time_zone) VALUES ($1, $2)
		ON CONFLICT (store) DO UPDATE SET time_zone = excluded.time_zone`, store, zone)
	if err != nil {
		return fmt.Errorf("headoffice: set zone of %s: %w", store, err)
	}
	return nil
}

func (p *PG) storeZones(ctx context.Context) (map[string]*time.Location, error) {
	rows, err := p.db.QueryContext(ctx, `SELECT store, time_zone FROM stores`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*time.Location{}
	for rows.Next() {
		var store, zone string
		if err := rows.Scan(&store, &zone); err != nil {
			return nil, err
		}
		loc, err := location(zone)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", store, err)
		}
		out[store] = loc
	}
	return out, rows.Err()
}

// pgArgs numbers a query's parameters as they are added.
type pgArgs []any

func (a *pgArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// Sales returns the sales documents (sales, voids and refunds) of one
// business day, by time, each store's day counted in its own zone, as
// DB.Sales does. A bad query is refused with an *appliance.Error of
// CodeInvalid.
func (p *PG) Sales(ctx context.Context, q SalesQuery) ([]SaleRow, error) {
	day, limit, err := q.check()
	if err != nil {
		return nil, err
	}

	zones, err := p.storeZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("headoffice: sales: zones: %w", err)
	}
	zoneOf, defLoc, err := zoneLookup(zones)
	if err != nil {
		return nil, err
	}
	span := func(loc *time.Location) (time.Time, time.Time) {
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
		return start.UTC(), start.AddDate(0, 0, 1).UTC()
	}

	// The day is a time range per zone: one range for a given store; for the
	// whole fleet, one for the stores in the default zone and one per store
	// with a zone of its own.
	var args pgArgs
	var where []string
	if q.Store != "" {
		from, to := span(zoneOf(q.Store))
		where = append(where, "(store = "+args.add(q.Store)+" AND time >= "+args.add(from)+" AND time < "+args.add(to)+")")
	} else {
		from, to := span(defLoc)
		clause := "(time >= " + args.add(from) + " AND time < " + args.add(to)
		if len(zones) > 0 {
			var own []string
			for store := range zones {
				own = append(own, store)
			}
			clause += " AND NOT (store = ANY(" + args.add(own) + "::text[]))"
		}
		where = append(where, clause+")")
		for store, loc := range zones {
			from, to := span(loc)
			where = append(where, "(store = "+args.add(store)+" AND time >= "+args.add(from)+" AND time < "+args.add(to)+")")
		}
	}
	query := `SELECT store, till, epoch, seq, number, doc_kind, time, total, ref, user_name, body
		FROM records WHERE doc_kind IS NOT NULL AND (` + strings.Join(where, " OR ") + `)`
	if q.Till != "" {
		query += " AND till = " + args.add(q.Till)
	}
	if q.Kind != "" {
		query += " AND doc_kind = " + args.add(string(q.Kind))
	}
	query += " ORDER BY time, store, till, seq LIMIT " + args.add(limit)

	rows, err := p.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("headoffice: sales: %w", err)
	}
	defer rows.Close()
	out := []SaleRow{}
	for rows.Next() {
		var (
			r                 SaleRow
			number, ref, user sql.NullString
			kind              string
			body              []byte
			t                 time.Time
			total             sql.NullInt64
		)
		if err := rows.Scan(&r.Store, &r.Till, &r.Epoch, &r.Seq, &number, &kind, &t, &total, &ref, &user, &body); err != nil {
			return nil, fmt.Errorf("headoffice: sales: %w", err)
		}
		r.Number, r.Kind, r.Total, r.Ref, r.User = number.String, appliance.DocKind(kind), appliance.Rupiah(total.Int64), ref.String, user.String
		r.Time = t.In(zoneOf(r.Store))
		r.Day = r.Time.Format(time.DateOnly)
		var m appliance.OutboxMessage
		if err := json.Unmarshal(body, &m); err == nil {
			r.Doc = m.Sale
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ZReports returns the Z reports of a store (every store when store is
// empty) and till (every till when empty), newest first, at most limit
// (100 when limit is 0 or less).
func (p *PG) ZReports(ctx context.Context, store, till string, limit int) ([]appliance.ShiftReport, error) {
	if limit <= 0 {
		limit = 100
	}
	var args pgArgs
	query := `SELECT report FROM z_reports WHERE true`
	if store != "" {
		query += " AND store = " + args.add(store)
	}
	if till != "" {
		query += " AND till = " + args.add(till)
	}
	query += " ORDER BY time DESC, store, till, seq DESC LIMIT " + args.add(limit)
	rows, err := p.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("headoffice: Z reports: %w", err)
	}
	defer rows.Close()
	out := []appliance.ShiftReport{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("headoffice: Z reports: %w", err)
		}
		var r appliance.ShiftReport
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			return nil, fmt.Errorf("headoffice: Z reports: decode: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// NextVersion hands out the next envelope version of a kind (catalog or
// config), durably, at least the current Unix time in seconds, as
// DB.NextVersion does. The upsert locks the kind's row, so processes
// publishing at once get distinct versions.
func (p *PG) NextVersion(ctx context.Context, kind string) (int64, error) {
	if kind != wire.KindCatalog && kind != wire.KindConfig {
		return 0, fmt.Errorf("%w version kind %q", ErrMalformed, kind)
	}
	floor := p.now().Unix()
	var v int64
	err := p.db.QueryRowContext(ctx, `INSERT INTO versions (kind, version) VALUES ($1, $2)
		ON CONFLICT (kind) DO UPDATE SET version = GREATEST(versions.version + 1, excluded.version)
		RETURNING version`, kind, floor).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("headoffice: next %s version: %w", kind, err)
	}
	return v, nil
}
