package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kasirpos/kasir/mqttconn"
)

// Head office's own certificate authority, made by `kasir-hq keys init`:
// it signs the embedded broker's certificate, and `till add` puts it in
// every till's provisioning file, so tills verify the broker they talk to
// without any public CA.
const (
	caCertFile     = "ca.pem"
	caKeyFile      = "ca.key"
	brokerCertFile = "broker.pem"
	brokerKeyFile  = "broker.key"
	// defaultBroker is where head office's own commands find the
	// embedded broker: TLS on this machine.
	defaultBroker = "ssl://127.0.0.1:8883"
)

// ensureCA makes head office's CA once and returns it.
func ensureCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err1 := os.ReadFile(filepath.Join(dir, caCertFile))
	keyPEM, err2 := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err1 == nil && err2 == nil {
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", caCertFile, err)
		}
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return nil, nil, fmt.Errorf("%s: not an ECDSA key", caKeyFile)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		return cert, key, err
	}
	if !errors.Is(err1, os.ErrNotExist) && err1 != nil {
		return nil, nil, err1
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "Kasir head office CA " + host, Organization: []string{"Kasir"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(20, 0, 0),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writePEMKey(filepath.Join(dir, caKeyFile), key); err != nil {
		return nil, nil, err
	}
	if err := writeSecret(filepath.Join(dir, caCertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// ensureBrokerCert makes the broker's certificate, signed by head office's
// CA, for localhost, 127.0.0.1, ::1, this machine's name and hosts; it
// makes it again when a name is missing or it expires within 30 days.
func ensureBrokerCert(dir string, hosts []string) (*x509.Certificate, error) {
	ca, caKey, err := ensureCA(dir)
	if err != nil {
		return nil, err
	}
	name, _ := os.Hostname()
	want := []string{"localhost", "127.0.0.1", "::1"}
	if name != "" {
		want = append(want, name)
	}
	for _, h := range hosts {
		if !slices.Contains(want, h) {
			want = append(want, h)
		}
	}
	if pair, err := tls.LoadX509KeyPair(filepath.Join(dir, brokerCertFile), filepath.Join(dir, brokerKeyFile)); err == nil {
		if cert, err := x509.ParseCertificate(pair.Certificate[0]); err == nil && time.Until(cert.NotAfter) > 30*24*time.Hour &&
			cert.CheckSignatureFrom(ca) == nil && coversAll(cert, want) {
			return cert, nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "kasir-hq broker", Organization: []string{"Kasir"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range want {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	if err := writePEMKey(filepath.Join(dir, brokerKeyFile), key); err != nil {
		return nil, err
	}
	if err := writeSecret(filepath.Join(dir, brokerCertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func coversAll(c *x509.Certificate, names []string) bool {
	for _, n := range names {
		if c.VerifyHostname(n) != nil {
			return false
		}
	}
	return true
}

func writePEMKey(path string, key *ecdsa.PrivateKey) error {
	b, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writeSecret(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: b}))
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// caPool is head office's CA as a pool for its own clients.
func caPool(dir string) (*x509.CertPool, []byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, nil, fmt.Errorf("head office CA: %w (run `kasir-hq keys init`)", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, nil, fmt.Errorf("%s holds no certificate", caCertFile)
	}
	return pool, b, nil
}

// brokerFlag is --broker and --ca for the commands that talk to a broker
// as head office.
type brokerFlag struct {
	url, ca *string
}

func brokerFlags(fs *flag.FlagSet) brokerFlag {
	return brokerFlag{
		url: fs.String("broker", defaultBroker, "broker URL (ssl://host:8883; tcp:// only for a broker run with --plain-mqtt)"),
		ca:  fs.String("ca", "", "PEM file of the CA that signed the broker's certificate (default: head office's own, DATA/"+caCertFile+")"),
	}
}

// tlsFor is the TLS configuration to reach broker URL u as head office:
// nil for tcp://.
func tlsFor(u, data, caFile string) (*tls.Config, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("broker %q: %w", u, err)
	}
	switch pu.Scheme {
	case "tcp", "mqtt":
		return nil, nil
	}
	var pool *x509.CertPool
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s holds no certificate", caFile)
		}
	} else if pool, _, err = caPool(data); err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// dial connects to the broker as head office.
func (b brokerFlag) dial(ctx context.Context, data string) (*mqttconn.Conn, error) {
	login, err := ensureHQLogin(data)
	if err != nil {
		return nil, err
	}
	cfg, err := tlsFor(*b.url, data, *b.ca)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return mqttconn.Dial(dctx, mqttconn.Options{Broker: *b.url, ClientID: "kasir-hq-publish-" + randomID(),
		Username: login.Username, Password: login.Password, TLS: cfg})
}
