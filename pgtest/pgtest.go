// Package pgtest runs a throwaway PostgreSQL server for tests: Debian's
// binaries (the postgresql package), a new cluster made by initdb in the
// test's temporary directory, started by pg_ctl on a free loopback port and
// stopped when the test ends.
//
// PostgreSQL refuses to run as root; when the tests run as root, the server
// runs as the postgres system user the Debian package creates.
//
// A missing PostgreSQL fails the test ("run make deps"): it is never skipped.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
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

	data, logFile string
	cred          *syscall.Credential // nil unless running as root

	mu      sync.Mutex
	dbs     int
	stopped bool
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
	bin, version, err := findBinaries()
	if err != nil {
		t.Fatalf("pgtest: %v: PostgreSQL is not installed (run make deps)", err)
	}
	s := &Server{Host: "127.0.0.1", BinDir: bin, Version: version}
	s.Dir = t.TempDir()
	if os.Geteuid() == 0 {
		cred, err := unprivileged()
		if err != nil {
			t.Fatalf("pgtest: running as root, and %v (run make deps)", err)
		}
		s.cred = cred
		if err := reachable(s.Dir, cred); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	s.data = filepath.Join(s.Dir, "data")
	s.logFile = filepath.Join(s.Dir, "postgres.log")
	if err := s.initdb(opt); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := s.start(); err != nil {
		s.Stop() // in case it came up after pg_ctl gave up
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("pgtest: %v", err)
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
	if err := s.createDatabase(name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return s.DatabaseURL(name)
}

// DatabaseURL is the URL of a database on the server.
func (s *Server) DatabaseURL(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User(User), Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)),
		Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// Log returns what the server has logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logFile)
	return string(b)
}

// Stop stops the server at once (pg_ctl stop -m immediate). Stopping a
// stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	if out, err := s.run(s.tool("pg_ctl"), "stop", "-D", s.data, "-m", "immediate", "-w", "-t", "30"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// findBinaries returns the bin directory of the highest installed major
// version of Debian's PostgreSQL, or $PGTEST_BINDIR when set.
func findBinaries() (string, int, error) {
	if dir := os.Getenv("PGTEST_BINDIR"); dir != "" {
		if err := hasTools(dir); err != nil {
			return "", 0, err
		}
		return dir, 0, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	type found struct {
		dir     string
		version int
	}
	var all []found
	for _, m := range matches {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(m)))
		if err != nil || hasTools(m) != nil {
			continue
		}
		all = append(all, found{m, v})
	}
	if len(all) == 0 {
		return "", 0, errors.New("no /usr/lib/postgresql/*/bin with initdb, pg_ctl and postgres")
	}
	sort.Slice(all, func(i, j int) bool { return all[i].version > all[j].version })
	return all[0].dir, all[0].version, nil
}

func hasTools(dir string) error {
	for _, tool := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, tool)); err != nil || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("no %s in %s", tool, dir)
		}
	}
	return nil
}

// unprivileged is the postgres system user, for running as root.
func unprivileged() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("there is no postgres user to run the server as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user: uid %q", u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user: gid %q", u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// reachable gives dir to the unprivileged user and makes sure that user can
// get to it: testing makes the test's temporary root mode 0700, so it gets
// search permission for others (not read).
func reachable(dir string, cred *syscall.Credential) error {
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("give %s to the postgres user: %w", dir, err)
	}
	parent := filepath.Dir(dir)
	if fi, err := os.Stat(parent); err == nil && fi.Mode().Perm()&0o001 == 0 {
		if err := os.Chmod(parent, fi.Mode().Perm()|0o011); err != nil {
			return fmt.Errorf("open %s to the postgres user: %w", parent, err)
		}
	}
	for d := filepath.Dir(parent); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the postgres user cannot reach %s through %s (mode %v): set TMPDIR to a directory it can reach, such as /tmp", dir, d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (s *Server) tool(name string) string { return filepath.Join(s.BinDir, name) }

// run runs one of the server's programs, as the postgres user when root.
func (s *Server) run(prog string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
		cmd.Env = append(cmd.Env, "HOME="+s.Dir, "USER=postgres", "LOGNAME=postgres")
	}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (s *Server) initdb(opt Options) error {
	out, err := s.run(s.tool("initdb"), "-D", s.data, "--username="+User, "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	if err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	// The socket lives with the cluster, unless its path would be too
	// long for a Unix socket (about 107 bytes); then there is none and
	// clients use TCP.
	sockets := s.Dir
	if len(filepath.Join(sockets, ".s.PGSQL.65535.lock")) > 100 {
		sockets = ""
	}
	conf := []string{
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = '" + sockets + "'",
		"max_connections = 200",
		"shared_buffers = 32MB",
		"log_min_messages = warning",
		"timezone = 'UTC'",
	}
	if !opt.Durable {
		conf = append(conf, "fsync = off", "synchronous_commit = off", "full_page_writes = off")
	}
	f, err := os.OpenFile(filepath.Join(s.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n# pgtest\n" + strings.Join(conf, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// start starts the server on a free port, trying another if the one found
// is taken before the server binds it.
func (s *Server) start() error {
	var last error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Port = port
		out, err := s.run(s.tool("pg_ctl"), "start", "-D", s.data, "-l", s.logFile, "-w", "-t", "60",
			"-o", "-p "+strconv.Itoa(port))
		if err == nil {
			return s.waitReady()
		}
		last = fmt.Errorf("pg_ctl start on port %d: %v: %s\n%s", port, err, out, s.Log())
		if !strings.Contains(s.Log(), "already in use") {
			break
		}
	}
	return last
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the server takes connections over TCP.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := s.exec("SELECT 1")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready: %v\n%s", err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exec runs a statement in the postgres database.
func (s *Server) exec(stmt string) error {
	db, err := sql.Open("pgx", s.DatabaseURL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

func (s *Server) createDatabase(name string) error {
	// CREATE DATABASE copies template1, and refuses while another CREATE
	// DATABASE is reading it.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.exec(`CREATE DATABASE "` + name + `"`); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
