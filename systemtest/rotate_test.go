package systemtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 10: head office's signing key rotates under a running till. The
// till follows the chain signed by the key it trusts, takes acks and
// configs signed by the new key, keeps the new key across a restart, and a
// till that slept through two rotations catches up.
func TestKeyRotationOnARunningTill(t *testing.T) {
	if testing.Short() {
		t.Skip("system test: run without -short (make test)")
	}
	kasir, hq := binaries(t)
	hqData, tillData := t.TempDir(), t.TempDir()
	h := start(t, hq, "serve", "--data", hqData, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--log-level", "warn")
	broker := "ssl://" + strings.Fields(h.wait(t, "kasir-hq: broker on "))[0]
	prov := filepath.Join(t.TempDir(), "kasir.json")
	runCmd(t, hq, "till", "add", "--data", hqData, "--store", "S001", "--till", "T01", "--broker", broker, "--out", prov)
	args := []string{"serve", "--demo", "--data", tillData, "--http", "127.0.0.1:0", "--provision", prov, "--log-level", "info"}
	k := start(t, kasir, args...)
	c := newClient(t, k.wait(t, "kasir: serving on "))
	c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil)
	c.do("POST", "/api/v1/shift/open", map[string]int64{"float": 0}, nil)
	var ps struct{ Products []struct{ SKU string } }
	c.do("GET", "/api/v1/products?limit=1", nil, &ps)
	var st tillStatus
	acked := func(c *client, seq int64) func() bool {
		return func() bool {
			c.do("GET", "/api/v1/status", nil, &st)
			return st.Unsynced == 0 && st.AckedSeq == seq
		}
	}
	sell := func(c *client) int64 {
		t.Helper()
		c.do("POST", "/api/v1/cart/lines", map[string]any{"code": ps.Products[0].SKU}, nil)
		var sale struct{ Seq int64 }
		if c.do("POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "cash", "amount": 1000000}}}, &sale) != 201 {
			t.Fatal("pay")
		}
		return sale.Seq
	}
	eventually(t, "the shift opening acknowledged", acked(c, 1))

	out := runCmd(t, hq, "keys", "rotate", "--data", hqData, "--broker", broker)
	if !strings.Contains(out, "rotated (rotation 1)") {
		t.Fatalf("keys rotate: %s", out)
	}
	// Head office now signs acks with the new key: the till takes them
	// only because it followed the rotation.
	seq := sell(c)
	eventually(t, "a sale acknowledged under the new key", acked(c, seq))
	var trust struct {
		Key     string
		Version int64
	}
	b, err := os.ReadFile(filepath.Join(tillData, "hq-key.json"))
	if err != nil || json.Unmarshal(b, &trust) != nil || trust.Version != 1 {
		t.Fatalf("the till kept %s (%v)", b, err)
	}
	pub, _ := os.ReadFile(filepath.Join(hqData, "hq.pub"))
	if trust.Key != strings.TrimSpace(string(pub)) {
		t.Fatalf("the till trusts %s, head office signs with %s", trust.Key, pub)
	}
	// A config signed by the new key runs.
	cfgFile := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(cfgFile, []byte(`{"store_name":"Toko Kunci Baru"}`), 0o644)
	runCmd(t, hq, "config", "publish", "--data", hqData, "--store", "S001", "--broker", broker, cfgFile)
	var cfg struct {
		StoreName string `json:"store_name"`
	}
	eventually(t, "the new key's config", func() bool {
		c.do("GET", "/api/v1/config", nil, &cfg)
		return cfg.StoreName == "Toko Kunci Baru"
	})

	// Asleep through two more rotations, with sales waiting.
	c.do("POST", "/api/v1/demo/uplink", map[string]bool{"enabled": false}, nil)
	seq = sell(c)
	k.cmd.Process.Signal(os.Interrupt)
	k.cmd.Wait()
	runCmd(t, hq, "keys", "rotate", "--data", hqData, "--broker", broker)
	runCmd(t, hq, "keys", "rotate", "--data", hqData, "--broker", broker)
	k2 := start(t, kasir, args...)
	c2 := newClient(t, k2.wait(t, "kasir: serving on "))
	eventually(t, "the restarted till to catch up two rotations and drain", acked(c2, seq))
	b, _ = os.ReadFile(filepath.Join(tillData, "hq-key.json"))
	if json.Unmarshal(b, &trust); trust.Version != 3 {
		t.Errorf("after two more rotations the till is at %s", b)
	}
	c2.do("GET", "/api/v1/config", nil, &cfg)
	if cfg.StoreName != "Toko Kunci Baru" {
		t.Errorf("config after the restart: %q", cfg.StoreName)
	}
}
