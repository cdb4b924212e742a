// Package zbar is a test helper: it decodes images with zbarimg, from
// Debian's zbar-tools, an independent QR decoder that the encoder's and the
// printer driver's tests hold their codes to. `make deps` installs it; as
// root Path installs it itself, and otherwise it fails the test rather than
// skip it.
package zbar

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	once    sync.Once
	path    string
	findErr error
)

// Path returns zbarimg's path, installing it first when it is missing.
func Path(t testing.TB) string {
	t.Helper()
	once.Do(func() { path, findErr = find() })
	if findErr != nil {
		t.Fatal(findErr)
	}
	return path
}

func find() (string, error) {
	if p, err := exec.LookPath("zbarimg"); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("zbarimg not found, and installing it needs root: apt-get install -y zbar-tools (or make deps)")
	}
	apt := func(args ...string) error {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := apt("install", "-y", "-qq", "zbar-tools"); err != nil {
		// The package lists may be missing or stale; refresh them once.
		if err := apt("update", "-qq"); err != nil {
			return "", err
		}
		if err := apt("install", "-y", "-qq", "zbar-tools"); err != nil {
			return "", err
		}
	}
	return exec.LookPath("zbarimg")
}

// Decode runs zbarimg on the files, QR codes only, and returns what it
// printed, one line per symbol.
func Decode(zbarimg string, files ...string) (string, error) {
	args := append([]string{"-q", "--raw", "-Sdisable", "-Sqrcode.enable"}, files...)
	var stderr bytes.Buffer
	cmd := exec.Command(zbarimg, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// zbarimg also complains when there is no D-Bus, as in containers;
		// that is noise.
		var msg []string
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if !strings.HasPrefix(line, "Connection ") {
				msg = append(msg, line)
			}
		}
		return string(out), fmt.Errorf("%v: %s", err, strings.Join(msg, "\n"))
	}
	return string(out), nil
}

// DecodePNG writes png to a temporary file and decodes it.
func DecodePNG(t testing.TB, png []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(f, png, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := Decode(Path(t), f)
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSuffix(out, "\n")
}
