package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestCatalogImport(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, "catalog", "import", "--data", data, filepath.Join("..", "..", "appliance", "testdata", "catalog-semicolon.csv"))
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !strings.Contains(out, "imported") {
		t.Fatalf("output %q", out)
	}

	// A file with bad rows is refused whole, with the rows named, and the
	// catalog already loaded stays.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("sku,name,price\nA1,Teh Manis,3500\nA2,,abc\nA3,Kopi,4000\n"), 0o644)
	out, err = runCmd(t, "catalog", "import", "--data", data, bad)
	if err == nil {
		t.Fatal("bad file imported")
	}
	msg := err.Error()
	if !strings.Contains(msg, "3") || !strings.Contains(msg, "nothing was imported") {
		t.Errorf("error %q does not name row 3 or say nothing was imported", msg)
	}

	// A tax class the till does not know would sell without tax.
	typo := filepath.Join(t.TempDir(), "typo.csv")
	os.WriteFile(typo, []byte("sku,name,price,pajak\nA1,Teh Manis,3500,PPN12\n"), 0o644)
	if out, err := runCmd(t, "catalog", "import", "--data", data, typo); err == nil || !strings.Contains(err.Error(), "A1 (PPN12)") {
		t.Errorf("unknown tax class: %v %s", err, out)
	}

	s := startServer(t, data)
	// The running till holds its catalog in memory: importing under it
	// is refused, not silently half-applied.
	if _, err := runCmd(t, "catalog", "import", "--data", data, filepath.Join("..", "..", "appliance", "testdata", "catalog-semicolon.csv")); err == nil || !strings.Contains(err.Error(), "running") {
		t.Errorf("import while serving: %v", err)
	}
	c := newClient(t, s.URL)
	c.login("1111")
	var p struct{ Name string }
	c.must(200, "GET", "/api/v1/products/TK-0001", nil, &p)
	if p.Name != "Indomie Goreng Original 85g" {
		t.Errorf("imported product reads %+v", p)
	}
	code, _ := c.do("GET", "/api/v1/products/A1", nil, nil)
	if code != 404 {
		t.Errorf("product from the refused file is there: %d", code)
	}
	var st struct {
		Catalog struct{ Version, Source string }
	}
	c.must(200, "GET", "/api/v1/status", nil, &st)
	if !strings.HasPrefix(st.Catalog.Version, "csv-") || st.Catalog.Source != "csv:catalog-semicolon.csv" {
		t.Errorf("catalog status %+v", st.Catalog)
	}
}

func TestUserAddAndVersion(t *testing.T) {
	data := t.TempDir()
	if out, err := runCmd(t, "user", "add", "--data", data, "--id", "ani", "--name", "Ani", "--role", "supervisor", "--pin", "4321"); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	if _, err := runCmd(t, "user", "add", "--data", data, "--id", "budi", "--name", "Budi", "--pin", "4321"); err == nil {
		t.Error("a second user with the same PIN was accepted")
	}
	if _, err := runCmd(t, "user", "add", "--data", data, "--id", "budi", "--name", "Budi", "--pin", "12"); err == nil {
		t.Error("a two-digit PIN was accepted")
	}
	out, err := runCmd(t, "version")
	if err != nil || !strings.HasPrefix(out, "kasir ") {
		t.Errorf("version: %q %v", out, err)
	}
	if _, err := runCmd(t, "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
}

// A database that fails its integrity check: the till refuses to sell,
// says so on every screen and API call, and leaves the file alone.
func TestCorruptDatabaseRefusesToSell(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	c := newClient(t, s.URL)
	c.login("1111")
	openShift(c, 0)
	s.stop()

	path := filepath.Join(data, "kasir.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Scribble over the middle pages, as a failing SD card would.
	for i := len(b) / 3; i < len(b)/3+8192 && i < len(b); i++ {
		b[i] = 0x5a
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")

	s2 := startServer(t, data)
	resp, err := http.Get(s2.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("healthz = %d, want 503", resp.StatusCode)
	}
	c2 := newClient(t, s2.URL)
	var st struct{ Database, Message string }
	c2.must(200, "GET", "/api/v1/status", nil, &st)
	if st.Database != "corrupt" || !strings.Contains(st.Message, "rusak") {
		t.Errorf("status %+v", st)
	}
	code, body := c2.do("POST", "/api/v1/login", map[string]string{"pin": "1111"}, nil)
	var e apiErr
	json.Unmarshal(body, &e)
	if code != 503 || e.Error.Code != "corrupt" {
		t.Errorf("login on a corrupt database: %d %s", code, body)
	}
	page, err := http.Get(s2.URL + "/")
	if err != nil || page.StatusCode != 200 {
		t.Errorf("UI does not load: %v", err)
	}
	s2.stop()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, b) {
		t.Error("the corrupt file was changed; it must be kept for recovery")
	}
}
