package mqtttest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binaries the package runs.
const (
	MosquittoPath = "/usr/sbin/mosquitto"
	PasswdPath    = "/usr/bin/mosquitto_passwd"
)

// Broker is a running Mosquitto.
type Broker struct {
	t    testing.TB
	dir  string
	conf string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *syncWriter
	wait chan struct{}
}

// Option configures a broker before it starts.
type Option func(*config)

type config struct {
	users []user
	acl   []string
}

type user struct{ name, pass string }

// AddUser adds a user to the password file.
func AddUser(name, pass string) Option {
	return func(c *config) { c.users = append(c.users, user{name, pass}) }
}

// ACL appends text to the ACL file (Mosquitto 2 syntax: "user NAME", then
// "topic read|write|readwrite FILTER" lines). TillACL and HeadOfficeACL
// make the lines Kasir needs.
func ACL(text string) Option {
	return func(c *config) { c.acl = append(c.acl, text) }
}

// TillACL is what till {store}/{till}, connecting as user, may do: write
// under its own pos/up, read its own acks and config and its store's
// catalog and config, and the fleet's config.
func TillACL(store, till, user string) string {
	return fmt.Sprintf(`user %[3]s
topic write pos/up/%[1]s/%[2]s/#
topic read pos/down/%[1]s/%[2]s/#
topic read pos/down/%[1]s/catalog
topic read pos/down/%[1]s/config
topic read pos/down/all/config
topic read pos/down/all/keys
`, store, till, user)
}

// HeadOfficeACL lets user read and write everything under pos/, shared
// subscriptions ($share/kasir/pos/up/+/+/sales) included.
func HeadOfficeACL(user string) string {
	return fmt.Sprintf("user %s\ntopic readwrite pos/#\n", user)
}

// Start starts Mosquitto on a free 127.0.0.1 port, waits until it accepts
// connections and stops it when the test ends. Anonymous clients are
// refused; persistence is off, so retained messages do not survive Restart.
func Start(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	for _, p := range []string{MosquittoPath, PasswdPath} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("mqtttest: %s is missing (Debian packages mosquitto, mosquitto-clients): run make deps", p)
		}
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	b := &Broker{t: t, dir: t.TempDir()}
	passwd := filepath.Join(b.dir, "passwd")
	if err := os.WriteFile(passwd, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range c.users {
		out, err := exec.Command(PasswdPath, "-b", passwd, u.name, u.pass).CombinedOutput()
		if err != nil {
			t.Fatalf("mqtttest: mosquitto_passwd %s: %v: %s", u.name, err, out)
		}
	}
	acl := filepath.Join(b.dir, "acl")
	if err := os.WriteFile(acl, []byte(strings.Join(c.acl, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	// A port can be taken between finding and binding it: try a few.
	var err error
	for range 5 {
		b.port, err = freePort()
		if err != nil {
			t.Fatalf("mqtttest: %v", err)
		}
		b.conf = filepath.Join(b.dir, "mosquitto.conf")
		conf := fmt.Sprintf(`# made by mqtttest
listener %d 127.0.0.1
allow_anonymous false
password_file %s
acl_file %s
persistence false
log_dest stderr
log_type error
log_type warning
log_type notice
connection_messages true
max_inflight_messages 20
max_queued_messages 100000
`, b.port, passwd, acl)
		// Run as root (CI does), Mosquitto would switch to the mosquitto
		// user, who cannot read the test's private directory.
		if os.Geteuid() == 0 {
			conf += "user root\n"
		}
		if err := os.WriteFile(b.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		if err = b.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	t.Cleanup(b.stop)
	return b
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr is the broker's host:port.
func (b *Broker) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)) }

// URL is the broker's address for mqttconn: tcp://127.0.0.1:PORT.
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

func (b *Broker) start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := &syncWriter{}
	cmd := exec.Command(MosquittoPath, "-c", b.conf)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mosquitto: %w", err)
	}
	wait := make(chan struct{})
	go func() { cmd.Wait(); close(wait) }()
	b.cmd, b.out, b.wait = cmd, out, wait
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-wait:
			return fmt.Errorf("mosquitto exited at start: %s", out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", b.Addr(), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-wait
			return fmt.Errorf("mosquitto does not accept on %s: %s", b.Addr(), out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill ends the broker with SIGKILL: no will is sent, no socket is closed
// cleanly, nothing is saved.
func (b *Broker) Kill() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.wait
	b.cmd = nil
}

// Restart starts the broker again on the same port, killing it first if it
// still runs.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Kill()
	var err error
	// The port stays ours unless another process grabs it in between;
	// Mosquitto binds with SO_REUSEADDR, so TIME_WAIT is no obstacle.
	for range 50 {
		if err = b.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("mqtttest: restart: %v", err)
}

// Log is what the broker wrote so far.
func (b *Broker) Log() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.out == nil {
		return ""
	}
	return b.out.String()
}

func (b *Broker) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.wait:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-b.wait
	}
	b.cmd = nil
	if b.t.Failed() {
		b.t.Logf("mosquitto log:\n%s", b.out.String())
	}
}

// syncWriter lets Log read while the process writes.
type syncWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
