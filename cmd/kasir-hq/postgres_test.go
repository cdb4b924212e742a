package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kasirpos/kasir/headoffice"
	"github.com/kasirpos/kasir/pgtest"
	"github.com/kasirpos/kasir/wire"
)

// TestFleetFromPostgres: --db postgres://… reads the fleet from PostgreSQL,
// not from SQLite under --data; a --db that is not a postgres URL is refused.
func TestFleetFromPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	pg, err := headoffice.OpenPostgres(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := pg.RecordStatus(ctx, wire.Status{V: 1, Store: "S001", Till: "T01", Online: true, Software: "v9"}); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "fleet", "--data", t.TempDir(), "--db", srv.URL, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []headoffice.TillState
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].Software != "v9" {
		t.Fatalf("fleet --db: %q", out)
	}
	if out, err := runCmd(t, "fleet", "--data", t.TempDir(), "--db", "mysql://x"); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Errorf("--db mysql://: %v %q", err, out)
	}
}
