package wire

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
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
	TimeZone    string `json:"time_zone,omitempty"`
	// Devices are the till's peripherals; nil: the virtual printer and
	// drawer.
	Devices *Devices `json:"devices,omitempty"`
}

// Problems lists what is missing or wrong, in words a technician can act on;
// none means the file is usable.
func (p *Provision) Problems() []string {
	var out []string
	if !ValidCode(p.Store) {
		out = append(out, fmt.Sprintf("store %q: use letters, digits, - or _ (e.g. S001)", p.Store))
	}
	if !ValidCode(p.Till) {
		out = append(out, fmt.Sprintf("till %q: use letters, digits, - or _ (e.g. T01)", p.Till))
	}
	if u, err := url.Parse(p.Broker); err != nil || u.Host == "" || !strings.Contains("tcp ssl tls mqtt mqtts", u.Scheme) {
		out = append(out, fmt.Sprintf("broker %q: expected tcp://host:1883 or ssl://host:8883", p.Broker))
	}
	if p.Username == "" || p.Password == "" {
		out = append(out, "username and password for the broker are missing")
	}
	if _, err := p.PublicKey(); err != nil {
		out = append(out, "hq_public_key: "+err.Error())
	}
	if p.Devices != nil {
		out = append(out, p.Devices.Problems()...)
	}
	return out
}

// PublicKey decodes head office's public key.
func (p *Provision) PublicKey() (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(p.HQPublicKey))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("not a base64 ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}

// ReadProvision reads and checks a provisioning file.
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
