package wire

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kasirpos/kasir/internal/durable"
)

// Provision is a till's identity and its way to head office: the kasir.json
// a technician edits on the boot partition, written by `kasir-hq till add`.
type Provision struct {
	Store       string `json:"store"`
	Till        string `json:"till"`
	Broker      string `json:"broker"` // tcp://host:1883 or ssl://host:8883
	Username    string `json:"username"`
	Password    string `json:"password"`
	CA          string `json:"ca,omitempty"`  // PEM of the CA that signed the broker's certificate
	HQPublicKey string `json:"hq_public_key"` // base64 ed25519 key that signs catalogs and configs
	// TillKey is this till's own ed25519 private key (base64 of its
	// 32-byte seed), made by `kasir-hq till add`: the till signs every
	// batch with it and head office, which keeps only the public half,
	// refuses batches it did not sign. A secret like Password.
	TillKey  string `json:"till_key,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
	// Devices are the till's peripherals; nil: the virtual printer and
	// drawer.
	Devices *Devices `json:"devices,omitempty"`
}

// Problems lists what is missing or wrong, in words a technician can act on;
// none means the file is usable.
func (p *Provision) Problems() []string {
	var out []string
	for _, pr := range p.Check() {
		out = append(out, pr.EN)
	}
	return out
}

// Problem is one thing wrong with a provisioning file, in Bahasa Indonesia
// and English, for the setup screen. Field names the form field it is about.
type Problem struct {
	Field string `json:"field"`
	ID    string `json:"id"`
	EN    string `json:"en"`
}

// Check lists what is missing or wrong, in both languages.
func (p *Provision) Check() []Problem {
	var out []Problem
	add := func(field, id, en string) { out = append(out, Problem{Field: field, ID: id, EN: en}) }
	if !ValidCode(p.Store) {
		add("store", fmt.Sprintf("toko %q: pakai huruf, angka, - atau _ (mis. S001)", p.Store),
			fmt.Sprintf("store %q: use letters, digits, - or _ (e.g. S001)", p.Store))
	}
	if !ValidCode(p.Till) {
		add("till", fmt.Sprintf("kasir %q: pakai huruf, angka, - atau _ (mis. T01)", p.Till),
			fmt.Sprintf("till %q: use letters, digits, - or _ (e.g. T01)", p.Till))
	}
	if u, err := url.Parse(p.Broker); err != nil || u.Host == "" || !validScheme(u.Scheme) {
		add("broker", fmt.Sprintf("broker %q: isi tcp://host:1883 atau ssl://host:8883", p.Broker),
			fmt.Sprintf("broker %q: expected tcp://host:1883 or ssl://host:8883", p.Broker))
	}
	if p.Username == "" || p.Password == "" {
		add("username", "nama pengguna dan kata sandi broker belum diisi",
			"username and password for the broker are missing")
	}
	if strings.TrimSpace(p.CA) != "" {
		if err := checkCA(p.CA); err != nil {
			add("ca", "ca: bukan sertifikat PEM ("+err.Error()+")", "ca: "+err.Error())
		}
	}
	if _, err := p.PublicKey(); err != nil {
		add("hq_public_key", "hq_public_key: bukan kunci publik ed25519 base64", "hq_public_key: "+err.Error())
	}
	if strings.TrimSpace(p.TillKey) != "" {
		if _, err := p.SigningKey(); err != nil {
			add("till_key", "till_key: bukan kunci ed25519 base64 dari kasir-hq till add", "till_key: "+err.Error())
		}
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			add("time_zone", fmt.Sprintf("zona waktu %q: pakai Asia/Jakarta (WIB), Asia/Makassar (WITA) atau Asia/Jayapura (WIT)", p.TimeZone),
				fmt.Sprintf("time_zone %q: use Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)", p.TimeZone))
		}
	}
	if p.Devices != nil {
		for _, d := range p.Devices.Problems() {
			add("devices", "perangkat: "+d, d)
		}
	}
	return out
}

func validScheme(s string) bool {
	switch s {
	case "tcp", "ssl", "tls", "mqtt", "mqtts":
		return true
	}
	return false
}

// checkCA accepts PEM that holds at least one certificate and nothing
// that fails to parse.
func checkCA(pemText string) error {
	rest := []byte(pemText)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %v", n+1, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	return nil
}

// PublicKey decodes head office's public key.
func (p *Provision) PublicKey() (ed25519.PublicKey, error) { return DecodeKey(p.HQPublicKey) }

// ErrNoTillKey: a provisioning file made before tills signed their batches.
var ErrNoTillKey = errors.New("wire: no till_key in the provisioning file: register the till again (kasir-hq till add) and copy the new kasir.json")

// SigningKey decodes the till's own key. A file without one (made before
// batches were signed) gives ErrNoTillKey: the till sells, but head office
// would refuse its batches.
func (p *Provision) SigningKey() (ed25519.PrivateKey, error) {
	if strings.TrimSpace(p.TillKey) == "" {
		return nil, ErrNoTillKey
	}
	return DecodeSeed(p.TillKey)
}

// ReadProvision reads and checks a provisioning file. A file that parses
// but has problems comes back with the error, so that the setup screen can
// start from what it holds.
func ReadProvision(path string) (*Provision, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Provision
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
	}
	if probs := p.Problems(); len(probs) > 0 {
		return &p, fmt.Errorf("%s: %s", path, strings.Join(probs, "; "))
	}
	return &p, nil
}

// WriteProvision writes p to path durably: a temporary file in the same
// directory, fsync, rename over path, fsync the directory. A power cut
// leaves either the old file or the new one, never half of one.
func WriteProvision(path string, p *Provision) error {
	if probs := p.Problems(); len(probs) > 0 {
		return fmt.Errorf("provisioning: %s", strings.Join(probs, "; "))
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileDurably(path, append(b, '\n'))
}

// WriteFileDurably replaces path with b: write a temporary file beside it,
// fsync it, rename it over path, fsync the directory. The file is readable
// by its owner only (os.CreateTemp's 0600): it holds secrets, and FAT, where
// the boot partition's files live, keeps no modes to change.
func WriteFileDurably(path string, b []byte) error {
	return durable.WriteFile(path, b, 0o600)
}

// SetupPINFile is the setup PIN file's usual name: on the boot partition,
// where a technician reads it from a laptop, and beside kasir.json.
const SetupPINFile = "kasir-setup-pin.txt"

// NewSetupPIN makes a setup PIN: 8 random digits, which the setup screen's
// lockout keeps out of reach of guessing from the LAN.
func NewSetupPIN() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1e8))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%08d", n.Int64()), nil
}

// SetupPINText is the setup PIN file: the PIN on a line "PIN: 12345678",
// and what it is for in Bahasa Indonesia and English, with CRLF line ends
// for Notepad.
func SetupPINText(pin string) string {
	return strings.ReplaceAll(`Kasir: PIN setup / setup PIN

PIN: `+pin+`

ID: Ini PIN setup kasir ini. Masukkan di layar setup (layar sentuh kasir,
    atau http://ALAMAT-KASIR:8080/setup) untuk mengisi identitas toko dan
    kasir (kasir.json) atau membuat supervisor pertama. Simpan baik-baik dan
    jangan dibagikan. PIN ini dibuat sekali, saat kasir pertama kali menyala.
EN: This is this till's setup PIN. Enter it on the setup screen (the till's
    touchscreen, or http://TILL-ADDRESS:8080/setup) to fill in the store and
    till identity (kasir.json) or to create the first supervisor. Keep it
    private. It was made once, when the till first started.
`, "\n", "\r\n")
}

// ParseSetupPIN finds the PIN in a setup PIN file: the digits after
// "PIN:" (6 to 16 of them); "" when there are none.
func ParseSetupPIN(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "PIN:"); ok {
			v = strings.TrimSpace(v)
			if len(v) >= 6 && len(v) <= 16 && strings.Trim(v, "0123456789") == "" {
				return v
			}
		}
	}
	return ""
}
