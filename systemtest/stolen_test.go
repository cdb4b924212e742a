package systemtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/mqtttest"
	"github.com/kasirpos/kasir/wire"
)

// Issue 10, attack 1, end to end on kasir-hq serve: everything on one
// till's SD card (S001/T01's broker password and its signing key) tried
// against another till, T02. Last wills on T02's sales topic and on its
// retained ack topic, and a publish on T02's topic: none of it becomes a
// sale at head office or deletes a record of T02's, and T02's own sales
// arrive whole. (Once the embedded broker refuses such wills at CONNECT,
// they are stopped there; the signatures stop them even where a broker
// lets them through.)
func TestStolenTillCardSpeaksOnlyForItsTill(t *testing.T) {
	if testing.Short() {
		t.Skip("system test: run without -short (make test)")
	}
	kasir, hq := binaries(t)
	hqData := t.TempDir()
	h := start(t, hq, "serve", "--data", hqData, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--log-level", "warn")
	addr := strings.Fields(h.wait(t, "kasir-hq: broker on "))[0]
	provs := map[string]string{}
	for _, tl := range []string{"T01", "T02"} {
		provs[tl] = filepath.Join(t.TempDir(), "kasir.json")
		runCmd(t, hq, "till", "add", "--data", hqData, "--store", "S001", "--till", tl, "--broker", "ssl://"+addr, "--out", provs[tl])
	}
	stolen, err := wire.ReadProvision(provs["T01"])
	if err != nil {
		t.Fatal(err)
	}
	stolenKey, err := stolen.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(stolen.CA))
	tlsCfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, ServerName: "127.0.0.1"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// T02 sells with its link cut, so head office has none of it yet.
	tillData := t.TempDir()
	k := start(t, kasir, "serve", "--demo", "--data", tillData, "--http", "127.0.0.1:0", "--provision", provs["T02"], "--log-level", "warn")
	c := newClient(t, k.wait(t, "kasir: serving on "))
	c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil)
	c.do("POST", "/api/v1/demo/uplink", map[string]bool{"enabled": false}, nil)
	c.do("POST", "/api/v1/shift/open", map[string]int64{"float": 0}, nil)
	var ps struct{ Products []struct{ SKU string } }
	c.do("GET", "/api/v1/products?limit=1", nil, &ps)
	for range 3 {
		c.do("POST", "/api/v1/cart/lines", map[string]any{"code": ps.Products[0].SKU}, nil)
		if c.do("POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "cash", "amount": 1000000}}}, nil) != 201 {
			t.Fatal("pay")
		}
	}
	var st tillStatus
	c.do("GET", "/api/v1/status", nil, &st)
	if st.Unsynced != 4 {
		t.Fatalf("T02 holds %d records, want 4", st.Unsynced)
	}
	// The epoch an attacker would read off head office's fleet page; here,
	// off T02's database.
	epoch := struct{ Epoch string }{tillEpoch(t, tillData)}

	// A forged sale for T02 (Rp 1), signed with the only key the card has.
	rec, _ := json.Marshal(map[string]any{"store": "S001", "till": "T02", "epoch": epoch.Epoch, "seq": 1, "kind": "sale",
		"time": time.Now().UTC(), "sale": map[string]any{"number": "S001-T02-000001", "kind": "sale", "total": 1}})
	b := wire.Batch{V: wire.BatchVersion, ID: wire.BatchID("T02", epoch.Epoch, 1, 1), Store: "S001", Till: "T02",
		Epoch: epoch.Epoch, First: 1, Last: 1, Records: []json.RawMessage{rec}}
	b.Sign(stolenKey)
	forged, _ := json.Marshal(b)
	// An ack that would make T02 delete all four.
	ack, _ := json.Marshal(wire.Ack{V: 1, Store: "S001", Till: "T02", Epoch: epoch.Epoch, Seq: 4, Time: time.Now()})

	for _, will := range []*mqttconn.Message{
		{Topic: wire.SalesTopic("S001", "T02"), QoS: 1, Payload: forged},
		{Topic: wire.AckTopic("S001", "T02"), QoS: 1, Retained: true, Payload: ack},
	} {
		// Through a proxy, so that cutting it makes the broker send the will.
		p := mqtttest.NewProxy(t, addr)
		conn, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: strings.Replace(p.URL(), "tcp://", "ssl://", 1),
			ClientID: stolen.Username, Username: stolen.Username, Password: stolen.Password, TLS: tlsCfg, Will: will,
			ConnectTimeout: 5 * time.Second})
		if err == nil {
			p.Cut()
			conn.Close()
		} else {
			t.Logf("will on %s: connect refused: %v", will.Topic, err)
		}
	}
	// And a plain publish on T02's topic.
	if conn, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: "ssl://" + addr, ClientID: stolen.Username,
		Username: stolen.Username, Password: stolen.Password, TLS: tlsCfg, ConnectTimeout: 5 * time.Second}); err == nil {
		pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
		conn.Publish(pctx, wire.SalesTopic("S001", "T02"), 1, false, forged)
		pcancel()
		conn.Close()
	}
	time.Sleep(2 * time.Second) // for whatever got through to arrive; nothing may be acked on it
	c.do("GET", "/api/v1/status", nil, &st)
	if st.Unsynced != 4 {
		t.Fatalf("T02's outbox went from 4 to %d on a forged ack", st.Unsynced)
	}

	// T02 comes back: every record of its own reaches head office, once.
	c.do("POST", "/api/v1/demo/uplink", map[string]bool{"enabled": true}, nil)
	eventually(t, "T02's own records acknowledged", func() bool {
		c.do("GET", "/api/v1/status", nil, &st)
		return st.Unsynced == 0 && st.AckedSeq == 4
	})
	db, err := headoffice.Open(ctx, hqData, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	day := time.Now().In(time.FixedZone("WIB", 7*3600)).Format("2006-01-02")
	sales, err := db.Sales(ctx, headoffice.SalesQuery{Store: "S001", Till: "T02", Day: day})
	if err != nil {
		t.Fatal(err)
	}
	if len(sales) != 3 {
		t.Errorf("head office has %d sales of T02, want its own 3: %+v", len(sales), sales)
	}
	for _, s := range sales {
		if s.Total == 1 {
			t.Errorf("the forged Rp 1 sale is at head office: %+v", s)
		}
	}
}

// tillEpoch reads a till's database epoch, read-only, beside the running till.
func tillEpoch(t *testing.T, dir string) string {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "kasir.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var epoch string
	if err := raw.QueryRow("SELECT value FROM meta WHERE key = 'epoch'").Scan(&epoch); err != nil {
		t.Fatal(err)
	}
	return epoch
}
