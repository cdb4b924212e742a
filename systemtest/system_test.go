package systemtest

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"

	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/wire"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds kasir and kasir-hq once for the package's tests.
func binaries(t *testing.T) (kasir, hq string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "kasir-systemtest-")
		if buildErr != nil {
			return
		}
		for _, c := range []string{"kasir", "kasir-hq"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, c), "../cmd/"+c).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", c, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "kasir"), filepath.Join(binDir, "kasir-hq")
}

// proc is a running program whose stdout lines can be waited for.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	more  chan struct{}
	logMu sync.Mutex
	log   bytes.Buffer
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), more: make(chan struct{}, 1)}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedBuffer{mu: &p.logMu, b: &p.log}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(bin), tail(p.log.String(), 4000))
		}
	})
	return p
}

type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// wait returns what follows prefix on the first stdout line that has it.
func (p *proc) wait(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if v, ok := strings.CutPrefix(l, prefix); ok {
				p.mu.Unlock()
				return v
			}
		}
		p.mu.Unlock()
		select {
		case <-p.more:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %q from %s", prefix, p.cmd.Path)
		}
	}
}

func runCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
	}
	return string(out)
}

type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

func (c *client) do(method, path string, body, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		c.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type fleetRow struct {
	Store, Till     string
	Online          bool
	AckedSeq        int64  `json:"acked_seq"`
	ConfigVersion   string `json:"config_version"`
	ReportedBacklog int    `json:"reported_backlog"`
	LastRejection   *struct {
		Version int64
		Reason  string
	} `json:"last_rejection"`
}

type tillStatus struct {
	Online   bool  `json:"online"`
	Unsynced int   `json:"unsynced"`
	AckedSeq int64 `json:"acked_seq"`
	LastSeq  int64 `json:"last_seq"`
}

// TestSaleReachesHeadOfficeAndConfigComesBack is the product in one test: a
// provisioned till sells, head office gets the sale once and acknowledges
// it, the till's outbox empties; head office pushes a signed config and the
// till runs it; a forged one is refused and the refusal shows on the fleet;
// with the link cut the backlog grows, and drains when it is back.
func TestSaleReachesHeadOfficeAndConfigComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("system test: run without -short (make test)")
	}
	kasir, hq := binaries(t)
	hqData, tillData := t.TempDir(), t.TempDir()
	runCmd(t, hq, "keys", "init", "--data", hqData)
	h := start(t, hq, "serve", "--data", hqData, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--log-level", "warn")
	brokerAddr := strings.Fields(h.wait(t, "kasir-hq: broker on "))[0]
	hqURL := h.wait(t, "kasir-hq: serving on ")
	prov := filepath.Join(t.TempDir(), "kasir.json")
	runCmd(t, hq, "till", "add", "--data", hqData, "--store", "S001", "--till", "T01", "--broker", "ssl://"+brokerAddr, "--out", prov)

	k := start(t, kasir, "serve", "--demo", "--data", tillData, "--http", "127.0.0.1:0", "--provision", prov, "--log-level", "warn")
	tillURL := k.wait(t, "kasir: serving on ")
	c := newClient(t, tillURL)
	if c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil) != 200 {
		t.Fatal("login")
	}
	c.do("POST", "/api/v1/shift/open", map[string]int64{"float": 100000}, nil)
	var ps struct {
		Products []struct {
			SKU      string
			PriceNow int64 `json:"price_now"`
		}
	}
	c.do("GET", "/api/v1/products?limit=3", nil, &ps)
	sell := func() (number string, seq int64) {
		for _, p := range ps.Products[:2] {
			if c.do("POST", "/api/v1/cart/lines", map[string]any{"code": p.SKU}, nil) != 200 {
				t.Fatal("add line")
			}
		}
		var sale struct {
			Number string
			Seq    int64
		}
		if c.do("POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "cash", "amount": 500000}}}, &sale) != 201 {
			t.Fatal("pay")
		}
		return sale.Number, sale.Seq
	}
	number, seq := sell()

	hqc := newClient(t, hqURL)
	tillRow := func() fleetRow {
		var rows []fleetRow
		hqc.do("GET", "/api/v1/fleet", nil, &rows)
		for _, r := range rows {
			if r.Store == "S001" && r.Till == "T01" {
				return r
			}
		}
		return fleetRow{}
	}
	eventually(t, "head office to acknowledge the sale", func() bool { return tillRow().AckedSeq >= seq })
	var st tillStatus
	eventually(t, "the till's outbox to empty", func() bool {
		c.do("GET", "/api/v1/status", nil, &st)
		return st.Online && st.Unsynced == 0 && st.AckedSeq == seq
	})
	day := time.Now().In(time.FixedZone("WIB", 7*3600)).Format("2006-01-02")
	var sales []struct{ Number string }
	hqc.do("GET", "/api/v1/sales?store=S001&till=T01&day="+day, nil, &sales)
	found := 0
	for _, s := range sales {
		if s.Number == number {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("head office has sale %s %d times: %+v", number, found, sales)
	}

	// A signed config comes down and runs.
	cfgFile := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(cfgFile, []byte(`{"store_name":"Toko Maju Jaya","address":"Jl. Sudirman 5"}`), 0o644)
	runCmd(t, hq, "config", "publish", "--data", hqData, "--store", "S001", "--broker", "ssl://"+brokerAddr, cfgFile)
	eventually(t, "the till to run the new config", func() bool {
		var cfg struct {
			StoreName string `json:"store_name"`
			Store     string
		}
		c.do("GET", "/api/v1/config", nil, &cfg)
		return cfg.StoreName == "Toko Maju Jaya" && cfg.Store == "S001"
	})

	// A signed catalog comes down compressed and replaces the demo one.
	runCmd(t, hq, "catalog", "publish", "--data", hqData, "--store", "S001", "--broker", "ssl://"+brokerAddr,
		filepath.Join("..", "appliance", "testdata", "catalog-semicolon.csv"))
	eventually(t, "the till to sell from head office's catalog", func() bool {
		var p struct{ Name string }
		return c.do("GET", "/api/v1/products/TK-0001", nil, &p) == 200 && p.Name == "Indomie Goreng Original 85g"
	})
	var cst struct {
		Catalog struct{ Source string }
	}
	c.do("GET", "/api/v1/status", nil, &cst)
	if cst.Catalog.Source != "headoffice" {
		t.Errorf("catalog source %q", cst.Catalog.Source)
	}

	// A config signed by someone else is refused, the refusal shows on the
	// fleet page, and the till keeps what it runs.
	forgeConfig(t, hqData, "ssl://"+brokerAddr, `{"store_name":"Toko Palsu"}`)
	eventually(t, "the forged config's rejection on the fleet", func() bool {
		r := tillRow()
		return r.LastRejection != nil && r.LastRejection.Reason == "bad_signature"
	})
	var cfg struct {
		StoreName string `json:"store_name"`
	}
	c.do("GET", "/api/v1/config", nil, &cfg)
	if cfg.StoreName != "Toko Maju Jaya" {
		t.Fatalf("store name after a forged config: %q", cfg.StoreName)
	}

	// The status strip follows the link, in a real browser.
	strip := watchStrip(t, tillURL)

	// Cut the link: sales pile up on the till's disk and go when it is back.
	c.do("POST", "/api/v1/demo/uplink", map[string]bool{"enabled": false}, nil)
	eventually(t, "the till to show offline", func() bool { c.do("GET", "/api/v1/status", nil, &st); return !st.Online })
	strip.waitFor(t, "Offline")
	c.do("GET", "/api/v1/products?limit=3", nil, &ps)
	_, seq2 := sell()
	_, seq3 := sell()
	c.do("GET", "/api/v1/status", nil, &st)
	if st.Unsynced != 2 {
		t.Fatalf("offline backlog %d, want 2", st.Unsynced)
	}
	// A config published while the till is away reaches it when it is back.
	os.WriteFile(cfgFile, []byte(`{"store_name":"Toko Selalu Buka"}`), 0o644)
	runCmd(t, hq, "config", "publish", "--data", hqData, "--store", "S001", "--broker", "ssl://"+brokerAddr, cfgFile)
	c.do("POST", "/api/v1/demo/uplink", map[string]bool{"enabled": true}, nil)
	eventually(t, "the config published while offline", func() bool {
		c.do("GET", "/api/v1/config", nil, &cfg)
		return cfg.StoreName == "Toko Selalu Buka"
	})
	eventually(t, "the backlog to drain", func() bool {
		c.do("GET", "/api/v1/status", nil, &st)
		return st.Unsynced == 0 && st.AckedSeq == max(seq2, seq3)
	})
	eventually(t, "head office to hold every record", func() bool { return tillRow().AckedSeq == seq3 })
	strip.waitFor(t, "Online")
}

// forgeConfig publishes, as head office's broker user, a config envelope
// signed with a key that is not head office's.
// hqTLS trusts head office's own CA, as its commands do.
func hqTLS(t *testing.T, hqData string) *tls.Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hqData, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("ca.pem holds no certificate")
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func forgeConfig(t *testing.T, hqData, broker, body string) {
	t.Helper()
	var login struct{ Username, Password string }
	b, err := os.ReadFile(filepath.Join(hqData, "hq-mqtt.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &login)
	_, evil, _ := ed25519.GenerateKey(nil)
	env, err := wire.Seal(evil, wire.KindConfig, time.Now().Unix()+1000, time.Now(), "S001", "", []byte(body), false)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := mqttconn.Dial(ctx, mqttconn.Options{Broker: broker, ClientID: "kasir-hq-forger", Username: login.Username, Password: login.Password,
		TLS: hqTLS(t, hqData)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Publish(ctx, wire.StoreConfigTopic("S001"), 1, true, raw); err != nil {
		t.Fatal(err)
	}
}
