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

// QRIS reconciliation: head office derives, at ingest, one item per QRIS
// payment that needs checking against the bank statement.
//
//   - static: a sale with Reconcile set (static QRIS only the cashier
//     confirmed). Open until someone at head office marks it checked.
//   - late: money paid on a dynamic charge no sale took (a qris_late
//     record). Open until the till's qris_late_ack arrives or someone at
//     head office marks it resolved.
const (
	QRISStatic = "static"
	QRISLate   = "late"

	QRISOpen = "open"
	QRISDone = "done"
	QRISAll  = "all"
)

// QRISQuery selects reconciliation items by the day of their time (in each
// store's zone) and state.
type QRISQuery struct {
	Store string // "" for every store
	From  string // "YYYY-MM-DD", inclusive; "" for no lower bound
	To    string // "YYYY-MM-DD", inclusive; "" for no upper bound
	State string // open, done or all ("" is open)
	Limit int    // items returned; 0 for DefaultSalesLimit, at most MaxSalesLimit
}

// QRISItem is one QRIS payment to reconcile.
type QRISItem struct {
	ID    string `json:"id"`   // what POST /api/v1/qris/reconcile/mark names it by
	Kind  string `json:"kind"` // static or late
	State string `json:"state"`
	Store string `json:"store"`
	Till  string `json:"till"`
	Epoch string `json:"epoch"`
	Seq   int64  `json:"seq"` // of the sale, or of the qris_late record
	// Time is the sale's time, or when late money was paid.
	Time      time.Time        `json:"time"`
	Day       string           `json:"day"` // in the store's time zone
	Amount    appliance.Rupiah `json:"amount"`
	Number    string           `json:"number,omitempty"`    // the sale's receipt number (static)
	Reference string           `json:"reference,omitempty"` // the QRIS reference(s), or the till's attempt reference
	ChargeID  string           `json:"charge_id,omitempty"` // the provider's charge (late)
	User      string           `json:"user,omitempty"`      // the cashier
	// Ack is the till's qris_late_ack decision (late).
	Ack *appliance.QRISLateAck `json:"ack,omitempty"`
	// CheckedBy and CheckedAt are head office's mark: checked against the
	// bank statement (static) or resolved (late).
	CheckedBy string    `json:"checked_by,omitempty"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// QRISTotal counts items and their money.
type QRISTotal struct {
	Count  int              `json:"count"`
	Amount appliance.Rupiah `json:"amount"`
}

// QRISReport is GET /api/v1/qris/reconcile's answer. Totals count every
// item the query's store and days select, by kind and state, whatever
// State asks for; Items are those of State.
type QRISReport struct {
	From      string                          `json:"from,omitempty"`
	To        string                          `json:"to,omitempty"`
	State     string                          `json:"state"`
	Totals    map[string]map[string]QRISTotal `json:"totals"`
	Items     []QRISItem                      `json:"items"`
	Truncated bool                            `json:"truncated,omitempty"` // more items than the limit
}

// qrisScanCap bounds the rows one query reads.
const qrisScanCap = 50000

// qrisSpan is a checked query: a time range wide enough for every zone
// (the exact days are filtered per store afterwards).
type qrisSpan struct {
	from, to       time.Time // zero for no bound; to is exclusive
	fromDay, toDay string
	state          string
	limit          int
	hasFrom, hasTo bool
}

func (q QRISQuery) check() (qrisSpan, error) {
	var s qrisSpan
	if q.Store != "" && !wire.ValidCode(q.Store) {
		return s, appliance.Errorf(appliance.CodeInvalid, "store %q", q.Store)
	}
	parse := func(name, v string) (time.Time, error) {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return d, appliance.Errorf(appliance.CodeInvalid, "%s %q is not YYYY-MM-DD", name, v)
		}
		return d, nil
	}
	if q.From != "" {
		d, err := parse("from", q.From)
		if err != nil {
			return s, err
		}
		s.from, s.fromDay, s.hasFrom = d.Add(-24*time.Hour), q.From, true
	}
	if q.To != "" {
		d, err := parse("to", q.To)
		if err != nil {
			return s, err
		}
		s.to, s.toDay, s.hasTo = d.Add(48*time.Hour), q.To, true
	}
	if s.hasFrom && s.hasTo && s.toDay < s.fromDay {
		return s, appliance.Errorf(appliance.CodeInvalid, "to %s is before from %s", q.To, q.From)
	}
	switch q.State {
	case "":
		s.state = QRISOpen
	case QRISOpen, QRISDone, QRISAll:
		s.state = q.State
	default:
		return s, appliance.Errorf(appliance.CodeInvalid, "state %q is not open, done or all", q.State)
	}
	s.limit = q.Limit
	if s.limit <= 0 {
		s.limit = DefaultSalesLimit
	}
	s.limit = min(s.limit, MaxSalesLimit)
	return s, nil
}

// report builds the answer from the rows the span's time range selected,
// in order.
func (s qrisSpan) report(items []QRISItem, zoneOf func(string) *time.Location, scanned int) *QRISReport {
	r := &QRISReport{From: s.fromDay, To: s.toDay, State: s.state, Items: []QRISItem{},
		Totals: map[string]map[string]QRISTotal{}}
	for _, kind := range []string{QRISStatic, QRISLate} {
		r.Totals[kind] = map[string]QRISTotal{QRISOpen: {}, QRISDone: {}}
	}
	for _, it := range items {
		it.Time = it.Time.In(zoneOf(it.Store))
		it.Day = it.Time.Format(time.DateOnly)
		if (s.hasFrom && it.Day < s.fromDay) || (s.hasTo && it.Day > s.toDay) {
			continue
		}
		it.State = QRISOpen
		if it.Ack != nil || !it.CheckedAt.IsZero() {
			it.State = QRISDone
		}
		if byState, ok := r.Totals[it.Kind]; ok {
			t := byState[it.State]
			t.Count++
			t.Amount += it.Amount
			byState[it.State] = t
		}
		if s.state != QRISAll && it.State != s.state {
			continue
		}
		if len(r.Items) == s.limit {
			r.Truncated = true
			continue
		}
		r.Items = append(r.Items, it)
	}
	if scanned >= qrisScanCap {
		r.Truncated = true
	}
	return r
}

// qrisRow is an item as ingest derives it from a record.
type qrisRow struct {
	id, kind, store, till, epoch string
	seq                          int64
	time                         time.Time
	amount                       int64
	number, reference, chargeID  string
	user                         string
	ack                          string // the QRISLateAck as JSON, or ""
}

// qrisRows derives the reconciliation items a record adds or updates:
// a static-QRIS sale the cashier confirmed, late money, or the till's
// decision on late money.
func qrisRows(store, till, epoch string, seq int64, m *appliance.OutboxMessage) []qrisRow {
	switch {
	case m.Kind == appliance.RecSale && m.Sale != nil && m.Sale.Reconcile &&
		(m.Sale.Kind == "" || m.Sale.Kind == appliance.DocSale):
		s := m.Sale
		var amount int64
		var refs []string
		for _, p := range s.Payments {
			if p.Confirmation == appliance.ConfirmedByCashier || (p.Confirmation == "" && p.Method == appliance.MethodQRISStatic) {
				amount += int64(p.Amount)
				if p.Reference != "" {
					refs = append(refs, p.Reference)
				}
			}
		}
		if amount == 0 {
			amount = int64(s.Total)
		}
		t := s.Time
		if t.IsZero() {
			t = m.Time
		}
		user := s.UserName
		if user == "" {
			user = m.UserName
		}
		return []qrisRow{{id: qrisID(QRISStatic, store, till, epoch+"/"+strconv.FormatInt(seq, 10)), kind: QRISStatic,
			store: store, till: till, epoch: epoch, seq: seq, time: t, amount: amount,
			number: s.Number, reference: strings.Join(refs, ", "), user: user}}
	case (m.Kind == appliance.RecQRISLate || m.Kind == appliance.RecQRISLateAck) && m.QRIS != nil && m.QRIS.Reference != "":
		a := m.QRIS
		r := qrisRow{id: qrisID(QRISLate, store, till, a.Reference), kind: QRISLate, store: store, till: till,
			epoch: epoch, seq: seq, time: a.PaidAt, amount: int64(a.Amount), reference: a.Reference,
			chargeID: a.ChargeID, user: a.UserName}
		if r.time.IsZero() {
			r.time = m.Time
		}
		if m.Kind == appliance.RecQRISLate {
			if r.user == "" {
				r.user = m.UserName
			}
			return []qrisRow{r}
		}
		if a.Ack == nil {
			return nil
		}
		if a.LateSeq != 0 {
			r.seq = a.LateSeq
		}
		ack := *a.Ack
		if ack.Seq == 0 {
			ack.Seq = seq
		}
		if ack.Time.IsZero() {
			ack.Time = m.Time
		}
		b, err := json.Marshal(ack)
		if err != nil {
			return nil
		}
		r.ack = string(b)
		return []qrisRow{r}
	}
	return nil
}

func qrisID(kind, store, till, key string) string {
	return kind + "/" + store + "/" + till + "/" + key
}

// decodeQRISAck reads the ack column.
func decodeQRISAck(s sql.NullString) (*appliance.QRISLateAck, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	var a appliance.QRISLateAck
	if err := json.Unmarshal([]byte(s.String), &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func checkMark(id, by string) (string, error) {
	by = strings.TrimSpace(by)
	if id == "" || len(id) > 500 {
		return "", appliance.Errorf(appliance.CodeInvalid, "id is required")
	}
	if by == "" || len(by) > 100 {
		return "", appliance.Errorf(appliance.CodeInvalid, "by (who checked) is required, at most 100 characters")
	}
	return by, nil
}

// SQLite.

const qrisSchema = `
-- QRIS payments to check against the bank statement, derived at ingest:
-- kind static is a sale only the cashier confirmed (seq is the sale's);
-- kind late is money on a dynamic charge no sale took (seq is the
-- qris_late record's), ack the till's qris_late_ack decision as JSON.
-- checked_by/checked_at is head office's mark (checked, or resolved).
CREATE TABLE qris_items (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	store      TEXT NOT NULL,
	till       TEXT NOT NULL,
	epoch      TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	time       INTEGER NOT NULL,
	amount     INTEGER NOT NULL,
	number     TEXT,
	reference  TEXT,
	charge_id  TEXT,
	user_name  TEXT,
	ack        TEXT,
	checked_by TEXT,
	checked_at INTEGER
) STRICT;
CREATE INDEX qris_items_time ON qris_items(time, store);
`

// qrisApply writes the items a record derives, in the ingest's transaction.
func qrisApply(ctx context.Context, tx *sql.Tx, store, till, epoch string, seq int64, m *appliance.OutboxMessage) error {
	for _, r := range qrisRows(store, till, epoch, seq, m) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO qris_items
			(id, kind, store, till, epoch, seq, time, amount, number, reference, charge_id, user_name, ack)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET ack = COALESCE(qris_items.ack, excluded.ack)`,
			r.id, r.kind, r.store, r.till, r.epoch, r.seq, r.time.UnixNano(), r.amount,
			nullString(r.number), nullString(r.reference), nullString(r.chargeID), nullString(r.user),
			nullString(r.ack)); err != nil {
			return fmt.Errorf("QRIS item %s: %w", r.id, err)
		}
	}
	return nil
}

const qrisColumns = `id, kind, store, till, epoch, seq, time, amount, number, reference, charge_id, user_name, ack, checked_by, checked_at`

// QRISReconcile returns the QRIS payments to reconcile: static-QRIS sales
// the cashier confirmed and late dynamic-QRIS money, by store, till and
// time, with totals per kind and state.
func (db *DB) QRISReconcile(ctx context.Context, q QRISQuery) (*QRISReport, error) {
	s, err := q.check()
	if err != nil {
		return nil, err
	}
	zones, err := db.storeZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("headoffice: QRIS: zones: %w", err)
	}
	zoneOf, _, err := zoneLookup(zones)
	if err != nil {
		return nil, err
	}
	query := `SELECT ` + qrisColumns + ` FROM qris_items WHERE 1 = 1`
	var args []any
	if q.Store != "" {
		query += " AND store = ?"
		args = append(args, q.Store)
	}
	if s.hasFrom {
		query += " AND time >= ?"
		args = append(args, s.from.UnixNano())
	}
	if s.hasTo {
		query += " AND time < ?"
		args = append(args, s.to.UnixNano())
	}
	query += " ORDER BY store, till, time, id LIMIT ?"
	args = append(args, qrisScanCap)
	rows, err := db.ro.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("headoffice: QRIS: %w", err)
	}
	defer rows.Close()
	var items []QRISItem
	for rows.Next() {
		it, err := scanQRIS(rows.Scan, fromNanos)
		if err != nil {
			return nil, fmt.Errorf("headoffice: QRIS: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("headoffice: QRIS: %w", err)
	}
	return s.report(items, zoneOf, len(items)), nil
}

func scanQRIS(scan func(...any) error, toTime func(sql.NullInt64) time.Time) (QRISItem, error) {
	var (
		it                                        QRISItem
		t, checkedAt                              sql.NullInt64
		amount                                    int64
		number, ref, charge, user, ack, checkedBy sql.NullString
	)
	if err := scan(&it.ID, &it.Kind, &it.Store, &it.Till, &it.Epoch, &it.Seq, &t, &amount,
		&number, &ref, &charge, &user, &ack, &checkedBy, &checkedAt); err != nil {
		return it, err
	}
	it.Time, it.CheckedAt = toTime(t), toTime(checkedAt)
	it.Amount = appliance.Rupiah(amount)
	it.Number, it.Reference, it.ChargeID, it.User, it.CheckedBy = number.String, ref.String, charge.String, user.String, checkedBy.String
	var err error
	if it.Ack, err = decodeQRISAck(ack); err != nil {
		return it, fmt.Errorf("ack of %s: %w", it.ID, err)
	}
	return it, nil
}

// MarkQRIS records that someone at head office checked a static-QRIS sale
// against the bank statement, or resolved late money. Marking again changes
// nothing: the first mark (who, when) stands and is returned.
//
// Errors: CodeInvalid without an id or a name, CodeNotFound for an unknown
// id.
func (db *DB) MarkQRIS(ctx context.Context, id, by string) (*QRISItem, error) {
	by, err := checkMark(id, by)
	if err != nil {
		return nil, err
	}
	if _, err := db.rw.ExecContext(ctx, `UPDATE qris_items SET checked_by = ?, checked_at = ?
		WHERE id = ? AND checked_at IS NULL`, by, db.now().UnixNano(), id); err != nil {
		return nil, fmt.Errorf("headoffice: mark QRIS %s: %w", id, err)
	}
	it, err := scanQRIS(db.rw.QueryRowContext(ctx, `SELECT `+qrisColumns+` FROM qris_items WHERE id = ?`, id).Scan, fromNanos)
	if err == sql.ErrNoRows {
		return nil, appliance.Errorf(appliance.CodeNotFound, "no QRIS item %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("headoffice: mark QRIS %s: %w", id, err)
	}
	return db.finishItem(ctx, it)
}

// finishItem sets an item's zone, day and state as a report does.
func (db *DB) finishItem(ctx context.Context, it QRISItem) (*QRISItem, error) {
	zones, err := db.storeZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("headoffice: QRIS: zones: %w", err)
	}
	return finishItem(it, zones)
}

func finishItem(it QRISItem, zones map[string]*time.Location) (*QRISItem, error) {
	zoneOf, _, err := zoneLookup(zones)
	if err != nil {
		return nil, err
	}
	r := qrisSpan{state: QRISAll, limit: 1}.report([]QRISItem{it}, zoneOf, 0)
	return &r.Items[0], nil
}

// qrisStored is a stored record that may derive QRIS items.
type qrisStored struct {
	store, till, epoch string
	seq                int64
	body               []byte
}

// qrisCandidates are the records ingested before qris_items existed that
// may derive items: late money, acks, and sales flagged for
// reconciliation, in seq order per series.
func qrisCandidates(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]qrisStored, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	defer rows.Close()
	var out []qrisStored
	for rows.Next() {
		var r qrisStored
		if err := rows.Scan(&r.store, &r.till, &r.epoch, &r.seq, &r.body); err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// qrisFill applies what the candidates derive; a body that does not decode
// derives nothing, as at ingest.
func qrisFill(ctx context.Context, tx *sql.Tx, recs []qrisStored,
	apply func(context.Context, *sql.Tx, string, string, string, int64, *appliance.OutboxMessage) error) error {
	for _, r := range recs {
		var m appliance.OutboxMessage
		if json.Unmarshal(r.body, &m) != nil {
			continue
		}
		if err := apply(ctx, tx, r.store, r.till, r.epoch, r.seq, &m); err != nil {
			return err
		}
	}
	return nil
}

// qrisBackfill derives the QRIS items of records SQLite already holds.
func qrisBackfill(ctx context.Context, tx *sql.Tx) error {
	recs, err := qrisCandidates(ctx, tx, `SELECT store, till, epoch, seq, CAST(body AS BLOB) FROM records
		WHERE kind IN ('qris_late', 'qris_late_ack') OR (kind = 'sale' AND instr(body, '"reconcile":true') > 0)
		ORDER BY store, till, epoch, seq`)
	if err != nil {
		return err
	}
	return qrisFill(ctx, tx, recs, qrisApply)
}
