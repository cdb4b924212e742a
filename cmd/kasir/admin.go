package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/localstore"
)

func catalogImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("catalog import", stderr)
	tz := fs.String("tz", "Asia/Jakarta", "time zone for dates in the file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: kasir catalog import --data DIR FILE")
	}
	file := fs.Arg(0)
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("time zone: %w", err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	products, err := appliance.ParseCatalogCSV(bytes.NewReader(b), loc)
	if err != nil {
		// Row-numbered errors; nothing is applied.
		return fmt.Errorf("%s: %w\nnothing was imported", file, err)
	}
	// The running till keeps its catalog in memory: import while it is
	// stopped, so that what it sells is what was imported.
	unlock, err := lockData(*data)
	if err != nil {
		return err
	}
	defer unlock()
	db, err := localstore.Open(ctx, *data, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer db.Close()
	cfg, err := db.Config(ctx)
	if errors.Is(err, appliance.ErrNotFound) {
		cfg, err = appliance.DefaultConfig(), nil
	}
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, c := range cfg.TaxClasses {
		known[c.Code] = true
	}
	var unknown []string
	for _, p := range products {
		if !known[p.TaxClass] {
			unknown = append(unknown, p.SKU+" ("+p.TaxClass+")")
		}
	}
	if len(unknown) > 0 {
		if len(unknown) > 20 {
			unknown = append(unknown[:20], fmt.Sprintf("and %d more", len(unknown)-20))
		}
		return fmt.Errorf("%s: tax classes this till does not know: %s\nnothing was imported", file, strings.Join(unknown, ", "))
	}
	sum := sha256.Sum256(b)
	info := appliance.CatalogInfo{
		Version:  "csv-" + hex.EncodeToString(sum[:6]),
		LoadedAt: time.Now(),
		Source:   "csv:" + filepath.Base(file),
	}
	if err := db.ReplaceCatalog(ctx, info, products); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(stdout, "imported %d products from %s as catalog %s\n", len(products), file, info.Version)
	return nil
}

func userAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("user add", stderr)
	id := fs.String("id", "", "user id")
	name := fs.String("name", "", "name as shown on receipts")
	role := fs.String("role", "cashier", "cashier or supervisor")
	pin := fs.String("pin", "", "PIN, 4 to 8 digits, unique on this till")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := localstore.Open(ctx, *data, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer db.Close()
	till, err := appliance.NewTill(ctx, appliance.TillOptions{Store: db, Catalog: db, Printer: nopDevice{}, Drawer: nopDevice{}})
	if err != nil {
		return err
	}
	u := appliance.User{ID: *id, Name: *name, Role: appliance.Role(*role)}
	if err := till.AddUser(ctx, u, *pin); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s (%s) saved\n", *id, *role)
	return nil
}

func journalVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("journal verify", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := localstore.Open(ctx, *data, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer db.Close()
	prev, after, n := appliance.GenesisHash, int64(0), 0
	for {
		es, err := db.Journal(ctx, after, 1000)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			break
		}
		if prev, err = appliance.VerifyJournal(prev, es); err != nil {
			return err
		}
		after = es[len(es)-1].ID
		n += len(es)
	}
	fmt.Fprintf(stdout, "journal ok: %d entries, head %s\n", n, prev)
	return nil
}

// nopDevice stands in for devices in commands that never print.
type nopDevice struct{}

func (nopDevice) Print(context.Context, *appliance.Receipt) error { return nil }
func (nopDevice) Open(context.Context) error                      { return nil }
func (nopDevice) Status() appliance.DeviceStatus {
	return appliance.DeviceStatus{State: appliance.DeviceAbsent}
}
