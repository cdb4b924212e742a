package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kasirpos/kasir/internal/durable"
)

// The signing key lives in the data directory; the public half goes into
// every till's provisioning file.
const (
	privateKeyFile = "hq.key"
	publicKeyFile  = "hq.pub"
)

func keysInit(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("keys init", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	pub, err := ensureKeys(*data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "head office public key: %s\n", base64.StdEncoding.EncodeToString(pub))
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
	if err := writeSecret(filepath.Join(dir, privateKeyFile), []byte(base64.StdEncoding.EncodeToString(priv.Seed())+"\n")); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, publicKeyFile), []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o644); err != nil {
		return nil, err
	}
	return pub, nil
}

func loadKey(dir string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(filepath.Join(dir, privateKeyFile))
	if err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a key made by `kasir-hq keys init`", privateKeyFile)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// writeSecret writes a file only its owner can read, durably.
func writeSecret(path string, b []byte) error {
	return durable.WriteFile(path, b, 0o600)
}
