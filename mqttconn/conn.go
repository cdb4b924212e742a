package mqttconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Message is one MQTT message, as published or received.
type Message struct {
	Topic    string
	QoS      byte
	Retained bool
	Payload  []byte
}

// Options say where and as whom to connect.
type Options struct {
	// Broker is tcp://host:port or mqtt://host:port for plain TCP, and
	// ssl://, tls:// or mqtts://host:port for TLS. The port defaults to 1883
	// and 8883.
	Broker   string
	ClientID string
	Username string
	Password string
	// TLS is used for the TLS schemes; nil verifies against the system roots.
	TLS *tls.Config
	// Will is the last will the broker publishes when the connection dies
	// without a DISCONNECT (the till's retained "offline" presence).
	Will *Message
	// KeepAlive defaults to 30s; ConnectTimeout, which bounds the TCP (and
	// TLS) dial and the MQTT handshake, to 10s.
	KeepAlive      time.Duration
	ConnectTimeout time.Duration
	// OnLost is called, on its own goroutine, when a connection that Dial
	// returned is lost (not after Close).
	OnLost func(error)
}

// ErrNotConnected is returned by Publish and Subscribe on a connection that
// is lost or closed.
var ErrNotConnected = errors.New("mqttconn: not connected")

// Conn is one MQTT 3.1.1 session with a clean start. It does not reconnect:
// once Done is closed, it is finished, and the caller dials a new one.
type Conn struct {
	client paho.Client
	done   chan struct{}
	once   sync.Once
	lostMu sync.Mutex
	lost   error
}

// Dial makes one connection attempt, bounded by ctx and o.ConnectTimeout.
func Dial(ctx context.Context, o Options) (*Conn, error) {
	u, err := url.Parse(o.Broker)
	if err != nil {
		return nil, fmt.Errorf("mqttconn: broker %q: %w", o.Broker, err)
	}
	addr, useTLS, err := address(u)
	if err != nil {
		return nil, err
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 30 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < o.ConnectTimeout {
		o.ConnectTimeout = max(time.Until(dl), time.Millisecond)
	}
	c := &Conn{done: make(chan struct{})}

	// The dial runs on paho's goroutine; raw lets a cancelled ctx close the
	// socket under the handshake, which paho would otherwise wait out.
	var rawMu sync.Mutex
	var raw net.Conn
	dialed := make(chan struct{})
	defer close(dialed)
	go func() {
		select {
		case <-ctx.Done():
			rawMu.Lock()
			if raw != nil {
				raw.Close()
			}
			rawMu.Unlock()
		case <-dialed:
		}
	}()
	open := func(*url.URL, paho.ClientOptions) (net.Conn, error) {
		d := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 15 * time.Second}
		var nc net.Conn
		var err error
		if useTLS {
			cfg := &tls.Config{}
			if o.TLS != nil {
				cfg = o.TLS.Clone()
			}
			if cfg.ServerName == "" {
				cfg.ServerName = u.Hostname()
			}
			nc, err = (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", addr)
		} else {
			nc, err = d.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return nil, err
		}
		rawMu.Lock()
		raw = nc
		rawMu.Unlock()
		if ctx.Err() != nil {
			nc.Close()
			return nil, ctx.Err()
		}
		return nc, nil
	}

	po := paho.NewClientOptions().
		AddBroker(o.Broker).
		SetClientID(o.ClientID).
		SetUsername(o.Username).
		SetPassword(o.Password).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(o.KeepAlive).
		SetPingTimeout(10 * time.Second).
		SetConnectTimeout(o.ConnectTimeout).
		SetWriteTimeout(10 * time.Second).
		SetCustomOpenConnectionFn(open).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.finish(err)
			if o.OnLost != nil {
				o.OnLost(err)
			}
		})
	if o.Will != nil {
		po.SetBinaryWill(o.Will.Topic, o.Will.Payload, o.Will.QoS, o.Will.Retained)
	}
	c.client = paho.NewClient(po)
	tok := c.client.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		// The socket is closed under the handshake, so the token completes
		// soon; should it have connected meanwhile, hang up.
		go func() {
			<-tok.Done()
			if tok.Error() == nil {
				c.Close()
			}
		}()
		return nil, fmt.Errorf("mqttconn: connect %s: %w", o.Broker, ctx.Err())
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("mqttconn: connect %s: %w", o.Broker, err)
	}
	return c, nil
}

func address(u *url.URL) (addr string, useTLS bool, err error) {
	port := "1883"
	switch u.Scheme {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts":
		port, useTLS = "8883", true
	default:
		return "", false, fmt.Errorf("mqttconn: broker %q: scheme must be tcp, mqtt, ssl, tls or mqtts", u.String())
	}
	if u.Hostname() == "" {
		return "", false, fmt.Errorf("mqttconn: broker %q: no host", u.String())
	}
	if u.Port() != "" {
		port = u.Port()
	}
	return net.JoinHostPort(u.Hostname(), port), useTLS, nil
}

func (c *Conn) finish(err error) {
	c.once.Do(func() {
		c.lostMu.Lock()
		c.lost = err
		c.lostMu.Unlock()
		close(c.done)
	})
}

// Done is closed when the connection is lost or closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err says why Done was closed: the loss, or nil after Close.
func (c *Conn) Err() error {
	c.lostMu.Lock()
	defer c.lostMu.Unlock()
	return c.lost
}

// Connected reports whether the connection is up now.
func (c *Conn) Connected() bool {
	select {
	case <-c.done:
		return false
	default:
	}
	return c.client.IsConnectionOpen()
}

// Publish sends a message and, for QoS 1 and 2, waits for the broker's
// acknowledgement or the end of ctx. A nil error means the broker answered;
// it is not proof that anyone will get the message (see the package doc).
func (c *Conn) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	if !c.Connected() {
		return ErrNotConnected
	}
	// paho's Publish itself can wait (up to the write timeout) for room in
	// its outbound queue, so even handing the message over honours ctx.
	toks := make(chan paho.Token, 1)
	go func() { toks <- c.client.Publish(topic, qos, retained, payload) }()
	var tok paho.Token
	select {
	case tok = <-toks:
	case <-ctx.Done():
		return fmt.Errorf("mqttconn: publish %s: %w", topic, ctx.Err())
	}
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return fmt.Errorf("mqttconn: publish %s: %w", topic, ctx.Err())
	case <-c.done:
		// paho completes the tokens of a lost connection, but do not count on it.
		return fmt.Errorf("mqttconn: publish %s: %w", topic, ErrNotConnected)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqttconn: publish %s: %w", topic, err)
	}
	return nil
}

// Subscribe subscribes to filter and waits for the broker's SUBACK. A
// filter the broker refuses (an ACL, SUBACK 0x80) is an error.
//
// h runs on paho's single router goroutine, in order: it must return
// quickly and must not call Publish or Subscribe, or every message and
// acknowledgement on the connection waits behind it. Hand the message to
// another goroutine.
func (c *Conn) Subscribe(ctx context.Context, filter string, qos byte, h func(Message)) error {
	if !c.Connected() {
		return ErrNotConnected
	}
	tok := c.client.Subscribe(filter, qos, func(_ paho.Client, m paho.Message) {
		h(Message{Topic: m.Topic(), QoS: m.Qos(), Retained: m.Retained(), Payload: m.Payload()})
	})
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return fmt.Errorf("mqttconn: subscribe %s: %w", filter, ctx.Err())
	case <-c.done:
		return fmt.Errorf("mqttconn: subscribe %s: %w", filter, ErrNotConnected)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqttconn: subscribe %s: %w", filter, err)
	}
	if st, ok := tok.(*paho.SubscribeToken); ok {
		for f, code := range st.Result() {
			if code >= 0x80 {
				return fmt.Errorf("mqttconn: subscribe %s: refused by the broker (0x%02x)", f, code)
			}
		}
	}
	return nil
}

// Close sends DISCONNECT (so the broker does not publish the last will)
// and ends the connection, waiting at most a quarter of a second.
func (c *Conn) Close() {
	c.finish(nil)
	c.client.Disconnect(250)
}
