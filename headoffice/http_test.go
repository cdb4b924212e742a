package headoffice

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kasirpos/kasir/wire"
)

func get(t *testing.T, h http.Handler, url string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", url, nil))
	return w
}

func TestHTTPFleet(t *testing.T) {
	db := openDB(t, t.TempDir())
	ctx := context.Background()
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	ingest(t, db, tl.batch(t, 1, 2))
	ingest(t, db, tl.batch(t, 5, 5))
	if err := db.RecordStatus(ctx, wire.Status{V: 1, Store: "S001", Till: "T01", Online: true, Time: time.Now(), Epoch: "e1",
		Backlog: 3, OldestUnsynced: time.Now().Add(-90 * time.Second), Software: "v1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordConfigAck(ctx, wire.ConfigAck{V: 1, Store: "S001", Till: "T01", Kind: "catalog", Version: 5, Status: "rejected", Reason: "bad_hash"}); err != nil {
		t.Fatal(err)
	}
	w := get(t, db.Handler(testLog(t)), "/api/v1/fleet")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var got []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%s", w.Body)
	}
	f := got[0]
	for _, k := range []string{"store", "till", "online", "last_seen", "last_seen_seconds", "epoch", "acked_seq",
		"reported_backlog", "oldest_unsynced", "oldest_unsynced_seconds", "software", "last_rejection", "gap", "pending"} {
		if _, ok := f[k]; !ok {
			t.Errorf("fleet row has no %q: %s", k, w.Body)
		}
	}
	if f["online"] != true || f["acked_seq"] != 2.0 || f["reported_backlog"] != 3.0 || f["pending"] != 1.0 {
		t.Errorf("fleet row %s", w.Body)
	}
	if s, _ := f["oldest_unsynced_seconds"].(float64); s < 89 || s > 120 {
		t.Errorf("oldest_unsynced_seconds %v", f["oldest_unsynced_seconds"])
	}
	if s, _ := f["last_seen_seconds"].(float64); s < 0 || s > 30 {
		t.Errorf("last_seen_seconds %v", f["last_seen_seconds"])
	}
	gap, _ := f["gap"].(map[string]any)
	rej, _ := f["last_rejection"].(map[string]any)
	if gap["from"] != 3.0 || gap["to"] != 4.0 || rej["reason"] != "bad_hash" {
		t.Errorf("gap %v rejection %v", gap, rej)
	}
}

func TestHTTPSales(t *testing.T) {
	db := openDB(t, t.TempDir())
	tl := till{store: "S001", till: "T01", epoch: "e1"}
	ingest(t, db, tl.batch(t, 1, 3))
	h := db.Handler(testLog(t))

	w := get(t, h, "/api/v1/sales?store=S001&day=2026-03-10")
	var rows []SaleRow
	if err := json.Unmarshal(w.Body.Bytes(), &rows); w.Code != 200 || err != nil || len(rows) != 3 || rows[2].Number != "S001-T01-000003" || rows[2].Total != 3000 {
		t.Fatalf("%d %v %s", w.Code, err, w.Body)
	}
	w = get(t, h, "/api/v1/sales?store=S009&day=2026-03-10")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("no sales: %d %s", w.Code, w.Body)
	}

	for _, tt := range []struct{ url, inMessage string }{
		{"/api/v1/sales?store=S001&day=10-03-2026", "day"},
		{"/api/v1/sales?store=S001", "day"},
		{"/api/v1/sales?day=2026-03-10&kind=gift", "kind"},
		{"/api/v1/sales?day=2026-03-10&limit=x", "limit"},
		{"/api/v1/zreports?store=S/1", "store"},
	} {
		w := get(t, h, tt.url)
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != 400 || e.Error.Code != "invalid" ||
			!strings.Contains(e.Error.Message, tt.inMessage) {
			t.Errorf("%s: %d %s", tt.url, w.Code, w.Body)
		}
	}

	w = get(t, h, "/api/v1/zreports?store=S001")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("zreports: %d %s", w.Code, w.Body)
	}
}

func TestHTTPPages(t *testing.T) {
	db := openDB(t, t.TempDir())
	h := db.Handler(testLog(t))
	for _, tt := range []struct{ url, ctype, contains string }{
		{"/", "text/html", "/api/v1/fleet"},
		{"/sales", "text/html", "Penjualan"},
		{"/qris", "text/html", "/ui/qris.js"},
		{"/ui/qris.js", "javascript", "/api/v1/qris/reconcile"},
		{"/ui/fleet.js", "javascript", "/api/v1/fleet"},
		{"/ui/app.css", "text/css", "--ok"},
	} {
		w := get(t, h, tt.url)
		body := w.Body.String()
		if tt.url == "/" {
			body += get(t, h, "/ui/fleet.js").Body.String()
		}
		if w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), tt.ctype) || !strings.Contains(body, tt.contains) {
			t.Errorf("%s: %d %s", tt.url, w.Code, w.Header().Get("Content-Type"))
		}
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: no CSP", tt.url)
		}
	}
	if w := get(t, h, "/nothing"); w.Code != 404 {
		t.Errorf("unknown path: %d", w.Code)
	}
}
