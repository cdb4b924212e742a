package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BatchVersion and AckVersion are the versions of Batch and Ack. Version 2
// added the signatures: a batch is signed by its till's own key, an ack by
// head office's. A version 1 batch is unsigned and comes from a till whose
// software predates this; head office refuses it (ErrUnsigned) and says so
// on the fleet page, because nothing proves that the till made it.
const (
	BatchVersion = 2
	AckVersion   = 2
)

// Signature errors.
var (
	// ErrUnsigned: a batch or ack of a version that carried no signature,
	// or one whose signature is missing.
	ErrUnsigned = errors.New("unsigned")
)

// fields is the byte string a signature covers: each field length-prefixed,
// so that no two different field lists make the same bytes.
func fields(parts ...string) []byte {
	var b bytes.Buffer
	for _, f := range parts {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
	}
	return b.Bytes()
}

// signed is what a batch's signature covers: its framing and, through one
// SHA-256, every record's bytes exactly as they travel.
func (b *Batch) signed() []byte {
	h := sha256.New()
	for _, r := range b.Records {
		h.Write([]byte(strconv.Itoa(len(r)) + ":"))
		h.Write(r)
	}
	return fields("kasir-batch", strconv.Itoa(b.V), b.ID, b.Store, b.Till, b.Epoch,
		strconv.FormatInt(b.First, 10), strconv.FormatInt(b.Last, 10), string(h.Sum(nil)))
}

// Sign signs the batch with its till's key.
func (b *Batch) Sign(key ed25519.PrivateKey) {
	b.Sig = ed25519.Sign(key, b.signed())
}

// Verify checks that the batch was signed with the till key pub. The error
// wraps ErrUnsigned or ErrBadSignature.
func (b *Batch) Verify(pub ed25519.PublicKey) error {
	if b.V < BatchVersion || len(b.Sig) == 0 {
		return fmt.Errorf("%w: batch %s of version %d", ErrUnsigned, b.ID, b.V)
	}
	if len(pub) != ed25519.PublicKeySize || len(b.Sig) != ed25519.SignatureSize || !ed25519.Verify(pub, b.signed(), b.Sig) {
		return fmt.Errorf("%w: batch %s", ErrBadSignature, b.ID)
	}
	return nil
}

func (a *Ack) signed() []byte {
	return fields("kasir-ack", strconv.Itoa(a.V), a.Store, a.Till, a.Epoch,
		strconv.FormatInt(a.Seq, 10), a.Time.UTC().Format(time.RFC3339Nano))
}

// Sign signs the ack with head office's key.
func (a *Ack) Sign(key ed25519.PrivateKey) {
	a.V = AckVersion
	a.Sig = ed25519.Sign(key, a.signed())
}

// Verify checks that head office signed this ack. The till checks store,
// till and epoch itself: they are covered by the signature, so a valid ack
// of another till or epoch cannot be turned into one of ours.
func (a *Ack) Verify(pub ed25519.PublicKey) error {
	if a.V < AckVersion || len(a.Sig) == 0 {
		return fmt.Errorf("%w: ack of version %d", ErrUnsigned, a.V)
	}
	if len(pub) != ed25519.PublicKeySize || len(a.Sig) != ed25519.SignatureSize || !ed25519.Verify(pub, a.signed(), a.Sig) {
		return fmt.Errorf("%w: ack %s/%s/%s/%d", ErrBadSignature, a.Store, a.Till, a.Epoch, a.Seq)
	}
	return nil
}

// KindKey is the envelope kind of a head-office key rotation.
const KindKey = "key"

// KeysTopic carries, retained, every rotation of head office's signing key,
// oldest first (a JSON array of envelopes of kind "key"): a till that slept
// through several rotations walks the chain from the key it trusts.
const KeysTopic = "pos/down/all/keys"

// KeyRotation is the body of a "key" envelope: head office's next signing
// key, announced under the key it replaces.
type KeyRotation struct {
	Previous string `json:"previous"` // base64 ed25519 public key that signs this envelope
	Key      string `json:"key"`      // base64 ed25519 public key from now on
}

// EncodeKey is the text form of a public key in provisioning files and
// rotations: standard base64.
func EncodeKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// DecodeKey reads a public key written by EncodeKey.
func DecodeKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("not a base64 ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}

// EncodeSeed and DecodeSeed are the text form of a private key (its 32-byte
// seed, base64), as in the provisioning file's till_key.
func EncodeSeed(key ed25519.PrivateKey) string { return base64.StdEncoding.EncodeToString(key.Seed()) }

// DecodeSeed reads a private key written by EncodeSeed.
func DecodeSeed(s string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("not a base64 ed25519 key seed")
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// Rotate announces next as head office's signing key, signed by old.
// version numbers the rotation (1 for the first).
func Rotate(old ed25519.PrivateKey, next ed25519.PublicKey, version int64, issued time.Time) (*Envelope, error) {
	body, err := json.Marshal(KeyRotation{Previous: EncodeKey(old.Public().(ed25519.PublicKey)), Key: EncodeKey(next)})
	if err != nil {
		return nil, err
	}
	return Seal(old, KindKey, version, issued, "all", "", body, false)
}

// ErrKeyChain: a rotation chain that does not lead from the trusted key.
var ErrKeyChain = errors.New("key_chain")

// FollowChain walks a chain of rotations (KeysTopic's payload) from the key
// a till trusts, and returns the newest key it leads to and the version of
// the last rotation taken (version when none applies). A rotation is taken
// only when it is signed by the key trusted at that point, so whoever
// relays the chain cannot add a key of their own. A chain in which the
// trusted key appears nowhere is an error wrapping ErrKeyChain: this till
// was provisioned for another head office, or the chain was cut.
func FollowChain(raw []byte, trusted ed25519.PublicKey, version int64) (ed25519.PublicKey, int64, error) {
	var chain []json.RawMessage
	if err := json.Unmarshal(raw, &chain); err != nil {
		return trusted, version, fmt.Errorf("%w: key chain: %v", ErrMalformed, err)
	}
	cur, seen := trusted, false
	for i, e := range chain {
		var head Envelope
		if err := json.Unmarshal(e, &head); err != nil {
			return trusted, version, fmt.Errorf("%w: key chain entry %d: %v", ErrMalformed, i, err)
		}
		var r KeyRotation
		if err := json.Unmarshal(head.Body, &r); err != nil {
			return trusted, version, fmt.Errorf("%w: key chain entry %d: %v", ErrMalformed, i, err)
		}
		if r.Key == EncodeKey(cur) {
			seen = true // rotations up to the key we trust: taken before
			continue
		}
		if r.Previous != EncodeKey(cur) {
			continue // a rotation before ours, or one we cannot reach yet
		}
		env, body, err := Open(e, cur, 4096)
		if err != nil {
			return trusted, version, fmt.Errorf("key chain entry %d: %w", i, err)
		}
		if env.Kind != KindKey {
			return trusted, version, fmt.Errorf("%w: key chain entry %d is a %s envelope", ErrMalformed, i, env.Kind)
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return trusted, version, fmt.Errorf("%w: key chain entry %d: %v", ErrMalformed, i, err)
		}
		next, err := DecodeKey(r.Key)
		if err != nil {
			return trusted, version, fmt.Errorf("%w: key chain entry %d: %v", ErrMalformed, i, err)
		}
		cur, version, seen = next, env.Version, true
	}
	if !seen && len(chain) > 0 {
		return trusted, version, fmt.Errorf("%w: no rotation in the chain starts from or leads to the key this till trusts", ErrKeyChain)
	}
	return cur, version, nil
}
