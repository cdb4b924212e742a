package main

import (
	"context"
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
	mqttAddr := fs.String("mqtt", ":1883", "address of the embedded MQTT broker")
	external := fs.String("broker", "", "use this broker (tcp://host:1883, ssl://…) instead of the embedded one")
	certFile := fs.String("tls-cert", "", "certificate (PEM) for the embedded broker: tills then connect with ssl:// and verify it against the CA in their provisioning")
	keyFile := fs.String("tls-key", "", "private key (PEM) for --tls-cert")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *level)
	if _, err := ensureKeys(*data); err != nil {
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
		if *certFile != "" || *keyFile != "" {
			cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
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

	// serve's own worker takes its share of the shared subscription, so
	// extra `kasir-hq ingest` workers split the load instead of doubling it.
	work(ctx, db, brokerURL, login, true, true, *data, log)
	return nil
}

// ingest runs one more worker on the shared subscription: it and serve's
// own worker split the fleet's sales between them.
func ingest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("ingest", stderr)
	dbURL := dbFlag(fs)
	brokerURL := fs.String("broker", "tcp://127.0.0.1:1883", "broker URL")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *level)
	login, err := ensureHQLogin(*data)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, *data, *dbURL, log)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "kasir-hq: ingest worker started")
	work(ctx, db, *brokerURL, login, true, false, *data, log)
	return nil
}

// work keeps an ingest worker connected until ctx ends, redialling with a
// capped, jittered backoff.
func work(ctx context.Context, db headoffice.Store, url string, login hqLogin, shared, presence bool, data string, log *slog.Logger) {
	backoff := time.Second
	for ctx.Err() == nil {
		conn, err := mqttconn.Dial(ctx, mqttconn.Options{
			Broker: url, ClientID: "kasir-hq-" + randomID(), Username: login.Username, Password: login.Password,
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
		w := headoffice.NewWorker(db, adapter{conn}, headoffice.WorkerOptions{Shared: shared, Presence: presence}, log)
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
