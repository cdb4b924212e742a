package image_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/image/imagetest"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/mqtttest"
	"github.com/kasirpos/kasir/wire"
)

// soldSale is a sale as the till answered it.
type soldSale struct {
	Number string
	Total  int64
}

type openCart struct {
	ID      string `json:"id"`
	CashDue int64  `json:"cash_due"`
}

// addLine rings up two of the first product in a new cart.
func (c *client) addLine(t testing.TB) openCart {
	t.Helper()
	var products struct {
		Products []struct{ SKU string }
	}
	c.do(t, "GET", "/api/v1/products?limit=1", "", 200, &products)
	if len(products.Products) == 0 {
		t.Fatal("the demo catalog is empty")
	}
	var cart openCart
	c.do(t, "POST", "/api/v1/cart/lines", fmt.Sprintf(`{"code":%q,"qty":2}`, products.Products[0].SKU), 200, &cart)
	return cart
}

// pay pays the cart in cash.
func (c *client) pay(t testing.TB, cart openCart) soldSale {
	t.Helper()
	var sale soldSale
	c.do(t, "POST", "/api/v1/cart/pay", fmt.Sprintf(`{"cart_id":%q,"payments":[{"method":"cash","amount":%d}]}`, cart.ID, cart.CashDue), 201, &sale)
	if sale.Number == "" || sale.Total <= 0 {
		t.Fatalf("sale = %+v", sale)
	}
	t.Logf("sold %s for Rp %d", sale.Number, sale.Total)
	return sale
}

func (c *client) sell(t testing.TB) soldSale { return c.pay(t, c.addLine(t)) }

// checkSale finds the sale on the till as it was sold.
func (c *client) checkSale(t testing.TB, want soldSale) {
	t.Helper()
	var got soldSale
	c.do(t, "GET", "/api/v1/sales/"+want.Number, "", 200, &got)
	if got != want {
		t.Errorf("sale %s = %+v, want %+v", want.Number, got, want)
	}
}

// headOffice is Mosquitto on the host's loopback and head office's ingest
// worker with its SQLite database, as `kasir-hq serve` runs them.
type headOffice struct {
	broker *mqtttest.Broker
	db     *headoffice.DB
	logs   *imagetest.Console
	// key signs head office's acks; tillKey is the till's, registered.
	key, tillKey ed25519.PrivateKey
}

const (
	hqStore, hqTill = "S001", "T01"
	tillUser        = "till-s001-t01"
)

func startHeadOffice(ctx context.Context, t *testing.T) *headOffice {
	t.Helper()
	b := mqtttest.Start(t,
		mqtttest.AddUser(tillUser, "tillpw"), mqtttest.ACL(mqtttest.TillACL(hqStore, hqTill, tillUser)),
		mqtttest.AddUser("hq", "hqpw"), mqtttest.ACL(mqtttest.HeadOfficeACL("hq")),
	)
	logs := &imagetest.Console{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	db, err := headoffice.Open(ctx, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tillPub, tillKey, _ := ed25519.GenerateKey(rand.Reader)
	if err := db.PutTillKey(ctx, hqStore, hqTill, tillPub); err != nil {
		t.Fatal(err)
	}
	conn, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: b.URL(), ClientID: "hq", Username: "hq", Password: "hqpw"})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		headoffice.NewWorker(db, hqConn{conn}, headoffice.WorkerOptions{Presence: true,
			Key: func() ed25519.PrivateKey { return key }}, log).Run(wctx)
	}()
	t.Cleanup(func() { cancel(); <-done; conn.Close() })
	return &headOffice{broker: b, db: db, logs: logs, key: key, tillKey: tillKey}
}

// provision writes the till's kasir.json: the broker at QEMU's gateway,
// on the port Mosquitto has on the host's loopback.
func (h *headOffice) provision(t *testing.T) string {
	t.Helper()
	_, port, _ := strings.Cut(h.broker.Addr(), ":")
	p := wire.Provision{
		Store: hqStore, Till: hqTill, Broker: "tcp://10.0.2.2:" + port,
		Username: tillUser, Password: "tillpw", TillKey: wire.EncodeSeed(h.tillKey),
		HQPublicKey: wire.EncodeKey(h.key.Public().(ed25519.PublicKey)), TimeZone: "Asia/Jakarta",
	}
	if pr := p.Problems(); len(pr) > 0 {
		t.Fatalf("provisioning: %v", pr)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "kasir.json")
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// waitSale waits (bounded) until head office has committed the sale.
func (h *headOffice) waitSale(ctx context.Context, t *testing.T, sale soldSale, v *vm) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for _, day := range []string{time.Now().UTC().Format(time.DateOnly), time.Now().In(jakarta(t)).Format(time.DateOnly)} {
			rows, err := h.db.Sales(ctx, headoffice.SalesQuery{Store: hqStore, Till: hqTill, Day: day})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Number == sale.Number {
					if int64(r.Total) != sale.Total {
						t.Errorf("head office has %s for Rp %d, the till sold it for Rp %d", r.Number, r.Total, sale.Total)
					}
					t.Logf("head office has %s (seq %d)", r.Number, r.Seq)
					return
				}
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("head office never got %s\nhead office log:\n%s\nmosquitto:\n%s\ntill console:\n%s",
				sale.Number, h.logs.Tail(40), h.broker.Log(), v.Console.Tail(60))
		}
		time.Sleep(time.Second)
	}
}

func jakarta(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type hqConn struct{ c *mqttconn.Conn }

func (a hqConn) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	return a.c.Publish(ctx, topic, qos, retained, payload)
}

func (a hqConn) Subscribe(ctx context.Context, filter string, qos byte, h func(headoffice.Message)) error {
	return a.c.Subscribe(ctx, filter, qos, func(m mqttconn.Message) {
		h(headoffice.Message{Topic: m.Topic, QoS: m.QoS, Retained: m.Retained, Payload: m.Payload})
	})
}
