package broker

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is the embedded MQTT broker.
type Broker struct {
	srv   *mqtt.Server
	users *Users
	log   *slog.Logger
	n     int
}

// New makes a broker that authenticates against users.
func New(users *Users, log *slog.Logger) (*Broker, error) {
	caps := mqtt.NewDefaultServerCapabilities()
	// Acks, configs and presence are retained and must not expire: a till
	// that was offline for a week still gets them. Zero turns off mochi's
	// default of forgetting retained messages after a day.
	caps.MaximumMessageExpiryInterval = 0
	srv := mqtt.New(&mqtt.Options{
		InlineClient: true,
		Capabilities: caps,
		Logger:       log.With("component", "broker"),
	})
	b := &Broker{srv: srv, users: users, log: log.With("component", "broker")}
	if err := srv.AddHook(&auth{users: users, log: b.log}, nil); err != nil {
		return nil, err
	}
	return b, nil
}

// Listen serves MQTT on addr (":1883"; "127.0.0.1:0" picks a port), with TLS
// when cfg is set. It returns the address it listens on.
func (b *Broker) Listen(addr string, cfg *tls.Config) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	b.n++
	if err := b.srv.AddListener(listeners.NewNet("l"+string(rune('0'+b.n)), ln)); err != nil {
		ln.Close()
		return nil, err
	}
	return ln.Addr(), nil
}

// Start begins serving on the listeners added so far.
func (b *Broker) Start() error { return b.srv.Serve() }

// Close stops the broker and disconnects every client.
func (b *Broker) Close() error { return b.srv.Close() }

// auth checks passwords on connect and topics on publish and subscribe.
type auth struct {
	mqtt.HookBase
	users *Users
	log   *slog.Logger
}

func (a *auth) ID() string { return "kasir-auth" }

func (a *auth) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, []byte{b})
}

func (a *auth) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	_, ok := a.users.Check(string(pk.Connect.Username), string(pk.Connect.Password))
	if !ok {
		a.log.Warn("refused login", "username", string(pk.Connect.Username), "remote", cl.Net.Remote)
	}
	return ok
}

func (a *auth) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true
	}
	u, ok := a.users.lookup(string(cl.Properties.Username))
	allowed := ok && Allowed(u, topic, write)
	if !allowed {
		a.log.Warn("refused topic", "username", u.Username, "topic", topic, "write", write)
	}
	return allowed
}
