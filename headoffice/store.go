package headoffice

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/wire"
)

// Store is head office's durable state, as the worker and the HTTP handler
// use it. DB implements it on SQLite.
//
// Errors: ErrMalformed (wrapped) for a batch, status or config ack that is
// not well-formed, an *appliance.Error with CodeInvalid for a bad query;
// anything else means the database failed, and the caller must not
// acknowledge anything because of that call.
type Store interface {
	// Ingest applies a batch in one transaction and returns, after the
	// commit, the ack to publish and the gap pending records wait on.
	Ingest(ctx context.Context, b *wire.Batch) (wire.Ack, *Gap, error)
	RecordStatus(ctx context.Context, s wire.Status) error
	RecordConfigAck(ctx context.Context, a wire.ConfigAck) error
	Fleet(ctx context.Context) ([]TillState, error)
	Sales(ctx context.Context, q SalesQuery) ([]SaleRow, error)
	ZReports(ctx context.Context, store, till string, limit int) ([]appliance.ShiftReport, error)
	NextVersion(ctx context.Context, kind string) (int64, error)
	// QRISReconcile lists the QRIS payments to check against the bank
	// statement; MarkQRIS marks one checked (or resolved), idempotently.
	QRISReconcile(ctx context.Context, q QRISQuery) (*QRISReport, error)
	MarkQRIS(ctx context.Context, id, by string) (*QRISItem, error)
	// TillKey is the key a till signs its batches with (ErrUnknownTill
	// when none is registered); PutTillKey registers it.
	TillKey(ctx context.Context, store, till string) (ed25519.PublicKey, error)
	PutTillKey(ctx context.Context, store, till string, pub ed25519.PublicKey) error
	// RecordRefusal counts a message refused as not provably a till's;
	// Refusals lists the counts.
	RecordRefusal(ctx context.Context, r Refusal) error
	Refusals(ctx context.Context) ([]Refusal, error)
}

var _ Store = (*DB)(nil)

// ErrMalformed is wrapped by errors about input that can never be applied,
// however often it is retried.
var ErrMalformed = errors.New("headoffice: malformed")

// Gap is a run of seqs head office has not received while later ones of the
// same series wait as pending.
type Gap struct {
	Store string `json:"store"`
	Till  string `json:"till"`
	Epoch string `json:"epoch"`
	From  int64  `json:"from"` // first missing seq
	To    int64  `json:"to"`   // last missing seq
}

// TillState is one till as head office knows it: presence, backlog and
// versions as the till last reported them; acknowledged seq, pending records
// and the gap as head office's own database has them.
type TillState struct {
	Store    string    `json:"store"`
	Till     string    `json:"till"`
	Online   bool      `json:"online"`             // as last reported (the broker reports the last will)
	LastSeen time.Time `json:"last_seen,omitzero"` // when head office last heard from the till itself
	Epoch    string    `json:"epoch,omitempty"`    // the till's current database epoch
	AckedSeq int64     `json:"acked_seq"`          // head office's high-water mark for Epoch
	// ReportedAckedSeq is the ack the till says it has applied; behind
	// AckedSeq when the retained ack has not reached it yet.
	ReportedAckedSeq int64                             `json:"reported_acked_seq"`
	ReportedLastSeq  int64                             `json:"reported_last_seq"`
	ReportedBacklog  int                               `json:"reported_backlog"`
	OldestUnsynced   time.Time                         `json:"oldest_unsynced,omitzero"`
	StatusTime       time.Time                         `json:"status_time,omitzero"` // the till's clock on its last status
	Software         string                            `json:"software,omitempty"`
	CatalogVersion   string                            `json:"catalog_version,omitempty"`
	ConfigVersion    string                            `json:"config_version,omitempty"`
	LastConfigAck    *wire.ConfigAck                   `json:"last_config_ack,omitempty"`
	LastRejection    *wire.ConfigAck                   `json:"last_rejection,omitempty"`
	Gap              *Gap                              `json:"gap,omitempty"`
	Pending          int                               `json:"pending"`
	Devices          map[string]appliance.DeviceStatus `json:"devices,omitempty"`
	// Refusals are the messages that claimed to be this till's and were
	// refused (unsigned, bad signature, wrong topic), newest first.
	Refusals []Refusal `json:"refusals,omitempty"`
}

// SalesQuery selects sales documents (sales, voids and refunds).
type SalesQuery struct {
	Store string            // "" for every store
	Till  string            // "" for every till
	Day   string            // "YYYY-MM-DD" in the store's time zone; required
	Kind  appliance.DocKind // "" for every kind
	Limit int               // 0 for DefaultSalesLimit; at most MaxSalesLimit
}

// Limits of a sales query.
const (
	DefaultSalesLimit = 1000
	MaxSalesLimit     = 10000
)

// SaleRow is one sales document as head office received it.
type SaleRow struct {
	Store  string            `json:"store"`
	Till   string            `json:"till"`
	Epoch  string            `json:"epoch"`
	Seq    int64             `json:"seq"`
	Number string            `json:"number"`
	Kind   appliance.DocKind `json:"kind"`
	Time   time.Time         `json:"time"`
	Day    string            `json:"day"` // in the store's time zone
	Total  appliance.Rupiah  `json:"total"`
	Ref    string            `json:"ref,omitempty"`
	User   string            `json:"user,omitempty"`
	Doc    *appliance.Sale   `json:"doc"` // the document as the till committed it
}

// check validates a sales query, the same for every Store: it returns the
// day and the row limit, or an *appliance.Error of CodeInvalid.
func (q SalesQuery) check() (day time.Time, limit int, err error) {
	day, err = time.Parse(time.DateOnly, q.Day)
	if err != nil {
		return day, 0, appliance.Errorf(appliance.CodeInvalid, "day %q is not YYYY-MM-DD", q.Day)
	}
	if q.Store != "" && !wire.ValidCode(q.Store) {
		return day, 0, appliance.Errorf(appliance.CodeInvalid, "store %q", q.Store)
	}
	if q.Till != "" && !wire.ValidCode(q.Till) {
		return day, 0, appliance.Errorf(appliance.CodeInvalid, "till %q", q.Till)
	}
	switch q.Kind {
	case "", appliance.DocSale, appliance.DocVoid, appliance.DocRefund:
	default:
		return day, 0, appliance.Errorf(appliance.CodeInvalid, "kind %q is not sale, void or refund", q.Kind)
	}
	limit = q.Limit
	if limit <= 0 {
		limit = DefaultSalesLimit
	}
	return day, min(limit, MaxSalesLimit), nil
}

// zoneLookup gives each store its time zone, and the default zone that
// stores without one of their own use.
func zoneLookup(zones map[string]*time.Location) (zoneOf func(store string) *time.Location, def *time.Location, err error) {
	def, err = location(DefaultZone)
	if err != nil {
		return nil, nil, fmt.Errorf("headoffice: sales: %w", err)
	}
	return func(store string) *time.Location {
		if loc, ok := zones[store]; ok {
			return loc
		}
		return def
	}, def, nil
}

// decode fills what a fleet query reads as JSON and the gap, the same for
// every Store.
func (ts *TillState) decode(devices, lastAck, lastRejection sql.NullString, firstPending sql.NullInt64) error {
	var err error
	if devices.Valid {
		if err := json.Unmarshal([]byte(devices.String), &ts.Devices); err != nil {
			return fmt.Errorf("headoffice: fleet: devices of %s/%s: %w", ts.Store, ts.Till, err)
		}
	}
	if ts.LastConfigAck, err = decodeConfigAck(lastAck); err != nil {
		return fmt.Errorf("headoffice: fleet: config ack of %s/%s: %w", ts.Store, ts.Till, err)
	}
	if ts.LastRejection, err = decodeConfigAck(lastRejection); err != nil {
		return fmt.Errorf("headoffice: fleet: rejection of %s/%s: %w", ts.Store, ts.Till, err)
	}
	if firstPending.Valid {
		ts.Gap = &Gap{Store: ts.Store, Till: ts.Till, Epoch: ts.Epoch, From: ts.AckedSeq + 1, To: firstPending.Int64 - 1}
	}
	return nil
}
