package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"
)

// server runs the whole kasir program in-process, as `kasir serve --demo`
// on a free loopback port with a fresh data directory.
type server struct {
	URL  string
	Data string
	Out  []string // what kasir printed before it served
	stop func()
	log  *lockedWriter
}

// Log is what kasir has logged so far (at --log-level warn).
func (s *server) Log() string {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.w.(*bytes.Buffer).String()
}

func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	logw := &lockedWriter{w: &stderr}
	done := make(chan error, 1)
	args := append([]string{"serve", "--demo", "--data", data, "--http", "127.0.0.1:0", "--log-level", "warn"}, extra...)
	go func() {
		err := run(ctx, args, pw, logw)
		pw.CloseWithError(fmt.Errorf("kasir exited: %v", err))
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	var url string
	var out []string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "kasir: serving on "); ok {
			url = a
			break
		}
		out = append(out, sc.Text())
	}
	if url == "" {
		cancel()
		t.Fatalf("kasir did not start: %v", sc.Err())
	}
	go io.Copy(io.Discard, pr)
	s := &server{URL: url, Data: data, Out: out, log: logw}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Error("kasir did not stop")
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// client is an API client with its own session cookie.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	lang string
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

type apiErr struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		RetryAfter int    `json:"retry_after_seconds"`
	} `json:"error"`
}

// do sends a JSON request and decodes the answer into out (if not nil). It
// returns the status and the raw body.
func (c *client) do(method, path string, body any, out any, hdr ...string) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, b
}

// must sends a request that must answer with status want.
func (c *client) must(want int, method, path string, body any, out any) []byte {
	c.t.Helper()
	got, b := c.do(method, path, body, out)
	if got != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, b)
	}
	return b
}

func (c *client) login(pin string) {
	c.t.Helper()
	c.must(200, "POST", "/api/v1/login", map[string]string{"pin": pin}, nil)
}

func errCode(b []byte) string {
	var e apiErr
	json.Unmarshal(b, &e)
	return e.Error.Code
}
