package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/kasirpos/kasir/image"
)

const usage = `usage: kasir-image <command> [flags]

commands:
  build   build the disk image (--target vm|rpi --out DIR [--version V] [--provision kasir.json] [--demo])
  push    update a till over the LAN (--till HOST[:PORT] --image FILE.img | --root F --boot F, --password-file F)

push refuses while the till has a cart open or a payment in progress, and
waits until the new version answers. The password is the till's own: it is
printed once on the till's console (serial header and screen) at first boot,
and kept on the till in /perm/gokr-pw.txt (from the card on Linux:
debugfs -R 'cat /gokr-pw.txt' /dev/sdX4).
`

// run is the whole program: a test can call it with its own arguments and
// writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch cmd := args[0]; cmd {
	case "build":
		return build(ctx, args[1:], stdout, stderr)
	case "push":
		return push(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func build(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg image.Config
	fs.StringVar(&cfg.Target, "target", image.TargetRPi, "rpi (Raspberry Pi 3B+/4/5) or vm (QEMU -M virt, arm64)")
	fs.StringVar(&cfg.Out, "out", "bin/image", "output directory")
	fs.StringVar(&cfg.Version, "version", "dev", "the till's version, in the file names and `kasir version`")
	fs.StringVar(&cfg.Provision, "provision", "", "kasir.json to put on the boot partition")
	fs.BoolVar(&cfg.Demo, "demo", false, "start the till with --demo (demo catalog, PINs 1111 and 9999)")
	fs.StringVar(&cfg.Source, "source", ".", "the kasir source tree (where go.mod is)")
	fs.StringVar(&cfg.CC, "cc", "aarch64-linux-gnu-gcc", "C cross compiler for the till's cgo SQLite")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("build: unexpected arguments %q", fs.Args())
	}
	cfg.Log = stdout
	start := time.Now()
	res, err := image.Build(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kasir-image: %s (sha256 %s) in %s\n", res.Image, res.Sum, time.Since(start).Round(time.Millisecond))
	return nil
}
