package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/demo"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/wire"
)

// childApply is set when this program runs as the child of benchCatalogApply:
// "MODE,DIR,N[,ENVELOPE]". A child of its own gives the peak RSS of the
// application alone.
var childApply string

type applyResult struct {
	Seconds float64 `json:"seconds"`
	PeakRSS int64   `json:"peak_rss"`
}

// benchCatalogApply applies a signed, compressed n-product catalog on a
// till (verify, decompress, decode, validate, replace in one transaction),
// next to a bare ReplaceCatalog of the same products, each in a fresh child
// process so that peak RSS is the application's own.
func benchCatalogApply(ctx context.Context, dir string, n int, out io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	body, err := json.Marshal(wire.CatalogBody{Products: demo.Generate(n, 11)})
	if err != nil {
		return err
	}
	env, err := wire.Seal(priv, wire.KindCatalog, 1, time.Now(), "S001", "", body, true)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(env)
	pub := priv.Public().(ed25519.PublicKey)
	envFile := filepath.Join(dir, "catalog.env")
	if err := os.WriteFile(envFile, raw, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(envFile+".pub", pub, 0o644); err != nil {
		return err
	}
	child := func(mode string) (applyResult, error) {
		var r applyResult
		d := filepath.Join(dir, mode)
		cmd := exec.CommandContext(ctx, os.Args[0], "-child-apply", strings.Join([]string{mode, d, strconv.Itoa(n), envFile}, ","))
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		if err != nil {
			return r, fmt.Errorf("child %s: %w", mode, err)
		}
		return r, json.Unmarshal(b, &r)
	}
	signed, err := child("envelope")
	if err != nil {
		return err
	}
	bare, err := child("bare")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n", fmt.Sprintf("apply signed %dk catalog on the till", n/1000),
		fmt.Sprintf("%.2fs", signed.Seconds), "", "bare ReplaceCatalog, same products", fmt.Sprintf("%.2fs", bare.Seconds), "", signed.Seconds/bare.Seconds)
	fmt.Fprintf(out, "%-44s %12s %12s   %-34s %12s %12s %8.2f\n", "  peak RSS of that till process", mib(signed.PeakRSS), "",
		"same, bare ReplaceCatalog", mib(bare.PeakRSS), "", float64(signed.PeakRSS)/float64(bare.PeakRSS))
	fmt.Fprintf(out, "  envelope: %.1f MiB gzip for %.1f MiB of catalog JSON\n", float64(len(raw))/(1<<20), float64(len(body))/(1<<20))
	return nil
}

type nopApply struct{}

func (nopApply) Print(context.Context, *appliance.Receipt) error { return nil }
func (nopApply) Open(context.Context) error                      { return nil }
func (nopApply) Status() appliance.DeviceStatus                  { return appliance.DeviceStatus{} }

// runChildApply is the child's side: apply once and print the figures.
func runChildApply(spec string) error {
	f := strings.Split(spec, ",")
	if len(f) != 4 {
		return fmt.Errorf("bad -child-apply %q", spec)
	}
	mode, dir, envFile := f[0], f[1], f[3]
	n, _ := strconv.Atoi(f[2])
	ctx := context.Background()
	db, err := localstore.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	switch mode {
	case "envelope":
		till, err := appliance.NewTill(ctx, appliance.TillOptions{Store: db, Catalog: db, Printer: nopApply{}, Drawer: nopApply{}})
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(envFile)
		if err != nil {
			return err
		}
		pub, err := os.ReadFile(envFile + ".pub")
		if err != nil {
			return err
		}
		start = time.Now()
		env, body, err := wire.Open(raw, ed25519.PublicKey(pub), 512<<20)
		if err != nil {
			return err
		}
		var c wire.CatalogBody
		if err := json.Unmarshal(body, &c); err != nil {
			return err
		}
		if err := till.ApplyCatalog(ctx, env.Version, c.Products); err != nil {
			return err
		}
	default:
		ps := demo.Generate(n, 11)
		start = time.Now()
		if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "bare", LoadedAt: time.Now()}, ps); err != nil {
			return err
		}
	}
	r := applyResult{Seconds: time.Since(start).Seconds(), PeakRSS: peakRSS(os.Getpid())}
	return json.NewEncoder(os.Stdout).Encode(r)
}
