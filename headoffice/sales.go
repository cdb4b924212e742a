package headoffice

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

// DefaultZone is the time zone of a store head office has no zone for.
const DefaultZone = "Asia/Jakarta"

// zoneOffsets stand in for the tz database when the program carries none:
// Indonesia's three zones have no daylight saving.
var zoneOffsets = map[string]struct {
	name   string
	offset int
}{
	"Asia/Jakarta":  {"WIB", 7 * 3600},
	"Asia/Makassar": {"WITA", 8 * 3600},
	"Asia/Jayapura": {"WIT", 9 * 3600},
}

func location(zone string) (*time.Location, error) {
	if loc, err := time.LoadLocation(zone); err == nil {
		return loc, nil
	}
	if z, ok := zoneOffsets[zone]; ok {
		return time.FixedZone(z.name, z.offset), nil
	}
	return nil, fmt.Errorf("unknown time zone %q", zone)
}

// SetStoreZone sets the time zone a store's business days are counted in
// (the zone of its config: Asia/Jakarta, Asia/Makassar or Asia/Jayapura).
func (db *DB) SetStoreZone(ctx context.Context, store, zone string) error {
	if !wire.ValidCode(store) {
		return appliance.Errorf(appliance.CodeInvalid, "store %q", store)
	}
	if _, err := location(zone); err != nil {
		return appliance.Errorf(appliance.CodeInvalid, "store %s: %v", store, err)
	}
	_, err := db.rw.ExecContext(ctx, `INSERT INTO stores (store, time_zone) VALUES (?, ?)
		ON CONFLICT (store) DO UPDATE SET time_zone = excluded.time_zone`, store, zone)
	if err != nil {
		return fmt.Errorf("headoffice: set zone of %s: %w", store, err)
	}
	return nil
}

// storeZones returns the zones of the stores that have one set.
func (db *DB) storeZones(ctx context.Context) (map[string]*time.Location, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT store, time_zone FROM stores`)
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

// Sales returns the sales documents (sales, voids and refunds) of one
// business day, by time. The day is counted in each store's own zone. A
// query without a valid day, or with an unknown kind, is refused with an
// *appliance.Error of CodeInvalid.
func (db *DB) Sales(ctx context.Context, q SalesQuery) ([]SaleRow, error) {
	day, limit, err := q.check()
	if err != nil {
		return nil, err
	}

	zones, err := db.storeZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("headoffice: sales: zones: %w", err)
	}
	zoneOf, defLoc, err := zoneLookup(zones)
	if err != nil {
		return nil, err
	}
	span := func(loc *time.Location) (int64, int64) {
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
		return start.UnixNano(), start.AddDate(0, 0, 1).UnixNano()
	}

	// The day is a time range per zone: one range for a given store; for the
	// whole fleet, one for the stores in the default zone and one per store
	// with a zone of its own.
	var where []string
	var args []any
	if q.Store != "" {
		from, to := span(zoneOf(q.Store))
		where = append(where, "(store = ? AND time >= ? AND time < ?)")
		args = append(args, q.Store, from, to)
	} else {
		from, to := span(defLoc)
		clause := "(time >= ? AND time < ?"
		args = append(args, from, to)
		if len(zones) > 0 {
			clause += " AND store NOT IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(zones)), ", ") + ")"
			for store := range zones {
				args = append(args, store)
			}
		}
		where = append(where, clause+")")
		for store, loc := range zones {
			from, to := span(loc)
			where = append(where, "(store = ? AND time >= ? AND time < ?)")
			args = append(args, store, from, to)
		}
	}
	query := `SELECT store, till, epoch, seq, number, doc_kind, time, total, ref, user_name, body
		FROM records WHERE doc_kind IS NOT NULL AND (` + strings.Join(where, " OR ") + `)`
	if q.Till != "" {
		query += " AND till = ?"
		args = append(args, q.Till)
	}
	if q.Kind != "" {
		query += " AND doc_kind = ?"
		args = append(args, string(q.Kind))
	}
	query += " ORDER BY time, store, till, seq LIMIT ?"
	args = append(args, limit)

	rows, err := db.ro.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("headoffice: sales: %w", err)
	}
	defer rows.Close()
	out := []SaleRow{}
	for rows.Next() {
		var (
			r                 SaleRow
			number, ref, user sql.NullString
			kind, body        string
			t                 int64
			total             sql.NullInt64
		)
		if err := rows.Scan(&r.Store, &r.Till, &r.Epoch, &r.Seq, &number, &kind, &t, &total, &ref, &user, &body); err != nil {
			return nil, fmt.Errorf("headoffice: sales: %w", err)
		}
		r.Number, r.Kind, r.Total, r.Ref, r.User = number.String, appliance.DocKind(kind), appliance.Rupiah(total.Int64), ref.String, user.String
		r.Time = time.Unix(0, t).In(zoneOf(r.Store))
		r.Day = r.Time.Format(time.DateOnly)
		var m appliance.OutboxMessage
		if err := json.Unmarshal([]byte(body), &m); err == nil {
			r.Doc = m.Sale
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ZReports returns the Z reports of a store (every store when store is
// empty) and till (every till when empty), newest first, at most limit
// (100 when limit is 0 or less).
func (db *DB) ZReports(ctx context.Context, store, till string, limit int) ([]appliance.ShiftReport, error) {
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT report FROM z_reports WHERE 1 = 1`
	var args []any
	if store != "" {
		query += " AND store = ?"
		args = append(args, store)
	}
	if till != "" {
		query += " AND till = ?"
		args = append(args, till)
	}
	query += " ORDER BY time DESC, store, till, seq DESC LIMIT ?"
	args = append(args, limit)
	rows, err := db.ro.QueryContext(ctx, query, args...)
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
