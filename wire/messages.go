package wire

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// Version is the version of the messages in this package.
const Version = 1

// Batch is consecutive outbox records of one till, all of one topic, as one
// MQTT message (QoS 1). Records are the outbox bodies exactly as committed
// (appliance.OutboxMessage JSON). Head office dedupes on (Till, Epoch, Seq)
// of each record, so a batch sent twice, or overlapping another, is harmless.
type Batch struct {
	V       int               `json:"v"`
	ID      string            `json:"id"` // "till/epoch/first-last"
	Store   string            `json:"store"`
	Till    string            `json:"till"`
	Epoch   string            `json:"epoch"`
	First   int64             `json:"first"`
	Last    int64             `json:"last"`
	Records []json.RawMessage `json:"records"`
	// Sig is the till's ed25519 signature (BatchVersion 2 on), made with
	// the key in its provisioning file; head office holds the public half.
	Sig []byte `json:"sig,omitempty"`
}

// BatchID names a batch as DESIGN.md says: till/epoch/first-last.
func BatchID(till, epoch string, first, last int64) string {
	return fmt.Sprintf("%s/%s/%d-%d", till, epoch, first, last)
}

// Record is what head office reads of each record in a batch: enough to
// dedupe and order it; the rest is kept as it came.
type Record struct {
	Store string               `json:"store"`
	Till  string               `json:"till"`
	Epoch string               `json:"epoch"`
	Seq   int64                `json:"seq"`
	Kind  appliance.RecordKind `json:"kind"`
	Time  time.Time            `json:"time"`
}

// Validate checks a batch's framing against its records.
func (b *Batch) Validate() error {
	if b.V != BatchVersion {
		return fmt.Errorf("wire: batch version %d", b.V)
	}
	if !ValidCode(b.Store) || !ValidCode(b.Till) || b.Epoch == "" {
		return fmt.Errorf("wire: batch from store %q till %q epoch %q", b.Store, b.Till, b.Epoch)
	}
	if b.First < 1 || b.Last < b.First || int64(len(b.Records)) != b.Last-b.First+1 {
		return fmt.Errorf("wire: batch %d-%d with %d records", b.First, b.Last, len(b.Records))
	}
	for i, raw := range b.Records {
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("wire: batch record %d: %w", i, err)
		}
		if r.Till != b.Till || r.Store != b.Store || r.Epoch != b.Epoch || r.Seq != b.First+int64(i) {
			return fmt.Errorf("wire: batch record %d is %s/%s/%s/%d", i, r.Store, r.Till, r.Epoch, r.Seq)
		}
	}
	return nil
}

// Ack is head office's high-water mark for one till, published retained on
// AckTopic only after head office has committed every record up to Seq of
// that epoch. A till applies an ack only for its own epoch, and only when
// head office signed it (AckVersion 2 on): an ack deletes outbox rows, so
// nobody else may make one.
type Ack struct {
	V     int       `json:"v"`
	Store string    `json:"store"`
	Till  string    `json:"till"`
	Epoch string    `json:"epoch"`
	Seq   int64     `json:"seq"`
	Time  time.Time `json:"time"`
	Sig   []byte    `json:"sig,omitempty"`
}

// Status is a till's presence, retained on StatusTopic. The broker
// publishes the till's last will, Online false, when the till vanishes.
type Status struct {
	V              int                               `json:"v"`
	Store          string                            `json:"store"`
	Till           string                            `json:"till"`
	Online         bool                              `json:"online"`
	Time           time.Time                         `json:"time,omitzero"`
	Epoch          string                            `json:"epoch,omitempty"`
	LastSeq        int64                             `json:"last_seq"`
	AckedSeq       int64                             `json:"acked_seq"`
	Backlog        int                               `json:"backlog"`
	OldestUnsynced time.Time                         `json:"oldest_unsynced,omitzero"`
	LastAck        time.Time                         `json:"last_ack,omitzero"`
	Software       string                            `json:"software,omitempty"`
	CatalogVersion string                            `json:"catalog_version,omitempty"`
	ConfigVersion  string                            `json:"config_version,omitempty"`
	Devices        map[string]appliance.DeviceStatus `json:"devices,omitempty"`
}

// ConfigAck is a till's answer to a catalog or config envelope, retained on
// ConfigAckTopic: the last one it applied or rejected, with the reason.
type ConfigAck struct {
	V       int       `json:"v"`
	Store   string    `json:"store"`
	Till    string    `json:"till"`
	Kind    string    `json:"kind"` // "catalog" or "config"
	Version int64     `json:"version"`
	Status  string    `json:"status"` // "applied" or "rejected"
	Reason  string    `json:"reason,omitempty"`
	Time    time.Time `json:"time"`
}

// CatalogBody is the body of a catalog envelope.
type CatalogBody struct {
	Products []appliance.Product `json:"products"`
}
