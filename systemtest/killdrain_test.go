package systemtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A till killed (SIGKILL, as a power cut) while it drains a backlog starts
// again from its disk, and head office ends with every record once.
func TestTillKilledMidDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("system test: run without -short (make test)")
	}
	kasir, hq := binaries(t)
	hqData, tillData := t.TempDir(), t.TempDir()
	h := start(t, hq, "serve", "--data", hqData, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--log-level", "warn")
	broker := "ssl://" + strings.Fields(h.wait(t, "kasir-hq: broker on "))[0]
	hqURL := h.wait(t, "kasir-hq: serving on ")
	prov := filepath.Join(t.TempDir(), "kasir.json")
	runCmd(t, hq, "till", "add", "--data", hqData, "--store", "S001", "--till", "T01", "--broker", broker, "--out", prov)

	args := []string{"serve", "--demo", "--data", tillData, "--http", "127.0.0.1:0", "--provision", prov, "--log-level", "warn"}
	k := start(t, kasir, args...)
	c := newClient(t, k.wait(t, "kasir: serving on "))
	c.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil)
	c.do("POST", "/api/v1/demo/uplink", map[string]bool{"enabled": false}, nil)
	c.do("POST", "/api/v1/shift/open", map[string]int64{"float": 0}, nil)
	var ps struct{ Products []struct{ SKU string } }
	c.do("GET", "/api/v1/products?limit=5", nil, &ps)
	const sales = 40
	for i := range sales {
		c.do("POST", "/api/v1/cart/lines", map[string]any{"code": ps.Products[i%5].SKU}, nil)
		if c.do("POST", "/api/v1/cart/pay", map[string]any{"payments": []map[string]any{{"method": "cash", "amount": 1000000}}}, nil) != 201 {
			t.Fatalf("sale %d", i)
		}
	}
	last := int64(sales + 1) // the shift opening is seq 1
	var st tillStatus
	c.do("GET", "/api/v1/status", nil, &st)
	if st.Unsynced != sales+1 {
		t.Fatalf("backlog %d, want %d", st.Unsynced, sales+1)
	}
	// Reconnect and kill it as soon as the drain has begun.
	c.do("POST", "/api/v1/demo/uplink", map[string]bool{"enabled": true}, nil)
	eventually(t, "the drain to begin", func() bool {
		c.do("GET", "/api/v1/status", nil, &st)
		return st.Online || st.AckedSeq > 0
	})
	k.cmd.Process.Signal(os.Kill)
	k.cmd.Process.Wait()

	k2 := start(t, kasir, args...)
	c2 := newClient(t, k2.wait(t, "kasir: serving on "))
	eventually(t, "the restarted till to finish the drain", func() bool {
		c2.do("GET", "/api/v1/status", nil, &st)
		return st.Unsynced == 0 && st.AckedSeq == last
	})
	hqc := newClient(t, hqURL)
	day := time.Now().In(time.FixedZone("WIB", 7*3600)).Format("2006-01-02")
	var rows []struct{ Number string }
	hqc.do("GET", "/api/v1/sales?store=S001&till=T01&day="+day, nil, &rows)
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.Number]++
	}
	if len(rows) != sales || len(seen) != sales {
		t.Fatalf("head office has %d rows, %d distinct sales; want %d once each", len(rows), len(seen), sales)
	}
}
