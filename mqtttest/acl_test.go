package mqtttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/mqtttest"
)

// fleet is a broker with two tills of S001, one of S002, head office and
// an ingest-only user, each with the ACL Kasir gives it.
func fleet(t *testing.T) *mqtttest.Broker {
	return mqtttest.Start(t,
		mqtttest.AddUser("t1", "pw1"), mqtttest.ACL(mqtttest.TillACL("S001", "T01", "t1")),
		mqtttest.AddUser("t2", "pw2"), mqtttest.ACL(mqtttest.TillACL("S001", "T02", "t2")),
		mqtttest.AddUser("t3", "pw3"), mqtttest.ACL(mqtttest.TillACL("S002", "T01", "t3")),
		mqtttest.AddUser("hq", "hqpw"), mqtttest.ACL(mqtttest.HeadOfficeACL("hq")),
		mqtttest.AddUser("ingest", "inpw"), mqtttest.ACL("user ingest\ntopic read pos/up/+/+/sales\n"),
	)
}

func dial(ctx context.Context, t *testing.T, b *mqtttest.Broker, id, user, pass string) *mqttconn.Conn {
	t.Helper()
	c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: b.URL(), ClientID: id, Username: user, Password: pass})
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(c.Close)
	return c
}

func collect(ctx context.Context, t *testing.T, c *mqttconn.Conn, filter string) <-chan mqttconn.Message {
	t.Helper()
	ch := make(chan mqttconn.Message, 100)
	if err := c.Subscribe(ctx, filter, 1, func(m mqttconn.Message) { ch <- m }); err != nil {
		t.Fatalf("subscribe %s: %v", filter, err)
	}
	return ch
}

func next(ctx context.Context, t *testing.T, ch <-chan mqttconn.Message) mqttconn.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-ctx.Done():
		t.Fatal("no message")
		return mqttconn.Message{}
	}
}

// A till publishes only under its own topics. Messages from one connection
// arrive in order, so once the allowed message that followed the forbidden
// one has arrived, the forbidden one never will.
func TestTillWritesOnlyItsOwnTopics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := fleet(t)
	hq := dial(ctx, t, b, "hq", "hq", "hqpw")
	got := collect(ctx, t, hq, "pos/#")
	till := dial(ctx, t, b, "till", "t1", "pw1")
	for _, topic := range []string{"pos/up/S001/T02/sales", "pos/up/S002/T01/sales", "pos/down/S001/T01/ack", "pos/down/S001/catalog", "other"} {
		// Mosquitto acknowledges a forbidden QoS 1 publish and drops it.
		if err := till.Publish(ctx, topic, 1, false, []byte("forbidden")); err != nil {
			t.Logf("publish %s: %v", topic, err)
		}
	}
	if err := till.Publish(ctx, "pos/up/S001/T01/sales", 1, false, []byte("allowed")); err != nil {
		t.Fatal(err)
	}
	if m := next(ctx, t, got); m.Topic != "pos/up/S001/T01/sales" || string(m.Payload) != "allowed" {
		t.Errorf("head office got %s %q first, want only the till's own topic", m.Topic, m.Payload)
	}
}

// A till reads only its own acks and its own store's catalog and config.
func TestTillReadsOnlyItsOwnStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := fleet(t)
	hq := dial(ctx, t, b, "hq", "hq", "hqpw")
	for _, topic := range []string{"pos/down/S002/catalog", "pos/down/S001/T02/ack", "pos/down/S001/catalog", "pos/down/S001/T01/ack", "pos/down/all/config"} {
		if err := hq.Publish(ctx, topic, 1, true, []byte(topic)); err != nil {
			t.Fatal(err)
		}
	}
	till := dial(ctx, t, b, "till", "t1", "pw1")
	got := make(chan mqttconn.Message, 100)
	h := func(m mqttconn.Message) { got <- m }
	// Mosquitto may refuse the subscription or accept it and deliver
	// nothing; either is fine, a message is not.
	for _, f := range []string{"pos/down/S002/catalog", "pos/down/S001/T02/ack", "pos/down/#"} {
		if err := till.Subscribe(ctx, f, 1, h); err != nil {
			t.Logf("subscribe %s: %v", f, err)
		}
	}
	if err := till.Subscribe(ctx, "pos/down/all/config", 1, h); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for !seen["pos/down/all/config"] {
		m := next(ctx, t, got)
		seen[m.Topic] = true
	}
	for topic := range seen {
		switch topic {
		case "pos/down/S001/catalog", "pos/down/S001/T01/ack", "pos/down/all/config":
		default:
			t.Errorf("till read %s", topic)
		}
	}
}

func TestWrongCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := fleet(t)
	for _, o := range []mqttconn.Options{
		{Username: "t1", Password: "pw2"},
		{Username: "nobody", Password: "x"},
		{}, // anonymous
	} {
		o.Broker, o.ClientID = b.URL(), "x"
		if c, err := mqttconn.Dial(ctx, o); err == nil {
			c.Close()
			t.Errorf("user %q with password %q connected", o.Username, o.Password)
		}
	}
}

// Head office's workers share the load through $share/kasir/...; in
// Mosquitto 2 the ACL is checked against the filter without the prefix, so
// "topic read pos/up/+/+/sales" is enough for an ingest-only user.
func TestSharedSubscription(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := fleet(t)
	hq := dial(ctx, t, b, "hq", "hq", "hqpw")
	ingest := dial(ctx, t, b, "ingest", "ingest", "inpw")
	a := collect(ctx, t, hq, "$share/kasir/pos/up/+/+/sales")
	c := collect(ctx, t, ingest, "$share/kasir/pos/up/+/+/sales")
	till := dial(ctx, t, b, "till", "t1", "pw1")
	const n = 20
	for range n {
		if err := till.Publish(ctx, "pos/up/S001/T01/sales", 1, false, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	var fromA, fromC int
	for fromA+fromC < n {
		select {
		case <-a:
			fromA++
		case <-c:
			fromC++
		case <-ctx.Done():
			t.Fatalf("got %d+%d of %d messages", fromA, fromC, n)
		}
	}
	if fromA == 0 || fromC == 0 {
		t.Errorf("one worker got everything: %d and %d", fromA, fromC)
	}
}

func TestRestartKeepsPort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := fleet(t)
	url := b.URL()
	c := dial(ctx, t, b, "hq", "hq", "hqpw")
	b.Restart()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("connection survived a restart")
	}
	if b.URL() != url {
		t.Errorf("URL changed from %s to %s", url, b.URL())
	}
	dial(ctx, t, b, "hq2", "hq", "hqpw")
}
