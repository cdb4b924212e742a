package appliance

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// RecordKind names a business fact.
type RecordKind string

const (
	RecSale       RecordKind = "sale"
	RecVoid       RecordKind = "void"
	RecRefund     RecordKind = "refund"
	RecShiftOpen  RecordKind = "shift_open"
	RecCashMove   RecordKind = "cash_move"
	RecShiftClose RecordKind = "shift_close"
	RecNoSale     RecordKind = "no_sale" // drawer opened without a sale
	RecDrawer     RecordKind = "drawer"  // a drawer opening its sensor saw, open to close
	// RecQRISLate is money that arrived on a dynamic QRIS charge no sale
	// took: paid after the till cancelled it or it expired, or for a cart
	// that had changed. Head office reconciles it (refund or attach).
	RecQRISLate RecordKind = "qris_late"
	// RecQRISLateAck is a supervisor's decision on a qris_late entry:
	// refunded to the customer outside the till, or attached to a sale.
	// It carries the attempt with its Ack.
	RecQRISLateAck RecordKind = "qris_late_ack"
)

// Record is one business fact to commit. Exactly one of Sale, Shift (with
// Report for a close), Move is set, as Kind says; a no-sale carries only
// Reason.
type Record struct {
	Kind     RecordKind
	Store    string
	Till     string
	Time     time.Time
	UserID   string
	UserName string
	Reason   string

	Sale   *Sale
	Shift  *Shift
	Report *ShiftReport
	Move   *CashMove
	Drawer *DrawerOpening
	// QRIS, when set, is the dynamic QRIS attempt this record settles: a
	// sale it paid, or a qris_late record. The store writes it in the
	// record's transaction, so the attempt can never say "unsettled" for a
	// charge that a committed record accounts for.
	QRIS *QRISAttempt

	// CartID is the cart a sale completes. The store deletes that cart in
	// the same transaction, so a sold cart can never come back after a
	// restart and be sold twice.
	CartID string

	// Receipt, when set, is called by the store inside the transaction,
	// after Finalize, and its result queued for printing (PrintQueue) in
	// that same transaction; the store sets PrintJob to the job's id.
	Receipt  func() *Receipt
	PrintJob int64

	// Set by Finalize inside the store's transaction.
	Epoch string
	Seq   int64
}

// Finalize gives the record its place in the till's sequence: the store calls
// it inside the commit transaction, after it has allocated seq and before it
// writes anything, so a receipt number is never handed out twice or skipped.
// A shift_open's Shift.ID must be set before (the store assigns it).
func (r *Record) Finalize(epoch string, seq int64) {
	r.Epoch, r.Seq = epoch, seq
	if r.Sale != nil {
		r.Sale.Epoch, r.Sale.Seq = epoch, seq
		r.Sale.Store, r.Sale.Till = r.Store, r.Till
		r.Sale.Number = ReceiptNumber(r.Store, r.Till, seq)
		r.Sale.Time = r.Time
	}
	if r.Move != nil {
		r.Move.Time = r.Time
	}
	if r.QRIS != nil {
		r.QRIS.Updated = r.Time
		switch {
		case r.Kind == RecQRISLate:
			r.QRIS.LateSeq = seq
		case r.Kind == RecQRISLateAck && r.QRIS.Ack != nil:
			ack := *r.QRIS.Ack // a copy: a failed commit puts the old pointer back
			ack.Seq, ack.Time = seq, r.Time
			r.QRIS.Ack = &ack
		case r.Sale != nil:
			r.QRIS.Sale = r.Sale.Number
		}
		r.QRIS.Done = true
	}
}

// Ref is what the journal names the record by: a receipt number or a shift.
func (r *Record) Ref() string {
	switch {
	case r.Sale != nil:
		return r.Sale.Number
	case r.Shift != nil:
		return "shift-" + strconv.FormatInt(r.Shift.ID, 10)
	case r.Move != nil:
		return "shift-" + strconv.FormatInt(r.Move.ShiftID, 10)
	case r.QRIS != nil:
		return "qris-" + r.QRIS.Reference
	}
	return ""
}

// Topic is the uplink topic the record travels on: "sales" or "shift".
func (r *Record) Topic() string {
	switch r.Kind {
	case RecSale, RecVoid, RecRefund, RecQRISLate, RecQRISLateAck:
		return "sales"
	}
	return "shift"
}

// OutboxMessage is a record as head office receives it. Head office dedupes on
// (Till, Epoch, Seq).
type OutboxMessage struct {
	Store    string         `json:"store"`
	Till     string         `json:"till"`
	Epoch    string         `json:"epoch"`
	Seq      int64          `json:"seq"`
	Kind     RecordKind     `json:"kind"`
	Time     time.Time      `json:"time"`
	UserID   string         `json:"user_id"`
	UserName string         `json:"user_name"`
	Reason   string         `json:"reason,omitempty"`
	Sale     *Sale          `json:"sale,omitempty"`
	Shift    *Shift         `json:"shift,omitempty"`
	Report   *ShiftReport   `json:"report,omitempty"`
	Move     *CashMove      `json:"cash_move,omitempty"`
	Drawer   *DrawerOpening `json:"drawer,omitempty"`
	QRIS     *QRISAttempt   `json:"qris,omitempty"` // for qris_late and qris_late_ack
}

// Body is the record as JSON, as the outbox and the journal keep it.
func (r *Record) Body() ([]byte, error) {
	m := OutboxMessage{
		Store: r.Store, Till: r.Till, Epoch: r.Epoch, Seq: r.Seq, Kind: r.Kind, Time: r.Time,
		UserID: r.UserID, UserName: r.UserName, Reason: r.Reason,
		Sale: r.Sale, Shift: r.Shift, Report: r.Report, Move: r.Move, Drawer: r.Drawer,
	}
	if r.Kind == RecQRISLate || r.Kind == RecQRISLateAck {
		m.QRIS = r.QRIS // a sale carries its charge in its payment already
	}
	return json.Marshal(m)
}

// SyncState is how far the outbox is behind.
type SyncState struct {
	LastSeq        int64     `json:"last_seq"`  // newest record committed
	AckedSeq       int64     `json:"acked_seq"` // head office's high-water mark
	Unsynced       int       `json:"unsynced"`  // records not yet acknowledged
	OldestUnsynced time.Time `json:"oldest_unsynced,omitzero"`
	LastAck        time.Time `json:"last_ack,omitzero"`
}

// Store is the till's durable state. Implementations must make Commit atomic
// and durable before it returns: the document, its journal entry and its
// outbox row are written in one transaction, or nothing is.
//
// Errors: ErrNotFound (possibly wrapped) for a missing thing; any other error
// means the disk or database failed and is reported to the cashier as such.
type Store interface {
	// Epoch is the database's random identity, made when it was created.
	Epoch() string
	// Commit writes a business fact: it allocates the next gapless sequence
	// number, calls rec.Finalize, writes the document (sale and its lines and
	// payments, shift, cash move), a journal entry chained to the previous
	// one, and an outbox row holding rec.Body(), then commits. For a
	// shift_open it assigns rec.Shift.ID, for a cash_move rec.Move.ID; for
	// a shift_close it records the closing fields of rec.Shift and the
	// report. When rec.CartID is set it deletes that cart in the same
	// transaction. On failure nothing is written and rec is as it was.
	Commit(ctx context.Context, rec *Record) error

	Sale(ctx context.Context, number string) (*Sale, error)
	// SaleByCart returns the sale that completed a cart, or ErrNotFound.
	SaleByCart(ctx context.Context, cartID string) (*Sale, error)
	// SalesReferencing returns the voids and refunds of a sale.
	SalesReferencing(ctx context.Context, number string) ([]Sale, error)
	// RecentSales returns the newest documents, newest first.
	RecentSales(ctx context.Context, limit int) ([]Sale, error)
	ShiftDocs(ctx context.Context, shiftID int64) ([]Sale, error)
	CashMoves(ctx context.Context, shiftID int64) ([]CashMove, error)
	// CurrentShift returns the open shift, or ErrNotFound.
	CurrentShift(ctx context.Context) (*Shift, error)
	Shift(ctx context.Context, id int64) (*Shift, *ShiftReport, error)
	// LastRecordTime is the time of the newest committed record (zero if none).
	LastRecordTime(ctx context.Context) (time.Time, error)

	Users(ctx context.Context) ([]User, error)
	PutUser(ctx context.Context, u User) error

	// Carts in progress and parked, saved on every change.
	SaveCart(ctx context.Context, c *Cart) error
	DeleteCart(ctx context.Context, id string) error
	Carts(ctx context.Context) ([]Cart, error)

	// Config returns the stored config, or ErrNotFound.
	Config(ctx context.Context) (Config, error)
	PutConfig(ctx context.Context, c Config) error

	SyncState(ctx context.Context) (SyncState, error)
	PrintQueue
	// Journal returns entries with ID > after, in order, at most limit.
	Journal(ctx context.Context, after int64, limit int) ([]JournalEntry, error)
}

// CatalogStore is a Catalog that can be replaced whole.
type CatalogStore interface {
	Catalog
	// ReplaceCatalog swaps the whole catalog atomically: until the switch
	// the old catalog is whole, after it the new one; a failed import
	// leaves the old catalog in place. It must not hold up sales while it
	// writes (localstore stages the new catalog in short transactions).
	ReplaceCatalog(ctx context.Context, info CatalogInfo, products []Product) error
}

// OutboxRow is a committed record waiting for head office's acknowledgement.
type OutboxRow struct {
	Seq     int64
	Topic   string // "sales" or "shift"
	Created time.Time
	Body    []byte // the record's OutboxMessage as JSON
}

// Outbox is what the uplink drains. A row leaves it only through Ack, when
// head office's acknowledged high-water mark covers it — never because a
// broker or a client library said a message was delivered.
type Outbox interface {
	Epoch() string
	// Outbox returns rows with Seq > after, in order, at most limit.
	Outbox(ctx context.Context, after int64, limit int) ([]OutboxRow, error)
	// Ack records head office's high-water mark and deletes the rows it
	// covers. An ack at or below the current one changes nothing; one
	// beyond the last committed seq is refused (CodeConflict).
	Ack(ctx context.Context, seq int64, t time.Time) error
	SyncState(ctx context.Context) (SyncState, error)
}
