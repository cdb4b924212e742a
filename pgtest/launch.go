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
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Cluster is a running throwaway cluster started by Launch, for programs
// that are not tests (the bench). Start wraps one for a test.
type Cluster struct {
	// URL is the cluster's postgres database:
	// postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable. Make a
	// database of your own with NewDatabase.
	URL     string
	Host    string // 127.0.0.1
	Port    int
	Dir     string // the cluster's directory: data/, the log and the socket
	BinDir  string // where initdb, pg_ctl and postgres are
	Version int    // the major version, 15 for /usr/lib/postgresql/15

	data, logFile string
	cred          *syscall.Credential // nil unless running as root

	mu      sync.Mutex
	stopped bool
}

// Launch makes a cluster in dir (created if missing; it should be empty)
// and starts it on a free loopback port. Durable keeps fsync and
// synchronous commit on, as in production; without it they are off, which
// is faster and changes nothing about what a transaction sees.
//
// The caller must Stop the cluster: the server outlives the program
// otherwise. Removing dir is the caller's business too.
func Launch(dir string, durable bool) (*Cluster, error) {
	bin, version, err := findBinaries()
	if err != nil {
		return nil, fmt.Errorf("pgtest: %v: PostgreSQL is not installed (run make deps)", err)
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &Cluster{Host: "127.0.0.1", Dir: dir, BinDir: bin, Version: version}
	if os.Geteuid() == 0 {
		cred, err := unprivileged()
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root, and %v (run make deps)", err)
		}
		c.cred = cred
		if err := reachable(c.Dir, cred); err != nil {
			return nil, fmt.Errorf("pgtest: %v", err)
		}
	}
	c.data = filepath.Join(c.Dir, "data")
	c.logFile = filepath.Join(c.Dir, "postgres.log")
	if err := c.initdb(durable); err != nil {
		return nil, fmt.Errorf("pgtest: %v", err)
	}
	if err := c.start(); err != nil {
		c.Stop() // in case it came up after pg_ctl gave up
		return nil, fmt.Errorf("pgtest: %v", err)
	}
	c.URL = c.DatabaseURL("postgres")
	return c, nil
}

// NewDatabase creates an empty database called name on the cluster and
// returns its URL.
func (c *Cluster) NewDatabase(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "\"\x00") {
		return "", fmt.Errorf("pgtest: database name %q", name)
	}
	// CREATE DATABASE copies template1, and refuses while another CREATE
	// DATABASE is reading it.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return "", fmt.Errorf("pgtest: create database %s: the server is stopped", name)
	}
	if err := c.exec(`CREATE DATABASE "` + name + `"`); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return c.DatabaseURL(name), nil
}

// DatabaseURL is the URL of a database on the cluster.
func (c *Cluster) DatabaseURL(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User(User), Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// Log returns what the server has logged so far.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(c.logFile)
	return string(b)
}

// Stop stops the server at once (pg_ctl stop -m immediate). Stopping a
// stopped server does nothing.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopped = true
	if out, err := c.run(c.tool("pg_ctl"), "stop", "-D", c.data, "-m", "immediate", "-w", "-t", "30"); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v: %s", err, out)
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
// get to it: testing makes the test's temporary root mode 0700 (and so does
// os.MkdirTemp), so the parent gets search permission for others (not read).
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

func (c *Cluster) tool(name string) string { return filepath.Join(c.BinDir, name) }

// run runs one of the server's programs, as the postgres user when root.
func (c *Cluster) run(prog string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		cmd.Env = append(cmd.Env, "HOME="+c.Dir, "USER=postgres", "LOGNAME=postgres")
	}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c *Cluster) initdb(durable bool) error {
	out, err := c.run(c.tool("initdb"), "-D", c.data, "--username="+User, "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	if err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	// The socket lives with the cluster, unless its path would be too
	// long for a Unix socket (about 107 bytes); then there is none and
	// clients use TCP.
	sockets := c.Dir
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
	if !durable {
		conf = append(conf, "fsync = off", "synchronous_commit = off", "full_page_writes = off")
	}
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
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
func (c *Cluster) start() error {
	var last error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.Port = port
		out, err := c.run(c.tool("pg_ctl"), "start", "-D", c.data, "-l", c.logFile, "-w", "-t", "60",
			"-o", "-p "+strconv.Itoa(port))
		if err == nil {
			return c.waitReady()
		}
		last = fmt.Errorf("pg_ctl start on port %d: %v: %s\n%s", port, err, out, c.Log())
		if !strings.Contains(c.Log(), "already in use") {
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
func (c *Cluster) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.exec("SELECT 1")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready: %v\n%s", err, c.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exec runs a statement in the postgres database.
func (c *Cluster) exec(stmt string) error {
	db, err := sql.Open("pgx", c.DatabaseURL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
