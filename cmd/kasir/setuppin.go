package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kasirpos/kasir/wire"
)

// setupPINName is the setup PIN file's name when --setup-pin-file is not
// given: beside the provisioning file, or in the data directory.
const setupPINName = wire.SetupPINFile

// setupPINDigits is how long the PINs the till makes are.
const setupPINDigits = 8

// ensureSetupPIN returns the till's setup PIN, read from path, or made and
// written there (durably) at first start. The file says what it is in both
// languages, so a technician who opens it on a laptop knows. A PIN written
// there by someone else (kasir-init, a technician) is used as it is.
func ensureSetupPIN(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if pin := wire.ParseSetupPIN(string(b)); pin != "" {
			return pin, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	pin, err := wire.NewSetupPIN()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := wire.WriteFileDurably(path, []byte(wire.SetupPINText(pin))); err != nil {
		return "", fmt.Errorf("write setup PIN file: %w", err)
	}
	return pin, nil
}
