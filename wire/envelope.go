package wire

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Envelope carries a catalog or a config down to tills, signed by head
// office's ed25519 key. The signature covers every field but itself, and the
// body through its SHA-256, so nothing in it can be changed or swapped.
type Envelope struct {
	V        int       `json:"v"`
	Kind     string    `json:"kind"`    // "catalog", "config" or "key"
	Version  int64     `json:"version"` // only rises, per kind and target
	IssuedAt time.Time `json:"issued_at"`
	Store    string    `json:"store"` // a store code, or "all"
	Till     string    `json:"till,omitempty"`
	Encoding string    `json:"encoding"` // "json" or "gzip"
	SHA256   string    `json:"sha256"`   // of the body as carried (after compression)
	Body     []byte    `json:"body"`     // base64 in JSON
	Sig      []byte    `json:"sig"`
}

// Kinds of envelope.
const (
	KindCatalog = "catalog"
	KindConfig  = "config"
)

// Rejection reasons a till reports on its config-ack topic.
var (
	ErrBadSignature = errors.New("bad_signature")
	ErrBadHash      = errors.New("bad_hash")
	ErrMalformed    = errors.New("malformed")
	ErrOversized    = errors.New("oversized")
	ErrOldVersion   = errors.New("old_version")
	ErrForeign      = errors.New("foreign_target")
)

// signed is the byte string the signature covers.
func (e *Envelope) signed() []byte {
	return fields("kasir-envelope", strconv.Itoa(e.V), e.Kind, strconv.FormatInt(e.Version, 10),
		e.IssuedAt.UTC().Format(time.RFC3339Nano), e.Store, e.Till, e.Encoding, e.SHA256)
}

// Seal makes a signed envelope of body, gzip-compressed when compress.
func Seal(key ed25519.PrivateKey, kind string, version int64, issued time.Time, store, till string, body []byte, compress bool) (*Envelope, error) {
	e := &Envelope{V: Version, Kind: kind, Version: version, IssuedAt: issued.UTC(), Store: store, Till: till, Encoding: "json"}
	if compress {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.ModTime = time.Time{}
		if _, err := zw.Write(body); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		body, e.Encoding = buf.Bytes(), "gzip"
	}
	sum := sha256.Sum256(body)
	e.SHA256 = hex.EncodeToString(sum[:])
	e.Body = body
	e.Sig = ed25519.Sign(key, e.signed())
	return e, nil
}

// Open checks an envelope's signature and hash and returns its body,
// decompressed, refusing one that would decompress past maxBody bytes. The
// error wraps one of the Err* reasons.
func Open(raw []byte, pub ed25519.PublicKey, maxBody int64) (*Envelope, []byte, error) {
	if int64(len(raw)) > maxBody*2+4096 {
		return nil, nil, fmt.Errorf("%w: envelope of %d bytes", ErrOversized, len(raw))
	}
	var e Envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e.V != Version || (e.Kind != KindCatalog && e.Kind != KindConfig && e.Kind != KindKey) || e.Version < 1 || e.Store == "" {
		return nil, nil, fmt.Errorf("%w: envelope v%d kind %q version %d store %q", ErrMalformed, e.V, e.Kind, e.Version, e.Store)
	}
	if len(e.Sig) != ed25519.SignatureSize || !ed25519.Verify(pub, e.signed(), e.Sig) {
		return nil, nil, fmt.Errorf("%w: %s version %d", ErrBadSignature, e.Kind, e.Version)
	}
	sum := sha256.Sum256(e.Body)
	if hex.EncodeToString(sum[:]) != e.SHA256 {
		return nil, nil, fmt.Errorf("%w: %s version %d", ErrBadHash, e.Kind, e.Version)
	}
	body := e.Body
	switch e.Encoding {
	case "json":
		if int64(len(body)) > maxBody {
			return nil, nil, fmt.Errorf("%w: body of %d bytes", ErrOversized, len(body))
		}
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		// Read one byte past the limit to tell "at the limit" from "over".
		body, err = io.ReadAll(io.LimitReader(zr, maxBody+1))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if int64(len(body)) > maxBody {
			return nil, nil, fmt.Errorf("%w: body over %d bytes", ErrOversized, maxBody)
		}
	default:
		return nil, nil, fmt.Errorf("%w: encoding %q", ErrMalformed, e.Encoding)
	}
	if !json.Valid(body) {
		return nil, nil, fmt.Errorf("%w: body is not JSON", ErrMalformed)
	}
	return &e, body, nil
}

// For reports whether the envelope is meant for this till.
func (e *Envelope) For(store, till string) bool {
	if e.Store != "all" && e.Store != store {
		return false
	}
	return e.Till == "" || e.Till == till
}

// Reason is the short reason code of a rejection error, for ConfigAck.
func Reason(err error) string {
	for _, r := range []error{ErrBadSignature, ErrBadHash, ErrMalformed, ErrOversized, ErrOldVersion, ErrForeign, ErrKeyChain, ErrUnsigned} {
		if errors.Is(err, r) {
			return r.Error()
		}
	}
	return "error"
}
