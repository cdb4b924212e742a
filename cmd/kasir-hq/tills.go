package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/kasirpos/kasir/broker"
	"github.com/kasirpos/kasir/wire"
)

const (
	usersFile = "users.json"   // the embedded broker's logins
	hqCreds   = "hq-mqtt.json" // head office's own login to the broker
)

func tillAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("till add", stderr)
	dbURL := dbFlag(fs)
	store := fs.String("store", "", "store code, e.g. S001")
	till := fs.String("till", "", "till code, e.g. T01")
	brokerURL := fs.String("broker", defaultBroker, "broker URL as the till reaches it (ssl://host:8883)")
	caFile := fs.String("ca", "", "PEM file of the CA that signed the broker's certificate (default: head office's own CA, made by keys init)")
	plain := fs.Bool("plain-mqtt", false, "allow a tcp:// broker: the till's password and sales then cross the network in clear")
	tz := fs.String("tz", "Asia/Jakarta", "the store's time zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)")
	out := fs.String("out", "", "where to write the provisioning file (default DATA/tills/STORE.TILL/kasir.json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !wire.ValidCode(*store) || !wire.ValidCode(*till) {
		return fmt.Errorf("store %q and till %q must be letters, digits, - or _", *store, *till)
	}
	u, err := url.Parse(*brokerURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--broker %q: want ssl://host:8883", *brokerURL)
	}
	tlsBroker := u.Scheme == "ssl" || u.Scheme == "tls" || u.Scheme == "mqtts"
	if !tlsBroker && !*plain {
		return fmt.Errorf("--broker %q is plain MQTT: the till's password and sales would cross the network in clear; use ssl://, or say --plain-mqtt", *brokerURL)
	}
	pub, err := ensureKeys(*data)
	if err != nil {
		return err
	}
	p := wire.Provision{
		Store: *store, Till: *till, Broker: *brokerURL, Username: tillUsername(*store, *till), Password: broker.NewPassword(),
		HQPublicKey: base64.StdEncoding.EncodeToString(pub), TimeZone: *tz,
	}
	if tlsBroker {
		if *caFile != "" {
			ca, err := os.ReadFile(*caFile)
			if err != nil {
				return err
			}
			p.CA = string(ca)
		} else {
			if _, _, err := ensureCA(*data); err != nil {
				return err
			}
			_, ca, err := caPool(*data)
			if err != nil {
				return err
			}
			p.CA = string(ca)
		}
	}
	tillPub, tillKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	p.TillKey = wire.EncodeSeed(tillKey)
	if probs := p.Problems(); len(probs) > 0 {
		return fmt.Errorf("provisioning: %v", probs)
	}
	hash, err := broker.HashPassword(p.Password)
	if err != nil {
		return err
	}
	users, err := broker.LoadUsers(filepath.Join(*data, usersFile))
	if err != nil {
		return err
	}
	// The provisioning file is written last: a till whose file exists can
	// log in and has its key known.
	db, err := openStore(ctx, *data, *dbURL, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PutTillKey(ctx, *store, *till, tillPub); err != nil {
		return err
	}
	if err := users.Put(broker.User{Username: p.Username, Hash: hash, Role: broker.RoleTill, Store: *store, Till: *till}); err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(*data, "tills", p.Username, "kasir.json")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	if err := writeSecret(path, append(b, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "till %s/%s registered; provisioning file: %s\n", *store, *till, path)
	fmt.Fprintf(stdout, "It holds the till's broker password and signing key: copy it to the till's card, then delete it here.\n")
	fmt.Fprintf(stdout, "\nFor an external Mosquitto instead of the embedded broker:\n  mosquitto_passwd -b /etc/mosquitto/passwd %s '%s'\n\nACL lines:\n%s", p.Username, p.Password, broker.ACLFor(p.Username, *store, *till))
	return nil
}

// tillUsername is a till's broker login.
func tillUsername(store, till string) string { return store + "." + till }

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
