package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kasirpos/kasir/image"
)

// push updates a running till over the network; see image.Push.
func push(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg      image.PushConfig
		img      = fs.String("image", "", "the disk image that `kasir-image build` wrote (kasir-V-rpi.img)")
		root     = fs.String("root", "", "a root file system (squashfs), with --boot, instead of --image")
		boot     = fs.String("boot", "", "a boot partition (FAT), with --root, instead of --image")
		pwFile   = fs.String("password-file", "", "the till's update password (printed on its console at first boot; /perm/gokr-pw.txt)")
		waitFlag = fs.Duration("wait", 5*time.Minute, "how long to wait for the new version to answer after the reboot")
	)
	fs.StringVar(&cfg.Till, "till", "", "the till's address, HOST or HOST:PORT (port 8080 when absent)")
	fs.StringVar(&cfg.Gokrazy, "gokrazy", "", "gokrazy's web server on the till, HOST:PORT (the till's host, port 80, when empty)")
	fs.StringVar(&cfg.Version, "version", "", "the version that must answer afterwards (the image's own when empty)")
	fs.BoolVar(&cfg.Force, "force", false, "skip the check that no sale is open (for tills whose software cannot answer it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("push: unexpected arguments %q", fs.Args())
	case cfg.Till == "":
		return errors.New("push: --till is required")
	case *pwFile == "":
		return errors.New("push: --password-file is required")
	case (*img == "") == (*root == "" && *boot == ""):
		return errors.New("push: give either --image or --root and --boot")
	case *img == "" && (*root == "" || *boot == ""):
		return errors.New("push: --root and --boot go together")
	}
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		return fmt.Errorf("push: password: %w", err)
	}
	cfg.Password = strings.TrimSpace(string(pw))
	if *img != "" {
		cfg.Update, err = image.OpenUpdate(*img)
	} else {
		cfg.Update, err = image.OpenUpdateFiles(*root, *boot)
	}
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	defer cfg.Update.Close()
	cfg.Wait = *waitFlag
	cfg.Log = stdout
	start := time.Now()
	res, err := image.Push(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kasir-image: %s updated in %s (%d bytes sent in %s)\n", cfg.Till,
		time.Since(start).Round(100*time.Millisecond), res.Bytes, res.Upload.Round(100*time.Millisecond))
	return nil
}
