// Command kasir-image builds the till's bootable disk image. See
// `kasir-image help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	// The kernels and the Pi firmware are modules that the builder copies
	// files from; importing their (empty) packages keeps them in go.mod.
	_ "github.com/gokrazy/firmware"
	_ "github.com/gokrazy/kernel.arm64"
	_ "github.com/gokrazy/kernel.rpi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kasir-image:", err)
		os.Exit(1)
	}
}
