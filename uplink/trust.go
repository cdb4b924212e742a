package uplink

import (
	"crypto/ed25519"
	"fmt"
	"sync"

	"github.com/kasirpos/kasir/wire"
)

// Trust is the head-office signing key a till believes now. It starts as
// the key in the provisioning file and moves only along a rotation chain
// signed by the key it held (wire.FollowChain). Acks, catalogs and configs
// count only when this key signed them. Safe for concurrent use.
type Trust struct {
	mu      sync.Mutex
	key     ed25519.PublicKey
	version int64
	save    func(key ed25519.PublicKey, version int64) error
	changed []func()
}

// NewTrust trusts key, reached by rotation version (0: the provisioned key
// itself). save, if set, is called with every new key before it is used;
// when it fails the key does not move, so a restart never goes back to a
// key the till had already left.
func NewTrust(key ed25519.PublicKey, version int64, save func(key ed25519.PublicKey, version int64) error) *Trust {
	return &Trust{key: key, version: version, save: save}
}

// Key returns the trusted key and the rotation version it was reached by.
func (t *Trust) Key() (ed25519.PublicKey, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.key, t.version
}

// OnChange adds f to be called (on the caller of Follow's goroutine) after
// the key moved: whatever was refused for its signature may now verify.
func (t *Trust) OnChange(f func()) {
	t.mu.Lock()
	t.changed = append(t.changed, f)
	t.mu.Unlock()
}

// Follow takes a rotation chain (wire.KeysTopic's payload) and moves to the
// newest key it leads to. It reports whether the key moved and the version
// now trusted.
func (t *Trust) Follow(chain []byte) (bool, int64, error) {
	t.mu.Lock()
	cur, v := t.key, t.version
	t.mu.Unlock()
	next, nv, err := wire.FollowChain(chain, cur, v)
	if err != nil {
		return false, v, err
	}
	if next.Equal(cur) {
		return false, v, nil
	}
	if t.save != nil {
		if err := t.save(next, nv); err != nil {
			return false, v, fmt.Errorf("uplink: keep head office's new key: %w", err)
		}
	}
	t.mu.Lock()
	t.key, t.version = next, nv
	fs := append([]func(){}, t.changed...)
	t.mu.Unlock()
	for _, f := range fs {
		f()
	}
	return true, nv, nil
}
