package broker

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kasirpos/kasir/mqttconn"
)

func startBroker(t *testing.T) (url string, users *Users) {
	t.Helper()
	users, err := LoadUsers(filepath.Join(t.TempDir(), "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	add := func(u User, pw string) {
		h, err := HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		u.Hash = h
		if err := users.Put(u); err != nil {
			t.Fatal(err)
		}
	}
	add(User{Username: "hq", Role: RoleHQ}, "hq-secret")
	add(User{Username: "S001-T01", Role: RoleTill, Store: "S001", Till: "T01"}, "t1-secret")
	b, err := New(users, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := b.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return "tcp://" + addr.String(), users
}

func dial(t *testing.T, url, user, pw string) (*mqttconn.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: url, ClientID: user + "-" + t.Name(), Username: user, Password: pw})
	if err == nil {
		t.Cleanup(c.Close)
	}
	return c, err
}

func TestTillSeesOnlyItsOwnTopics(t *testing.T) {
	url, users := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := dial(t, url, "S001-T01", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	hq, err := dial(t, url, "hq", "hq-secret")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan mqttconn.Message, 10)
	if err := hq.Subscribe(ctx, "pos/up/#", 1, func(m mqttconn.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}
	till, err := dial(t, url, "S001-T01", "t1-secret")
	if err != nil {
		t.Fatal(err)
	}
	// Another till's topic: MQTT 3.1.1 has no refusal code for a publish,
	// so the broker drops the message and the connection; only the own
	// message, sent on a new connection, arrives.
	till.Publish(ctx, "pos/up/S001/T02/sales", 1, false, []byte("forged"))
	till, err = dial(t, url, "S001-T01", "t1-secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := till.Publish(ctx, "pos/up/S001/T01/sales", 1, false, []byte("own")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Topic != "pos/up/S001/T01/sales" || string(m.Payload) != "own" {
			t.Fatalf("head office got %s %q", m.Topic, m.Payload)
		}
	case <-ctx.Done():
		t.Fatal("own sales never arrived")
	}
	if err := till.Subscribe(ctx, "pos/down/S002/catalog", 1, func(mqttconn.Message) {}); err == nil {
		t.Error("till subscribed to another store's catalog")
	}
	if err := till.Subscribe(ctx, "pos/down/S001/catalog", 1, func(mqttconn.Message) {}); err != nil {
		t.Errorf("own store's catalog: %v", err)
	}

	// A till registered while the broker runs can log in at once.
	h, _ := HashPassword("t2-secret")
	if err := users.Put(User{Username: "S001-T02", Hash: h, Role: RoleTill, Store: "S001", Till: "T02"}); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, url, "S001-T02", "t2-secret"); err != nil {
		t.Fatalf("new till: %v", err)
	}
}

func TestAllowed(t *testing.T) {
	till := User{Role: RoleTill, Store: "S001", Till: "T01"}
	tests := []struct {
		u     User
		topic string
		write bool
		want  bool
	}{
		{till, "pos/up/S001/T01/sales", true, true},
		{till, "pos/up/S001/T01/status", true, true},
		{till, "pos/up/S001/T02/sales", true, false},
		{till, "pos/up/S001/T01/sales", false, false},
		{till, "pos/down/S001/T01/ack", false, true},
		{till, "pos/down/S001/T02/ack", false, false},
		{till, "pos/down/S001/catalog", false, true},
		{till, "pos/down/S002/catalog", false, false},
		{till, "pos/down/all/config", false, true},
		{till, "pos/down/S001/catalog", true, false},
		{till, "pos/#", false, false},
		{till, "pos/down/S001/+/ack", false, false},
		{User{Role: RoleHQ}, "$share/kasir/pos/up/+/+/sales", false, true},
		{User{Role: RoleHQ}, "pos/down/S001/T01/ack", true, true},
		{User{Role: "nobody"}, "pos/up/S001/T01/sales", true, false},
	}
	for _, tt := range tests {
		if got := Allowed(tt.u, tt.topic, tt.write); got != tt.want {
			t.Errorf("%s %s write=%v: %v, want %v", tt.u.Role, tt.topic, tt.write, got, tt.want)
		}
	}
}
