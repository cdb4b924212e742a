package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/kasirpos/kasir/broker"
	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/mqttconn"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("serve", stderr)
	dbURL := dbFlag(fs)
	httpAddr := fs.String("http", ":8090", "address of the fleet page and API")
	mqttAddr := fs.String("mqtt", ":8883", "address of the embedded MQTT broker (TLS unless --plain-mqtt)")
	external := fs.String("broker", "", "use this broker (ssl://host:8883, or tcp://… with --plain-mqtt) instead of the embedded one")
	externalCA := fs.String("broker-ca", "", "PEM file of the CA that signed --broker's certificate (default: head office's own)")
	certFile := fs.String("tls-cert", "", "certificate (PEM) for the embedded broker instead of the one `keys init` made from head office's CA")
	keyFile := fs.String("tls-key", "", "private key (PEM) for --tls-cert")
	plain := fs.Bool("plain-mqtt", false, "serve MQTT without TLS: passwords and sales cross the network in clear (a closed test bench only)")
	var hosts hostList
	fs.Var(&hosts, "host", "a name or address tills reach the broker by, added to its certificate (repeatable)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *level)
	if _, err := ensureKeys(*data); err != nil {
		return err
	}
	sign, err := newSigner(*data)
	if err != nil {
		return err
	}
	login, err := ensureHQLogin(*data)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, *data, *dbURL, log)
	if err != nil {
		return err
	}
	defer db.Close()

	brokerURL := *external
	if brokerURL == "" {
		users, err := broker.LoadUsers(filepath.Join(*data, usersFile))
		if err != nil {
			return err
		}
		b, err := broker.New(users, log)
		if err != nil {
			return err
		}
		var tlsCfg *tls.Config
		switch {
		case *plain:
			log.Warn("MQTT without TLS (--plain-mqtt): passwords and sales cross the network in clear")
		case *certFile != "" || *keyFile != "":
			cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
			if err != nil {
				return fmt.Errorf("broker TLS: %w", err)
			}
			tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		default:
			if _, err := ensureBrokerCert(*data, hosts); err != nil {
				return fmt.Errorf("broker certificate: %w", err)
			}
			cert, err := tls.LoadX509KeyPair(filepath.Join(*data, brokerCertFile), filepath.Join(*data, brokerKeyFile))
			if err != nil {
				return fmt.Errorf("broker TLS: %w", err)
			}
			tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		addr, err := b.Listen(*mqttAddr, tlsCfg)
		if err != nil {
			return fmt.Errorf("broker: %w", err)
		}
		own := addr
		if tlsCfg != nil {
			// Head office's own client stays on the machine: a plain
			// listener on loopback only.
			if own, err = b.Listen("127.0.0.1:0", nil); err != nil {
				return fmt.Errorf("broker: %w", err)
			}
		}
		if err := b.Start(); err != nil {
			return err
		}
		defer b.Close()
		brokerURL = "tcp://" + loopback(own)
		scheme := "tcp"
		if tlsCfg != nil {
			scheme = "ssl"
		}
		fmt.Fprintf(stdout, "kasir-hq: broker on %s (%s)\n", addr, scheme)
	}

	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: db.Handler(log), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintf(stdout, "kasir-hq: serving on http://%s\n", ln.Addr())

	var clientTLS *tls.Config
	if *external != "" {
		if clientTLS, err = tlsFor(*external, *data, *externalCA); err != nil {
			return err
		}
	}
	// serve's own worker takes its share of the shared subscription, so
	// extra `kasir-hq ingest` workers split the load instead of doubling it.
	work(ctx, db, dialer{url: brokerURL, tls: clientTLS, login: login}, sign.Key, true, true, *data, log)
	return nil
}

// ingest runs one more worker on the shared subscription: it and serve's
// own worker split the fleet's sales between them.
func ingest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("ingest", stderr)
	dbURL := dbFlag(fs)
	bf := brokerFlags(fs)
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *level)
	login, err := ensureHQLogin(*data)
	if err != nil {
		return err
	}
	sign, err := newSigner(*data)
	if err != nil {
		return err
	}
	cfg, err := tlsFor(*bf.url, *data, *bf.ca)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, *data, *dbURL, log)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "kasir-hq: ingest worker started")
	work(ctx, db, dialer{url: *bf.url, tls: cfg, login: login}, sign.Key, true, false, *data, log)
	return nil
}

// dialer is how head office's workers reach the broker.
type dialer struct {
	url   string
	tls   *tls.Config
	login hqLogin
}

// work keeps an ingest worker connected until ctx ends, redialling with a
// capped, jittered backoff. key signs the acks.
func work(ctx context.Context, db headoffice.Store, d dialer, key func() ed25519.PrivateKey, shared, presence bool, data string, log *slog.Logger) {
	backoff := time.Second
	url := d.url
	for ctx.Err() == nil {
		conn, err := mqttconn.Dial(ctx, mqttconn.Options{
			Broker: url, ClientID: "kasir-hq-" + randomID(), Username: d.login.Username, Password: d.login.Password, TLS: d.tls,
		})
		if err != nil {
			log.Warn("broker unreachable", "broker", url, "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(jitter(backoff)):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		log.Info("connected to broker", "broker", url, "shared", shared)
		if presence {
			republish(ctx, conn, data, log)
		}
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-conn.Done():
			case <-wctx.Done():
			}
			cancel()
		}()
		w := headoffice.NewWorker(db, adapter{conn}, headoffice.WorkerOptions{Shared: shared, Presence: presence, Key: key}, log)
		if err := w.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("ingest worker stopped", "err", err)
		}
		cancel()
		conn.Close()
	}
}

// adapter gives the worker the broker connection in its own terms.
type adapter struct{ c *mqttconn.Conn }

func (a adapter) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	return a.c.Publish(ctx, topic, qos, retained, payload)
}

func (a adapter) Subscribe(ctx context.Context, filter string, qos byte, h func(headoffice.Message)) error {
	return a.c.Subscribe(ctx, filter, qos, func(m mqttconn.Message) {
		h(headoffice.Message{Topic: m.Topic, QoS: m.QoS, Retained: m.Retained, Payload: m.Payload})
	})
}

func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func jitter(d time.Duration) time.Duration {
	b := make([]byte, 1)
	rand.Read(b)
	return d/2 + time.Duration(int64(d)/2*int64(b[0])/255)
}

// loopback turns a listening address such as [::]:1883 into one head
// office's own client can dial.
func loopback(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return net.JoinHostPort("127.0.0.1", port)
}
