package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kasirpos/kasir/broker"
	"github.com/kasirpos/kasir/wire"
)

const (
	usersFile = "users.json"   // the embedded broker's logins
	hqCreds   = "hq-mqtt.json" // head office's own login to the broker
)

func tillAdd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("till add", stderr)
	store := fs.String("store", "", "store code, e.g. S001")
	till := fs.String("till", "", "till code, e.g. T01")
	brokerURL := fs.String("broker", "tcp://127.0.0.1:1883", "broker URL as the till reaches it")
	caFile := fs.String("ca", "", "PEM file of the CA that signed the broker's certificate (for ssl://)")
	tz := fs.String("tz", "Asia/Jakarta", "the store's time zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)")
	out := fs.String("out", "", "where to write the provisioning file (default DATA/tills/STORE-TILL/kasir.json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !wire.ValidCode(*store) || !wire.ValidCode(*till) {
		return fmt.Errorf("store %q and till %q must be letters, digits, - or _", *store, *till)
	}
	pub, err := ensureKeys(*data)
	if err != nil {
		return err
	}
	users, err := broker.LoadUsers(filepath.Join(*data, usersFile))
	if err != nil {
		return err
	}
	username := *store + "-" + *till
	password := broker.NewPassword()
	hash, err := broker.HashPassword(password)
	if err != nil {
		return err
	}
	if err := users.Put(broker.User{Username: username, Hash: hash, Role: broker.RoleTill, Store: *store, Till: *till}); err != nil {
		return err
	}
	p := wire.Provision{
		Store: *store, Till: *till, Broker: *brokerURL, Username: username, Password: password,
		HQPublicKey: base64.StdEncoding.EncodeToString(pub), TimeZone: *tz,
	}
	if *caFile != "" {
		ca, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		p.CA = string(ca)
	}
	if probs := p.Problems(); len(probs) > 0 {
		return fmt.Errorf("provisioning: %v", probs)
	}
	path := *out
	if path == "" {
		path = filepath.Join(*data, "tills", username, "kasir.json")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	if err := writeSecret(path, append(b, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "till %s/%s registered; provisioning file: %s\n", *store, *till, path)
	fmt.Fprintf(stdout, "\nFor an external Mosquitto instead of the embedded broker:\n  mosquitto_passwd -b /etc/mosquitto/passwd %s '%s'\n\nACL lines:\n%s", username, password, broker.ACLFor(username, *store, *till))
	return nil
}

// hqLogin is head office's own login to its broker, made once.
type hqLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func ensureHQLogin(dir string) (hqLogin, error) {
	path := filepath.Join(dir, hqCreds)
	var l hqLogin
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &l); err != nil {
			return l, fmt.Errorf("%s: %w", path, err)
		}
		return l, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return l, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return l, err
	}
	l = hqLogin{Username: "hq", Password: broker.NewPassword()}
	users, err := broker.LoadUsers(filepath.Join(dir, usersFile))
	if err != nil {
		return l, err
	}
	hash, err := broker.HashPassword(l.Password)
	if err != nil {
		return l, err
	}
	if err := users.Put(broker.User{Username: l.Username, Hash: hash, Role: broker.RoleHQ}); err != nil {
		return l, err
	}
	b, _ = json.Marshal(l)
	return l, writeSecret(path, b)
}
