package systemtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// throwawayCA makes a CA and a broker certificate for 127.0.0.1 signed by it,
// as PEM files in dir. It returns the CA's path.
func throwawayCA(t *testing.T, dir, name string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	write := func(file, typ string, b []byte) string {
		p := filepath.Join(dir, file)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write(name+"-ca.pem", "CERTIFICATE", caDER), write(name+"-cert.pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kb)
}

// A till reaches head office over TLS, verifying the broker against the CA
// in its provisioning file; a till given another CA refuses the broker.
func TestTLSLinkVerifiesTheBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("system test: run without -short (make test)")
	}
	kasir, hq := binaries(t)
	certs := t.TempDir()
	ca, cert, key := throwawayCA(t, certs, "hq")
	otherCA, _, _ := throwawayCA(t, certs, "other")
	hqData := t.TempDir()
	h := start(t, hq, "serve", "--data", hqData, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0",
		"--tls-cert", cert, "--tls-key", key, "--log-level", "warn")
	line := h.wait(t, "kasir-hq: broker on ")
	if !strings.HasSuffix(line, "(ssl)") {
		t.Fatalf("broker line %q", line)
	}
	broker := "ssl://" + strings.Fields(line)[0]

	tills := map[string]string{"T01": ca, "T02": otherCA}
	urls := map[string]string{}
	procs := map[string]*proc{}
	for till, caFile := range tills {
		prov := filepath.Join(t.TempDir(), "kasir.json")
		runCmd(t, hq, "till", "add", "--data", hqData, "--store", "S001", "--till", till, "--broker", broker, "--ca", caFile, "--out", prov)
		k := start(t, kasir, "serve", "--demo", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--provision", prov, "--log-level", "info")
		urls[till] = k.wait(t, "kasir: serving on ")
		procs[till] = k
	}
	good := newClient(t, urls["T01"])
	good.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil)
	good.do("POST", "/api/v1/shift/open", map[string]int64{"float": 0}, nil)
	var st tillStatus
	eventually(t, "the till with the right CA to be acknowledged", func() bool {
		good.do("GET", "/api/v1/status", nil, &st)
		return st.Online && st.AckedSeq == 1 && st.Unsynced == 0
	})
	bad := newClient(t, urls["T02"])
	bad.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil)
	bad.do("POST", "/api/v1/shift/open", map[string]int64{"float": 0}, nil)
	// It tries, and says why it fails.
	eventually(t, "the till with the wrong CA to report the certificate", func() bool {
		procs["T02"].logMu.Lock()
		defer procs["T02"].logMu.Unlock()
		return strings.Contains(procs["T02"].log.String(), "certificate")
	})
	bad.do("GET", "/api/v1/status", nil, &st)
	if st.Online || st.Unsynced != 1 {
		t.Fatalf("a till that cannot verify the broker: online=%v unsynced=%d", st.Online, st.Unsynced)
	}
}
