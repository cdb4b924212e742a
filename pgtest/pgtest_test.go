package pgtest

import (
	"context"
	"database/sql"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	var s *Server
	t.Run("server", func(t *testing.T) {
		s = Start(t)
		if !strings.HasPrefix(s.URL, "postgres://postgres@127.0.0.1:"+strconv.Itoa(s.Port)+"/") || !strings.HasSuffix(s.URL, "?sslmode=disable") {
			t.Errorf("URL %s", s.URL)
		}
		ctx := context.Background()
		db, err := sql.Open("pgx", s.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var version, encoding, user string
		if err := db.QueryRowContext(ctx, "SELECT current_setting('server_version_num'), current_setting('server_encoding'), current_user").
			Scan(&version, &encoding, &user); err != nil {
			t.Fatal(err)
		}
		if encoding != "UTF8" || user != User || (s.Version != 0 && !strings.HasPrefix(version, strconv.Itoa(s.Version))) {
			t.Errorf("version %s (dir %d), encoding %s, user %s", version, s.Version, encoding, user)
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		// Another database starts empty.
		other, err := sql.Open("pgx", s.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		var n int
		if err := other.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 't'").Scan(&n); err != nil || n != 0 {
			t.Errorf("new database: %d tables named t, %v", n, err)
		}
	})
	// The subtest's cleanup stopped the server.
	c, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), time.Second)
	if err == nil {
		c.Close()
		t.Errorf("server still listening on %d after the test", s.Port)
	}
}

func TestTwoServers(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Port == b.Port || a.Dir == b.Dir {
		t.Fatalf("two servers share port %d or dir %s", a.Port, a.Dir)
	}
}
