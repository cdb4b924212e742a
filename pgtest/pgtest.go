// Package pgtest runs a throwaway PostgreSQL server for tests: Debian's
// binaries (the postgresql package), a new cluster made by initdb in the
// test's temporary directory, started by pg_ctl on a free loopback port and
// stopped when the test ends. Launch does the same for a program that is
// not a test (the bench), which stops the server itself.
//
// PostgreSQL refuses to run as root; when the tests run as root, the server
// runs as the postgres system user the Debian package creates.
//
// A missing PostgreSQL fails the test ("run make deps"): it is never skipped.
package pgtest

import (
	"fmt"
	"sync"
	"testing"
)

// User is the cluster's superuser, who owns the databases made for tests.
const User = "postgres"

// Server is a running throwaway cluster.
type Server struct {
	// URL is a fresh database made for the test that started the server:
	// postgres://postgres@127.0.0.1:PORT/DB?sslmode=disable.
	URL     string
	Host    string // 127.0.0.1
	Port    int
	Dir     string // the cluster's directory: data/, the log and the socket
	BinDir  string // where initdb, pg_ctl and postgres are
	Version int    // the major version, 15 for /usr/lib/postgresql/15

	c *Cluster

	mu  sync.Mutex
	dbs int
}

// Options tune a server. The zero value is what Start uses.
type Options struct {
	// Durable keeps fsync and synchronous commit on, as in production;
	// Start turns them off, which makes the tests faster and changes
	// nothing about what a transaction sees.
	Durable bool
}

// Start makes and starts a cluster, creates a database in it (URL), and
// stops the server when the test and its subtests end.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opt Options) *Server {
	t.Helper()
	c, err := Launch(t.TempDir(), opt.Durable)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: c.Host, Port: c.Port, Dir: c.Dir, BinDir: c.BinDir, Version: c.Version, c: c}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	s.URL = s.NewDatabase(t)
	return s
}

// NewDatabase creates another empty database on the server and returns its
// URL. Tests that want a clean slate each make their own.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.dbs++
	name := fmt.Sprintf("test%d", s.dbs)
	s.mu.Unlock()
	u, err := s.c.NewDatabase(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// DatabaseURL is the URL of a database on the server.
func (s *Server) DatabaseURL(name string) string { return s.c.DatabaseURL(name) }

// Log returns what the server has logged so far.
func (s *Server) Log() string { return s.c.Log() }

// Stop stops the server at once (pg_ctl stop -m immediate). Stopping a
// stopped server does nothing.
func (s *Server) Stop() error { return s.c.Stop() }
