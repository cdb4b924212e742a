// Command kasir-hq is head office: the embedded broker, the ingest of every
// till's sales, the fleet page, and the signed publishing of catalogs and
// configs. See `kasir-hq help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kasir-hq:", err)
		os.Exit(1)
	}
}
