package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/qrisprovider"
)

// qrisFlags say where the till's dynamic QRIS provider is.
type qrisFlags struct {
	provider  *string
	key       *string
	sandbox   *string
	reconcile *time.Duration
}

func addQRISFlags(fs *flag.FlagSet) *qrisFlags {
	return &qrisFlags{
		provider: fs.String("qris-provider", "", "base URL of the dynamic QRIS provider's API (none: dynamic QRIS is off; static QRIS needs nothing)"),
		key:      fs.String("qris-key", "", "the QRIS provider's API key (default $KASIR_QRIS_KEY)"),
		sandbox: fs.String("qris-sandbox", "", "serve the sandbox QRIS provider on this address (such as 127.0.0.1:8089) and use it; "+
			"with --demo and no --qris-provider it runs on a free loopback port"),
		reconcile: fs.Duration("qris-reconcile", 30*time.Second, "how often open QRIS charges are checked again while online"),
	}
}

// start connects the till to its dynamic QRIS provider, or to a sandbox
// served in-process (the demo: its /sandbox/ page is the customer's phone),
// and starts the reconciler. online is the uplink's; a till with no link to
// head office has nothing better to go by than the provider's own answers,
// so it offers dynamic QRIS whenever a provider is set up.
func (q *qrisFlags) start(ctx context.Context, till *appliance.Till, store appliance.QRISStore, online func() bool, demo bool, log *slog.Logger, stdout io.Writer) error {
	url, sandbox := *q.provider, *q.sandbox
	if url == "" && sandbox == "" && demo {
		sandbox = "127.0.0.1:0"
	}
	if sandbox != "" {
		ln, err := net.Listen("tcp", sandbox)
		if err != nil {
			return fmt.Errorf("QRIS sandbox: %w", err)
		}
		sb := qrisprovider.NewSandbox(qrisprovider.SandboxOptions{Logger: log})
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
	go till.RunQRIS(ctx, *q.reconcile, nil)
	log.Info("dynamic QRIS", "provider", url)
	return nil
}
