package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasirpos/kasir/broker"
	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/wire"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestKeysAndTillAdd(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, "keys", "init", "--data", data)
	if err != nil || !strings.Contains(out, "public key") {
		t.Fatalf("keys init: %v %s", err, out)
	}
	again, _ := runCmd(t, "keys", "init", "--data", data)
	if again != out {
		t.Errorf("a second keys init changed the key: %q then %q", out, again)
	}
	if fi, err := os.Stat(filepath.Join(data, privateKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key file: %v %v", fi, err)
	}

	for _, f := range []string{caCertFile, brokerCertFile} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("keys init made no %s: %v", f, err)
		}
	}
	for _, f := range []string{caKeyFile, brokerKeyFile} {
		if fi, err := os.Stat(filepath.Join(data, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}

	// Plain MQTT only when asked for.
	if out, err := runCmd(t, "till", "add", "--data", data, "--store", "S001", "--till", "T09", "--broker", "tcp://hq.lan:1883", "--out", filepath.Join(t.TempDir(), "k.json")); err == nil || !strings.Contains(err.Error(), "plain-mqtt") {
		t.Errorf("a tcp:// broker without --plain-mqtt: %v %s", err, out)
	}
	prov := filepath.Join(t.TempDir(), "kasir.json")
	out, err = runCmd(t, "till", "add", "--data", data, "--store", "S001", "--till", "T01", "--broker", "ssl://hq.lan:8883", "--out", prov)
	if err != nil {
		t.Fatalf("till add: %v %s", err, out)
	}
	for _, want := range []string{"mosquitto_passwd", "topic write pos/up/S001/T01/#", "topic read pos/down/S001/catalog"} {
		if !strings.Contains(out, want) {
			t.Errorf("till add output lacks %q:\n%s", want, out)
		}
	}
	p, err := wire.ReadProvision(prov)
	if err != nil {
		t.Fatalf("provisioning file: %v", err)
	}
	users, _ := broker.LoadUsers(filepath.Join(data, usersFile))
	if u, ok := users.Check(p.Username, p.Password); !ok || u.Store != "S001" || u.Till != "T01" || u.Role != broker.RoleTill {
		t.Errorf("broker user for the till: %+v %v", u, ok)
	}
	// The CA that signed the broker's certificate, so the till can check it.
	ca, _ := os.ReadFile(filepath.Join(data, caCertFile))
	if p.CA != string(ca) || !strings.HasPrefix(p.Broker, "ssl://") {
		t.Errorf("provisioning broker %q with CA %d bytes, want head office's CA", p.Broker, len(p.CA))
	}
	// The till's own signing key, whose public half head office keeps.
	key, err := p.SigningKey()
	if err != nil {
		t.Fatalf("till key: %v", err)
	}
	db, err := headoffice.Open(context.Background(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if pub, err := db.TillKey(context.Background(), "S001", "T01"); err != nil || !pub.Equal(key.Public()) {
		t.Errorf("head office has key %v (%v), want the till's", pub, err)
	}
	if _, err := runCmd(t, "till", "add", "--data", data, "--store", "S/1", "--till", "T01"); err == nil {
		t.Error("a store code with a slash was accepted")
	}
}

func TestConfigPublishRefusesBadFiles(t *testing.T) {
	data := t.TempDir()
	runCmd(t, "keys", "init", "--data", data)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"typo.json":    `{"store_nam":"Toko"}`,
		"bad-tz.json":  `{"time_zone":"Mars/Olympus"}`,
		"not-json.txt": `store_name=Toko`,
	} {
		f := filepath.Join(dir, name)
		os.WriteFile(f, []byte(body), 0o644)
		if _, err := runCmd(t, "config", "publish", "--data", data, "--store", "S001", "--broker", "ssl://127.0.0.1:1", f); err == nil {
			t.Errorf("%s was published", name)
		}
	}
}

func TestFleetOnAnEmptyHeadOffice(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, "fleet", "--data", data, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 0 {
		t.Fatalf("fleet --json on an empty head office: %q", out)
	}
	if _, err := runCmd(t, "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
}
