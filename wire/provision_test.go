package wire

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func goodProvision(t *testing.T) *Provision {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Kasir test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return &Provision{Store: "S001", Till: "T01", Broker: "ssl://mqtt.example:8883", Username: "u", Password: "p",
		CA:          string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		HQPublicKey: base64.StdEncoding.EncodeToString(pub), TimeZone: "Asia/Makassar"}
}

// Every problem comes in both languages, tied to its form field.
func TestProvisionCheck(t *testing.T) {
	if probs := goodProvision(t).Check(); len(probs) != 0 {
		t.Fatalf("good provisioning: %v", probs)
	}
	tests := []struct {
		name  string
		edit  func(*Provision)
		field string
	}{
		{"store", func(p *Provision) { p.Store = "S 1" }, "store"},
		{"till", func(p *Provision) { p.Till = "" }, "till"},
		{"broker scheme", func(p *Provision) { p.Broker = "http://mqtt.example" }, "broker"},
		{"broker host", func(p *Provision) { p.Broker = "tcp://" }, "broker"},
		{"password", func(p *Provision) { p.Password = "" }, "username"},
		{"ca", func(p *Provision) { p.CA = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }, "ca"},
		{"ca not pem", func(p *Provision) { p.CA = "hello" }, "ca"},
		{"key", func(p *Provision) { p.HQPublicKey = "abc" }, "hq_public_key"},
		{"time zone", func(p *Provision) { p.TimeZone = "Asia/Atlantis" }, "time_zone"},
		{"devices", func(p *Provision) { p.Devices = &Devices{Printer: &PrinterDevice{Transport: "fax"}} }, "devices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := goodProvision(t)
			tt.edit(p)
			probs := p.Check()
			if len(probs) != 1 || probs[0].Field != tt.field || probs[0].ID == "" || probs[0].EN == "" || probs[0].ID == probs[0].EN && tt.field != "devices" {
				t.Fatalf("Check = %+v, want one bilingual problem for %s", probs, tt.field)
			}
			if got := p.Problems(); !reflect.DeepEqual(got, []string{probs[0].EN}) {
				t.Errorf("Problems = %v", got)
			}
		})
	}
}

// WriteProvision leaves the file whole and private, and nothing beside it.
func TestWriteProvision(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kasir.json")
	os.WriteFile(path, []byte("{old"), 0o600)
	p := goodProvision(t)
	if err := WriteProvision(path, p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadProvision(path)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("directory holds %d entries, want kasir.json alone", len(es))
	}
	p.Store = ""
	if err := WriteProvision(path, p); err == nil || !strings.Contains(err.Error(), "store") {
		t.Errorf("writing a bad provisioning: %v", err)
	}
	if got, err := ReadProvision(path); err != nil || got.Store != "S001" {
		t.Errorf("a refused write changed the file: %+v, %v", got, err)
	}
}

// The setup PIN file says what it is and gives its PIN back.
func TestSetupPINText(t *testing.T) {
	pin, err := NewSetupPIN()
	if err != nil || len(pin) != 8 || strings.Trim(pin, "0123456789") != "" {
		t.Fatalf("NewSetupPIN = %q, %v", pin, err)
	}
	text := SetupPINText(pin)
	if got := ParseSetupPIN(text); got != pin {
		t.Errorf("ParseSetupPIN = %q, want %q", got, pin)
	}
	for _, want := range []string{"ID: Ini PIN setup", "EN: This is this till's setup PIN", "\r\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("setup PIN file lacks %q", want)
		}
	}
	for _, bad := range []string{"", "PIN: 12a45678", "PIN: 123", "no pin here"} {
		if got := ParseSetupPIN(bad); got != "" {
			t.Errorf("ParseSetupPIN(%q) = %q", bad, got)
		}
	}
}
