package mqttconn_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/mqtttest"
)

func broker(t *testing.T) (*mqtttest.Broker, func(ctx context.Context, id string, will *mqttconn.Message) (*mqttconn.Conn, error)) {
	t.Helper()
	b := mqtttest.Start(t, mqtttest.AddUser("u", "p"), mqtttest.ACL("user u\ntopic readwrite #\n"))
	dial := func(ctx context.Context, id string, will *mqttconn.Message) (*mqttconn.Conn, error) {
		return mqttconn.Dial(ctx, mqttconn.Options{Broker: b.URL(), ClientID: id, Username: "u", Password: "p", Will: will})
	}
	return b, dial
}

func TestPublishSubscribe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, dial := broker(t)
	pub, err := dial(ctx, "pub", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(ctx, "a/retained", 1, true, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	sub, err := dial(ctx, "sub", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := make(chan mqttconn.Message, 10)
	if err := sub.Subscribe(ctx, "a/#", 1, func(m mqttconn.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "a/live", 1, false, []byte("now")); err != nil {
		t.Fatal(err)
	}
	want := []mqttconn.Message{
		{Topic: "a/retained", QoS: 1, Retained: true, Payload: []byte("kept")},
		{Topic: "a/live", QoS: 1, Retained: false, Payload: []byte("now")},
	}
	for _, w := range want {
		select {
		case m := <-got:
			if m.Topic != w.Topic || m.Retained != w.Retained || string(m.Payload) != string(w.Payload) || m.QoS != w.QoS {
				t.Errorf("got %+v, want %+v", m, w)
			}
		case <-ctx.Done():
			t.Fatalf("no message %s", w.Topic)
		}
	}
	if !pub.Connected() {
		t.Error("Connected = false on a live connection")
	}
	pub.Close()
	if pub.Connected() {
		t.Error("Connected = true after Close")
	}
	if err := pub.Publish(ctx, "a/x", 1, false, nil); !errors.Is(err, mqttconn.ErrNotConnected) {
		t.Errorf("Publish after Close = %v", err)
	}
}

func TestWrongPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, _ := broker(t)
	_, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: b.URL(), ClientID: "x", Username: "u", Password: "wrong"})
	if err == nil {
		t.Fatal("Dial with a wrong password succeeded")
	}
	t.Log(err)
}

// A broker that vanishes: Done closes, OnLost runs, Publish fails at once.
func TestLost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, _ := broker(t)
	lost := make(chan error, 1)
	c, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: b.URL(), ClientID: "x", Username: "u", Password: "p",
		OnLost: func(err error) { lost <- err }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b.Kill()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("Done not closed after the broker died")
	}
	select {
	case err := <-lost:
		if err == nil {
			t.Error("OnLost(nil)")
		}
	case <-ctx.Done():
		t.Fatal("OnLost not called")
	}
	if c.Connected() || c.Err() == nil {
		t.Errorf("Connected = %v, Err = %v after loss", c.Connected(), c.Err())
	}
	if err := c.Publish(ctx, "a", 1, false, nil); err == nil {
		t.Error("Publish on a lost connection succeeded")
	}
}

// The last will is published when the connection dies without DISCONNECT,
// and not after Close.
func TestWill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, dial := broker(t)
	p := mqtttest.NewProxy(t, b.Addr())
	will := &mqttconn.Message{Topic: "will", QoS: 1, Retained: true, Payload: []byte("gone")}
	obs, err := dial(ctx, "obs", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	got := make(chan string, 10)
	if err := obs.Subscribe(ctx, "will", 1, func(m mqttconn.Message) { got <- string(m.Payload) }); err != nil {
		t.Fatal(err)
	}

	clean, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: p.URL(), ClientID: "clean", Username: "u", Password: "p", Will: will})
	if err != nil {
		t.Fatal(err)
	}
	clean.Close()
	cut, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: p.URL(), ClientID: "cut", Username: "u", Password: "p",
		Will: &mqttconn.Message{Topic: "will", QoS: 1, Retained: true, Payload: []byte("cut")}})
	if err != nil {
		t.Fatal(err)
	}
	defer cut.Close()
	p.Cut()
	select {
	case s := <-got:
		// Messages on one topic arrive in order, so a will from the clean
		// close would come first.
		if s != "cut" {
			t.Errorf("will = %q, want only the cut connection's", s)
		}
	case <-ctx.Done():
		t.Fatal("no will after the connection was cut")
	}
}

// A listener that accepts and never answers: Dial gives up when ctx ends.
func TestDialSilentBroker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{})
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		close(accepted)
		io.Copy(io.Discard, c)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: "tcp://" + l.Addr().String(), ClientID: "x", ConnectTimeout: time.Hour})
		errc <- err
	}()
	<-accepted
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Dial = %v, want context.Canceled", err)
	}
}

func TestBadBroker(t *testing.T) {
	for _, u := range []string{"http://x:1", "tcp://", "::"} {
		if _, err := mqttconn.Dial(context.Background(), mqttconn.Options{Broker: u}); err == nil {
			t.Errorf("Dial(%q) succeeded", u)
		}
	}
}
