package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: kasir <command> [flags]

commands:
  serve            run the till (flags: --data DIR --http ADDR --demo)
  catalog import   replace the catalog from a CSV file (--data DIR FILE)
  user add         add or replace a user (--data DIR --id ID --name NAME --role cashier|supervisor --pin PIN)
  journal verify   check the journal's hash chain (--data DIR)
  devices          list serial ports (USB VID:PID) and USB printers for the devices file
  version          print the version
`

// run is the whole program: a test can call it with its own arguments and
// writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch cmd := args[0]; cmd {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "catalog":
		if len(args) < 2 || args[1] != "import" {
			return errors.New("usage: kasir catalog import --data DIR FILE")
		}
		return catalogImport(ctx, args[2:], stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "add" {
			return errors.New("usage: kasir user add --data DIR --id ID --name NAME --role ROLE --pin PIN")
		}
		return userAdd(ctx, args[2:], stdout, stderr)
	case "journal":
		if len(args) < 2 || args[1] != "verify" {
			return errors.New("usage: kasir journal verify --data DIR")
		}
		return journalVerify(ctx, args[2:], stdout, stderr)
	case "devices":
		return devices(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "kasir", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "data directory (the till's database lives here)")
	return fs, data
}
