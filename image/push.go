package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Push errors a caller may want to tell apart.
var (
	ErrTillBusy     = errors.New("image: the till is busy")
	ErrNoBusyCheck  = errors.New("image: the till cannot say whether it is busy")
	ErrBadPassword  = errors.New("image: the till refused the update password")
	ErrHashMismatch = errors.New("image: the till wrote different bytes than were sent")
)

// PushResult says how long a push took.
type PushResult struct {
	Bytes  int64         // uploaded: root and boot
	Upload time.Duration // the uploads, the till's writes and hash checks included
	Reboot time.Duration // from asking the till to reboot to the new version answering
}

// PushConfig says which till to update and with what.
type PushConfig struct {
	// Till is the till's API, host or host:port (port 8080 when absent).
	Till string
	// Gokrazy is gokrazy's web server on the till, host:port; the Till's
	// host on port 80 when empty.
	Gokrazy string
	// Password is the till's gokrazy password (/perm/gokr-pw.txt).
	Password string
	Update   *Update
	// Version is the version that must answer after the reboot; the
	// update's own (its boot partition's VersionFile) when empty.
	Version string
	// Force skips the busy check (for a till whose software predates it).
	Force bool
	// Wait bounds the wait for the till to answer again after the reboot;
	// 5 minutes when zero.
	Wait time.Duration
	// Client sends the requests; a client with no overall timeout (the
	// uploads take as long as the line needs) when nil.
	Client *http.Client
	Log    io.Writer // progress; nil for none
}

// Push updates a running till through gokrazy's update endpoints: it
// refuses while the till is busy (a cart open, a payment in progress),
// writes the root file system to the inactive root partition, checks
// again that the till is not busy (the upload takes a while), writes the
// boot partition, switches cmdline.txt to the new root, lets a sale begun
// meanwhile finish, reboots, and waits until the new version answers. Each upload is checked against the
// SHA-256 the till computed of what it wrote. /perm, and the sales on it,
// are not touched.
//
// A refusal or a failure up to the root upload leaves the till as it was:
// the inactive partition is read by no one. From the boot upload on, a
// failure needs another push (gokrazy's boot partition names root A until
// the switch).
func Push(ctx context.Context, cfg PushConfig) (*PushResult, error) {
	res := &PushResult{}
	if cfg.Update == nil || cfg.Update.Root == nil || cfg.Update.Boot == nil {
		return nil, errors.New("image: push: no update to send")
	}
	want := cfg.Version
	if want == "" {
		want = cfg.Update.Version
	}
	if want == "" {
		return nil, errors.New("image: push: the update does not say its version (no " + VersionFile + " on its boot partition): give it")
	}
	till := cfg.Till
	if _, _, err := net.SplitHostPort(till); err != nil {
		till = net.JoinHostPort(till, "8080")
	}
	gok := cfg.Gokrazy
	if gok == "" {
		host, _, _ := net.SplitHostPort(till)
		gok = net.JoinHostPort(host, "80")
	}
	if cfg.Wait == 0 {
		cfg.Wait = 5 * time.Minute
	}
	hc := cfg.Client
	if hc == nil {
		hc = &http.Client{}
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	p := &pusher{hc: hc, till: "http://" + till, gok: "http://" + gok, password: cfg.Password}

	from, err := p.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("image: push: ask the till its version: %w", err)
	}
	if !cfg.Force {
		if err := p.notBusy(ctx); err != nil {
			return nil, err
		}
	}
	if err := p.features(ctx); err != nil {
		return nil, err
	}
	logf("updating %s from %s to %s", till, from, want)
	for i, step := range []struct {
		path string
		p    *Payload
	}{{"/update/root", cfg.Update.Root}, {"/update/boot", cfg.Update.Boot}} {
		// The root upload takes a while; a cashier may have started a
		// sale since. Nothing the till boots has changed yet.
		if i == 1 && !cfg.Force {
			if err := p.notBusy(ctx); err != nil {
				return nil, fmt.Errorf("%w (nothing the till boots was changed)", err)
			}
		}
		start := time.Now()
		if err := p.upload(ctx, step.path, step.p); err != nil {
			if i == 1 {
				// gokrazy writes the boot partition in place: a
				// broken upload leaves it broken.
				return nil, fmt.Errorf("%w: the boot partition may be incomplete: push again before the till restarts", err)
			}
			return nil, err
		}
		d := time.Since(start)
		res.Upload += d
		res.Bytes += step.p.Size
		logf("%s: %d bytes in %s (%.1f MB/s), sha256 %s checked", step.path, step.p.Size, d.Round(time.Millisecond),
			float64(step.p.Size)/d.Seconds()/1e6, step.p.SHA256[:12])
	}
	if err := p.post(ctx, "/update/switch", ""); err != nil {
		return nil, fmt.Errorf("image: push: switch to the new root: %w", err)
	}
	// A sale started during the boot upload is let finish: the reboot
	// waits for it, within the wait.
	if !cfg.Force {
		if err := p.waitIdle(ctx, cfg.Wait, logf); err != nil {
			return nil, fmt.Errorf("%w (switched: the till runs %s from its next restart)", err, want)
		}
	}
	logf("switched to the new root; rebooting")
	start := time.Now()
	if err := p.post(ctx, "/reboot", "wait_per_signal=30s"); err != nil {
		// The till may drop the connection as it goes down.
		logf("reboot: %v (waiting for the till anyway)", err)
	}
	got, err := p.waitVersion(ctx, want, cfg.Wait)
	if err != nil {
		return nil, fmt.Errorf("image: push: after the reboot: %w", err)
	}
	res.Reboot = time.Since(start)
	logf("%s answers with version %s after %s", till, got, res.Reboot.Round(100*time.Millisecond))
	return res, nil
}

type pusher struct {
	hc        *http.Client
	till, gok string
	password  string
}

// version asks the till its version: /healthz's "version" where the till
// answers JSON there, else /api/v1/status's.
func (p *pusher) version(ctx context.Context) (string, error) {
	for _, path := range []string{"/healthz", "/api/v1/status"} {
		var v struct {
			Version string `json:"version"`
		}
		code, body, err := p.getJSON(ctx, p.till+path, &v)
		if err != nil {
			return "", err
		}
		if code == http.StatusOK && v.Version != "" {
			return v.Version, nil
		}
		if code != http.StatusOK && path == "/api/v1/status" {
			return "", fmt.Errorf("GET %s: %d %s", path, code, strings.TrimSpace(body))
		}
	}
	return "", errors.New("neither /healthz nor /api/v1/status says the version")
}

// notBusy asks the till whether a cart is open or a payment in progress.
func (p *pusher) notBusy(ctx context.Context) error {
	var b struct {
		Busy   *bool  `json:"busy"`
		Reason string `json:"reason"`
	}
	code, body, err := p.getJSON(ctx, p.till+"/api/v1/busy", &b)
	switch {
	case err != nil:
		return fmt.Errorf("image: push: ask whether the till is busy: %w", err)
	case code == http.StatusNotFound || code == http.StatusOK && b.Busy == nil:
		return fmt.Errorf("%w: GET /api/v1/busy answered %d (software older than the busy check?); make sure no sale is open and push with --force", ErrNoBusyCheck, code)
	case code != http.StatusOK:
		return fmt.Errorf("image: push: GET /api/v1/busy: %d %s", code, strings.TrimSpace(body))
	case *b.Busy:
		reason := b.Reason
		if reason == "" {
			reason = "a sale is open"
		}
		return fmt.Errorf("%w: %s; push again once it is done", ErrTillBusy, reason)
	}
	return nil
}

// features checks the password and that gokrazy on the till writes
// partitions by PARTUUID and answers with the hash of what it wrote.
func (p *pusher) features(ctx context.Context) error {
	req, err := p.gokReq(ctx, "GET", "/update/features", nil)
	if err != nil {
		return err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return fmt.Errorf("image: push: reach gokrazy on the till: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return ErrBadPassword
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("image: push: GET /update/features: %s %s", resp.Status, strings.TrimSpace(string(b)))
	}
	for _, f := range []string{"partuuid", "updatehash"} {
		if !strings.Contains(string(b), f) {
			return fmt.Errorf("image: push: gokrazy on the till lacks %q (features %q)", f, b)
		}
	}
	return nil
}

func (p *pusher) upload(ctx context.Context, path string, pl *Payload) error {
	req, err := p.gokReq(ctx, "PUT", path, pl.Reader())
	if err != nil {
		return err
	}
	req.ContentLength = pl.Size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Gokrazy-Update-Hash", "sha256")
	resp, err := p.hc.Do(req)
	if err != nil {
		return fmt.Errorf("image: push: PUT %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	got := strings.TrimSpace(string(b))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return ErrBadPassword
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("image: push: PUT %s: %s %s", path, resp.Status, got)
	case got != pl.SHA256:
		return fmt.Errorf("%w: PUT %s: sha256 %s, sent %s", ErrHashMismatch, path, got, pl.SHA256)
	}
	return nil
}

func (p *pusher) post(ctx context.Context, path, query string) error {
	if query != "" {
		path += "?" + query
	}
	req, err := p.gokReq(ctx, "POST", path, nil)
	if err != nil {
		return err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusUnauthorized {
		return ErrBadPassword
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return nil
}

// waitIdle waits until the till is not busy, for at most wait.
func (p *pusher) waitIdle(ctx context.Context, wait time.Duration, logf func(string, ...any)) error {
	deadline := time.Now().Add(wait)
	for logged := false; ; logged = true {
		err := p.notBusy(ctx)
		if err == nil || !errors.Is(err, ErrTillBusy) || time.Now().After(deadline) {
			return err
		}
		if !logged {
			logf("waiting for the till to finish its sale before rebooting: %v", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// waitVersion polls the till until it answers with version want, for at
// least wait and at least once (each request has its own timeout). A till
// that comes back with another version is reported as such once the wait
// is over: it may still be going down when first asked.
func (p *pusher) waitVersion(ctx context.Context, want string, wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		v, err := p.version(ctx)
		switch {
		case err == nil && v == want:
			return v, nil
		case err == nil:
			err = fmt.Errorf("the till answers with version %s, want %s", v, want)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no version %s within %s: %w", want, wait, err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (p *pusher) gokReq(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.gok+path, body)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("gokrazy", p.password)
	return req, nil
}

// getJSON GETs url with a short timeout and decodes a 200's JSON body
// into out; a body that is not JSON leaves out as it was.
func (p *pusher) getJSON(ctx context.Context, url string, out any) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode == http.StatusOK {
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode, string(b), nil
}
