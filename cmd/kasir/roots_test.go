package main

import (
	"crypto/x509"
	"os"
	"os/exec"
	"testing"
)

// On the image there is no CA bundle: the till must still know the public
// CAs, or MQTT over TLS to a public-CA broker fails. The check runs in a
// child process whose system roots point nowhere, as on gokrazy.
func TestRootsWithoutSystemBundle(t *testing.T) {
	if os.Getenv("KASIR_ROOTS_CHILD") == "1" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool.Equal(x509.NewCertPool()) {
			t.Fatalf("no roots without a system bundle: %v", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRootsWithoutSystemBundle$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KASIR_ROOTS_CHILD=1", "SSL_CERT_FILE=/nonexistent/ca.pem", "SSL_CERT_DIR=/nonexistent")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
