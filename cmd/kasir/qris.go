package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/qris"
	"github.com/kasirpos/kasir/qrisprovider"
)

// qrisWebhookPath is where the till takes the provider's notifications.
const qrisWebhookPath = "/api/v1/qris/webhook"

// qrisFlags say where the till's dynamic QRIS provider is.
type qrisFlags struct {
	provider  *string
	key       *string
	sandbox   *string
	reconcile *time.Duration
	secret    *string

	hook *qrisprovider.Webhook // set by start when notifications are on

	mu     sync.Mutex
	addr   net.Addr              // where the till listens, once it does
	sbHook *qrisprovider.Sandbox // the in-process sandbox, told the till's address
	sbKey  string                // the secret it signs with
	log    *slog.Logger
}

func addQRISFlags(fs *flag.FlagSet) *qrisFlags {
	return &qrisFlags{
		provider: fs.String("qris-provider", "", "base URL of the dynamic QRIS provider's API (none: dynamic QRIS is off; static QRIS needs nothing)"),
		key:      fs.String("qris-key", "", "the QRIS provider's API key (default $KASIR_QRIS_KEY)"),
		sandbox: fs.String("qris-sandbox", "", "serve the sandbox QRIS provider on this address (such as 127.0.0.1:8089) and use it; "+
			"with --demo and no --qris-provider it runs on a free loopback port"),
		reconcile: fs.Duration("qris-reconcile", 30*time.Second, "how often open QRIS charges are checked again while online"),
		secret: fs.String("qris-webhook-secret", "", "the shared secret the QRIS provider signs its notifications with (default $KASIR_QRIS_WEBHOOK_SECRET); "+
			"when set, the till takes them at POST "+qrisWebhookPath+" and checks the charge at once. An in-process sandbox always notifies the till"),
	}
}

// start connects the till to its dynamic QRIS provider, or to a sandbox
// served in-process (the demo: its /sandbox/ page is the customer's phone),
// and starts the reconciler. online is the uplink's; a till with no link to
// head office has nothing better to go by than the provider's own answers,
// so it offers dynamic QRIS whenever a provider is set up. In demo mode a
// stored config from before QRIS gets the demo QRIS methods.
func (q *qrisFlags) start(ctx context.Context, till *appliance.Till, store appliance.QRISStore, online func() bool, demo bool, log *slog.Logger, stdout io.Writer) error {
	if demo {
		added, err := till.AddDemoQRIS(ctx)
		if err != nil {
			return fmt.Errorf("demo QRIS: %w", err)
		}
		if added {
			log.Info("demo: the stored config had no QRIS method; added static and dynamic QRIS with the demo shop's static code",
				"qris_static", appliance.DemoQRIS)
		}
	}
	url, sandbox := *q.provider, *q.sandbox
	if url == "" && sandbox == "" && demo {
		sandbox = "127.0.0.1:0"
	}
	secret := *q.secret
	if secret == "" {
		secret = os.Getenv("KASIR_QRIS_WEBHOOK_SECRET")
	}
	if sandbox != "" && secret == "" {
		secret = rand.Text() // only the in-process sandbox needs to know it
	}
	var sb *qrisprovider.Sandbox
	if sandbox != "" {
		ln, err := net.Listen("tcp", sandbox)
		if err != nil {
			return fmt.Errorf("QRIS sandbox: %w", err)
		}
		sb = qrisprovider.NewSandbox(qrisprovider.SandboxOptions{Logger: log})
		go func() {
			if err := sb.Serve(ctx, ln); err != nil {
				log.Error("QRIS sandbox stopped", "err", err)
			}
		}()
		sbURL := "http://" + ln.Addr().String()
		fmt.Fprintf(stdout, "kasir: QRIS sandbox (the customer's phone) on %s/sandbox/\n", sbURL)
		if url == "" {
			url = sbURL
		}
	}
	if url == "" {
		return nil
	}
	key := *q.key
	if key == "" {
		key = os.Getenv("KASIR_QRIS_KEY")
	}
	if online == nil {
		online = func() bool { return true }
	}
	till.UseQRIS(appliance.QRISOptions{Provider: qrisprovider.NewClient(url, key), Store: store, Online: online})
	var notes <-chan qris.Charge
	if secret != "" {
		q.hook = qrisprovider.NewWebhook(secret)
		notes = q.hook.Notifications()
		if sb != nil {
			q.mu.Lock()
			q.sbHook, q.sbKey, q.log = sb, secret, log
			q.mu.Unlock()
			q.tellSandbox()
		}
	}
	go till.RunQRIS(ctx, *q.reconcile, notes)
	log.Info("dynamic QRIS", "provider", url, "notifications", q.hook != nil)
	return nil
}

// webhook is the handler the till's web server mounts at qrisWebhookPath;
// nil when notifications are off.
func (q *qrisFlags) webhook() http.Handler {
	if q == nil || q.hook == nil {
		return nil
	}
	return q.hook
}

// listening hears where the till's web server listens, so that an
// in-process sandbox can notify it.
func (q *qrisFlags) listening(addr net.Addr) {
	q.mu.Lock()
	q.addr = addr
	q.mu.Unlock()
	q.tellSandbox()
}

// tellSandbox points the in-process sandbox's webhook at the till, once
// both exist.
func (q *qrisFlags) tellSandbox() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.sbHook == nil || q.addr == nil {
		return
	}
	url := "http://" + loopback(q.addr) + qrisWebhookPath
	q.sbHook.SetWebhook(url, q.sbKey)
	q.log.Info("QRIS sandbox notifies the till", "url", url)
}

// loopback is addr as the same machine reaches it: an unspecified address
// (":8080") becomes 127.0.0.1.
func loopback(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
