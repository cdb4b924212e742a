package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/demo"
	"github.com/kasirpos/kasir/appliance/web"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/uplink"
	"github.com/kasirpos/kasir/wire"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("serve", stderr)
	addr := fs.String("http", ":8080", "address to serve the UI and API on")
	withDemo := fs.Bool("demo", false, "seed an empty database with the demo catalog and PINs (cashier 1111, supervisor 9999)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	provision := fs.String("provision", "", "provisioning file (kasir.json from `kasir-hq till add`): identity and the link to head office")
	allow := fs.String("allow-host", "", "comma-separated host names the till answers to, besides IP addresses, localhost and its hostname")
	devicesFile := fs.String("devices", "", "devices file (printer, drawer, display, scanners); overrides the provisioning file's devices")
	qf := addQRISFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *level)
	log.Info("starting", "version", version, "data", *data)

	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	var prov *wire.Provision
	if *provision != "" {
		p, err := wire.ReadProvision(*provision)
		if err != nil {
			return fmt.Errorf("provisioning: %w", err)
		}
		prov = p
	}
	var devs *wire.Devices
	if prov != nil {
		devs = prov.Devices
	}
	if *devicesFile != "" {
		d, err := wire.ReadDevices(*devicesFile)
		if err != nil {
			return fmt.Errorf("devices: %w", err)
		}
		devs = d
	}
	unlock, err := lockData(*data)
	if err != nil {
		return err
	}
	defer unlock()
	hosts := strings.FieldsFunc(*allow, func(r rune) bool { return r == ',' || r == ' ' })
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h, h+".local", h+".lan")
	}
	var handler http.Handler
	db, err := localstore.Open(ctx, *data, log)
	switch {
	case appliance.ErrorCode(err) == appliance.CodeCorrupt:
		// Refuse to sell, say why on the screen, and leave the file alone
		// for recovery.
		log.Error("database failed its integrity check; selling is refused", "path", filepath.Join(*data, "kasir.db"), "err", err)
		handler = web.Unavailable(err, log)
	case err != nil:
		return fmt.Errorf("open database: %w", err)
	default:
		defer db.Close()
		h, err := build(ctx, db, *data, *withDemo, prov, devs, qf, hosts, log, stdout)
		if err != nil {
			return err
		}
		handler = h
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "kasir: serving on http://%s\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	log.Info("stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// build wires the till from its store, the virtual devices and, when
// provisioned, its link to head office.
func build(ctx context.Context, db *localstore.DB, data string, withDemo bool, prov *wire.Provision, devs *wire.Devices, qf *qrisFlags, hosts []string, log *slog.Logger, stdout io.Writer) (http.Handler, error) {
	hw, err := openHardware(devs, data, log)
	if err != nil {
		return nil, err
	}
	opts := appliance.TillOptions{Store: db, Catalog: db, Printer: hw.printer, Drawer: hw.drawer, Log: log, Version: version,
		OnCustomer: hw.showCustomer, ReceiptWidth: hw.width}
	var up *uplink.Uplink
	var till *appliance.Till
	if prov != nil {
		// The uplink asks for the till's versions only once it runs, after
		// the till below exists.
		status := func() wire.Status { return presence(ctx, till) }
		if up, err = newUplink(prov, db, status, log); err != nil {
			return nil, err
		}
		opts.Online, opts.OnCommit = up.Online, up.Kick
	}
	till, err = appliance.NewTill(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start till: %w", err)
	}
	var uplinkSwitch func(bool)
	if prov != nil {
		if err := till.SetIdentity(ctx, prov.Store, prov.Till, prov.TimeZone); err != nil {
			return nil, fmt.Errorf("provisioning: %w", err)
		}
		if err := startDownlink(ctx, prov, up, till, log); err != nil {
			return nil, err
		}
		go up.Run(ctx)
		log.Info("uplink started", "broker", prov.Broker, "store", prov.Store, "till", prov.Till)
		if withDemo {
			uplinkSwitch = up.SetEnabled
		}
	}
	if withDemo {
		if err := seedDemo(ctx, db, till, log, stdout); err != nil {
			return nil, err
		}
	}
	if err := qf.start(ctx, till, db, opts.Online, withDemo, log, stdout); err != nil {
		return nil, err
	}
	if users, err := db.Users(ctx); err == nil && len(users) == 0 {
		log.Warn("no users: add one with `kasir user add`, or start with --demo")
	}
	srv := web.New(web.Options{Till: till, Catalog: db, Paper: hw.paper, Log: log, AllowedHosts: hosts, UplinkSwitch: uplinkSwitch, Health: func(ctx context.Context) error { _, err := db.SyncState(ctx); return err }})
	hw.start(ctx, till, srv)
	return srv, nil
}

func seedDemo(ctx context.Context, db *localstore.DB, till *appliance.Till, log *slog.Logger, stdout io.Writer) error {
	info, err := db.Info()
	if err != nil {
		return err
	}
	if info.Products == 0 {
		ps := demo.Products()
		if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: demo.Version, LoadedAt: time.Now(), Source: "demo"}, ps); err != nil {
			return fmt.Errorf("seed demo catalog: %w", err)
		}
		log.Info("demo catalog loaded", "products", len(ps))
	}
	users, err := db.Users(ctx)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		if err := till.AddUser(ctx, appliance.User{ID: "kasir", Name: "Kasir Demo", Role: appliance.RoleCashier}, "1111"); err != nil {
			return err
		}
		if err := till.AddUser(ctx, appliance.User{ID: "spv", Name: "Supervisor Demo", Role: appliance.RoleSupervisor}, "9999"); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "kasir: demo mode: cashier PIN 1111, supervisor PIN 9999")
	}
	return nil
}
