package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/kasirpos/kasir/headoffice"
)

var version = "dev"

const usage = `usage: kasir-hq <command> [flags]

commands:
  serve            run head office: embedded broker (TLS), ingest, fleet page
                   (--data DIR --http ADDR --mqtt ADDR [--host NAME] [--broker URL] [--db postgres://…] [--plain-mqtt])
  ingest           an extra ingest worker on a shared subscription (--data DIR --broker URL [--db postgres://…])
  keys init        make head office's signing key pair, its CA and the broker's certificate (--data DIR [--host NAME])
  keys rotate      replace the signing key, announced to every till under the old one (--data DIR [--broker URL])
  till add         register a till: its broker login, signing key and provisioning file
                   (--data DIR --store S --till T --broker ssl://HOST:8883 [--out FILE] [--db URL])
  catalog publish  sign and publish a catalog to a store (--data DIR [--db URL] --store S FILE.csv)
  config publish   sign and publish a config (--data DIR [--db URL] --store S|all [--till T] FILE.json)
  fleet            list the tills (--data DIR [--db URL] [--json])
  version          print the version
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	two := func(want string) bool { return len(args) >= 2 && args[1] == want }
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "ingest":
		return ingest(ctx, args[1:], stdout, stderr)
	case "keys":
		if two("init") {
			return keysInit(ctx, args[2:], stdout, stderr)
		}
		if two("rotate") {
			return keysRotate(ctx, args[2:], stdout, stderr)
		}
	case "till":
		if two("add") {
			return tillAdd(ctx, args[2:], stdout, stderr)
		}
	case "catalog":
		if two("publish") {
			return catalogPublish(ctx, args[2:], stdout, stderr)
		}
	case "config":
		if two("publish") {
			return configPublish(ctx, args[2:], stdout, stderr)
		}
	case "fleet":
		return fleet(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "kasir-hq", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", strings.Join(args[:min(2, len(args))], " "))
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

// hqStore is head office's database as kasir-hq uses it: SQLite under
// --data (headoffice.DB) or PostgreSQL (headoffice.PG).
type hqStore interface {
	headoffice.Store
	Handler(log *slog.Logger) http.Handler
	Close() error
}

// dbFlag adds --db to a command that opens head office's database.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "", "store in PostgreSQL at this URL (postgres://user@host:5432/db?sslmode=…) instead of SQLite under --data")
}

// openStore opens PostgreSQL when db is a postgres:// URL, else SQLite
// under data.
func openStore(ctx context.Context, data, db string, log *slog.Logger) (hqStore, error) {
	switch {
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		pg, err := headoffice.OpenPostgres(ctx, db, log)
		if err != nil {
			return nil, err
		}
		return pg, nil
	case db != "":
		return nil, fmt.Errorf("--db %q: want a postgres:// URL, or no --db for SQLite under --data", db)
	}
	sq, err := headoffice.Open(ctx, data, log)
	if err != nil {
		return nil, err
	}
	return sq, nil
}

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./hq-data", "head office's data directory")
	return fs, data
}
