package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kasirpos/kasir/internal/durable"
	"github.com/kasirpos/kasir/wire"
)

// The signing key lives in the data directory; the public half goes into
// every till's provisioning file.
const (
	privateKeyFile = "hq.key"
	publicKeyFile  = "hq.pub"
	// chainFile holds every rotation of the signing key, oldest first:
	// what wire.KeysTopic carries.
	chainFile = "hq-keys.json"
)

func keysInit(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("keys init", stderr)
	var hosts hostList
	fs.Var(&hosts, "host", "a name or address tills reach the broker by, for its certificate (repeatable; localhost, 127.0.0.1 and this machine's name are always in)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pub, err := ensureKeys(*data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "head office public key: %s\n", base64.StdEncoding.EncodeToString(pub))
	cert, err := ensureBrokerCert(*data, hosts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "broker certificate: %s for %s (CA %s)\n", filepath.Join(*data, brokerCertFile),
		strings.Join(certNames(cert), ", "), filepath.Join(*data, caCertFile))
	return nil
}

// ensureKeys makes the key pair once; later calls return the existing key.
func ensureKeys(dir string) (ed25519.PublicKey, error) {
	if priv, err := loadKey(dir); err == nil {
		return priv.Public().(ed25519.PublicKey), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	if err := writeKey(dir, priv); err != nil {
		return nil, err
	}
	return pub, nil
}

func writeKey(dir string, priv ed25519.PrivateKey) error {
	if err := writeSecret(filepath.Join(dir, privateKeyFile), []byte(wire.EncodeSeed(priv)+"\n")); err != nil {
		return err
	}
	return durable.WriteFile(filepath.Join(dir, publicKeyFile), []byte(wire.EncodeKey(priv.Public().(ed25519.PublicKey))+"\n"), 0o644)
}

func loadKey(dir string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(filepath.Join(dir, privateKeyFile))
	if err != nil {
		return nil, err
	}
	k, err := wire.DecodeSeed(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: not a key made by `kasir-hq keys init`", privateKeyFile)
	}
	return k, nil
}

// writeSecret writes a file only its owner can read, durably.
func writeSecret(path string, b []byte) error {
	return durable.WriteFile(path, b, 0o600)
}

// signer hands the ingest workers head office's current signing key, and
// reads the key file again when it changed, so that `kasir-hq keys rotate`
// takes effect on a running head office. It looks at the file at every
// ack: a till that has followed a rotation refuses an ack signed by the
// key it left, and the stat costs nothing next to the ingest's commit.
type signer struct {
	dir string

	mu    sync.Mutex
	key   ed25519.PrivateKey
	mtime time.Time
	size  int64
}

func newSigner(dir string) (*signer, error) {
	s := &signer{dir: dir}
	if s.Key() == nil {
		_, err := loadKey(dir)
		return nil, fmt.Errorf("signing key: %w (run `kasir-hq keys init`)", err)
	}
	return s, nil
}

// Key returns the current key.
func (s *signer) Key() ed25519.PrivateKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(filepath.Join(s.dir, privateKeyFile))
	if err == nil && (s.key == nil || !fi.ModTime().Equal(s.mtime) || fi.Size() != s.size) {
		if k, err := loadKey(s.dir); err == nil {
			s.key, s.mtime, s.size = k, fi.ModTime(), fi.Size()
		}
	}
	return s.key
}

// keysRotate replaces head office's signing key with a new one announced
// under the old: the rotation joins the chain on wire.KeysTopic, every
// saved catalog and config is signed again with the new key, and all of it
// is published (retained) now and at every connect. A till follows the
// chain from the key it trusts, so one that slept through several
// rotations catches up.
func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("keys rotate", stderr)
	bf := brokerFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	old, err := loadKey(*data)
	if err != nil {
		return fmt.Errorf("signing key: %w (run `kasir-hq keys init`)", err)
	}
	chain, err := loadChain(*data)
	if err != nil {
		return err
	}
	// The new key is written first, under its own name: a rotation cut
	// short by a crash resumes with the same key when run again, so the
	// chain never names two successors of one key.
	nextFile := filepath.Join(*data, privateKeyFile+".next")
	var next ed25519.PrivateKey
	if b, err := os.ReadFile(nextFile); err == nil {
		if next, err = wire.DecodeSeed(string(b)); err != nil {
			return fmt.Errorf("%s: %w", nextFile, err)
		}
		fmt.Fprintln(stdout, "resuming the rotation an earlier run began")
	} else if errors.Is(err, os.ErrNotExist) {
		if _, next, err = ed25519.GenerateKey(nil); err != nil {
			return err
		}
		if err := writeSecret(nextFile, []byte(wire.EncodeSeed(next)+"\n")); err != nil {
			return err
		}
	} else {
		return err
	}
	pub := next.Public().(ed25519.PublicKey)
	if pub.Equal(old.Public().(ed25519.PublicKey)) {
		// An earlier run got as far as installing the key.
		fmt.Fprintf(stdout, "head office signing key already rotated to %s\n", wire.EncodeKey(pub))
		return os.Remove(nextFile)
	}
	if !chainEndsWith(chain, pub) {
		rot, err := wire.Rotate(old, pub, int64(len(chain))+1, time.Now())
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(rot)
		chain = append(chain, raw)
	}
	chainRaw, _ := json.Marshal(chain)
	if err := writeSecret(filepath.Join(*data, fmt.Sprintf("%s.%d", privateKeyFile, len(chain))), []byte(wire.EncodeSeed(old)+"\n")); err != nil {
		return err
	}
	if err := durable.WriteFile(filepath.Join(*data, chainFile), chainRaw, 0o644); err != nil {
		return err
	}
	if err := savePublished(*data, wire.KeysTopic, chainRaw); err != nil {
		return err
	}
	// Envelopes already signed by next (a resumed run) open with it.
	resealed, err := resealPublished(*data, []ed25519.PublicKey{old.Public().(ed25519.PublicKey), pub}, next)
	if err != nil {
		return err
	}
	if err := writeKey(*data, next); err != nil {
		return err
	}
	if err := os.Remove(nextFile); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "head office signing key rotated (rotation %d): new public key %s; %d saved catalogs and configs signed again\n",
		len(chain), wire.EncodeKey(pub), resealed)
	conn, err := bf.dial(ctx, *data)
	if err != nil {
		fmt.Fprintf(stdout, "broker unreachable (%v): head office publishes the rotation when it next connects\n", err)
		return nil
	}
	defer conn.Close()
	if err := republishAll(ctx, conn, *data); err != nil {
		fmt.Fprintf(stdout, "not all published (%v): head office publishes the rest when it next connects\n", err)
	}
	return nil
}

func loadChain(dir string) ([]json.RawMessage, error) {
	b, err := os.ReadFile(filepath.Join(dir, chainFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var chain []json.RawMessage
	if err := json.Unmarshal(b, &chain); err != nil {
		return nil, fmt.Errorf("%s: %w", chainFile, err)
	}
	return chain, nil
}

// resealPublished signs every saved catalog and config envelope again with
// next, keeping its version, time and body: a till already running it
// sees the same version and changes nothing.
func resealPublished(dir string, pubs []ed25519.PublicKey, next ed25519.PrivateKey) (int, error) {
	names, _ := filepath.Glob(filepath.Join(dir, publishedDir, "*.json"))
	n := 0
	for _, name := range names {
		t, err := hex.DecodeString(strings.TrimSuffix(filepath.Base(name), ".json"))
		if err != nil || string(t) == wire.KeysTopic {
			continue
		}
		raw, err := os.ReadFile(name)
		if err != nil {
			return n, err
		}
		var env *wire.Envelope
		var body []byte
		for _, pub := range pubs {
			if env, body, err = wire.Open(raw, pub, 1<<30); err == nil {
				break
			}
		}
		if err != nil {
			return n, fmt.Errorf("%s: %w", name, err)
		}
		fresh, err := wire.Seal(next, env.Kind, env.Version, env.IssuedAt, env.Store, env.Till, body, env.Encoding == "gzip")
		if err != nil {
			return n, err
		}
		b, _ := json.Marshal(fresh)
		if err := writeSecret(name, b); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// chainEndsWith reports whether the chain's last rotation leads to pub.
func chainEndsWith(chain []json.RawMessage, pub ed25519.PublicKey) bool {
	if len(chain) == 0 {
		return false
	}
	var e wire.Envelope
	var r wire.KeyRotation
	if json.Unmarshal(chain[len(chain)-1], &e) != nil || json.Unmarshal(e.Body, &r) != nil {
		return false
	}
	return r.Key == wire.EncodeKey(pub)
}

// hostList is a repeatable flag.
type hostList []string

func (h *hostList) String() string     { return strings.Join(*h, ",") }
func (h *hostList) Set(s string) error { *h = append(*h, s); return nil }

func certNames(c *x509.Certificate) []string {
	out := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
