package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/demo"
	"github.com/kasirpos/kasir/appliance/web"
	"github.com/kasirpos/kasir/drivers/rtc"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/uplink"
	"github.com/kasirpos/kasir/wire"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := newFlags("serve", stderr)
	addr := fs.String("http", ":8080", "address to serve the UI and API on")
	withDemo := fs.Bool("demo", false, "seed an empty database with the demo catalog and PINs (cashier 1111, supervisor 9999)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	provision := fs.String("provision", "", "provisioning file (kasir.json from `kasir-hq till add`): identity and the link to head office; when missing or invalid the till serves its setup screen")
	allow := fs.String("allow-host", "", "comma-separated host names the till answers to, besides IP addresses, localhost and its hostname")
	devicesFile := fs.String("devices", "", "devices file (printer, drawer, display, scanners); overrides the provisioning file's devices")
	updatePW := fs.String("update-password-file", "", "the till's update password (gokrazy's, made at first boot), shown on the unlocked setup screen")
	pinFile := fs.String("setup-pin-file", "", "the setup PIN's text file, made at first start (default: "+setupPINName+" beside the provisioning file, else in the data directory)")
	setHost := fs.Bool("set-hostname", false, "once provisioned, set the system hostname to kasir-STORE-TILL (on gokrazy)")
	trustMode := fs.String("clock-trust", "ntp", "when the clock counts as right: ntp (once the kernel reports NTP synchronised; sales before carry clock_untrusted) or always")
	rtcBus := fs.String("rtc", "", "I2C bus of a DS3231 battery clock, e.g. 1 for /dev/i2c-1; empty: none")
	qf := addQRISFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *level)
	log.Info("starting", "version", version, "data", *data)

	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	trusted, err := clockTrust(*trustMode, ntpSynced, log)
	if err != nil {
		return err
	}
	var fileDevs *wire.Devices
	if *devicesFile != "" {
		if fileDevs, err = wire.ReadDevices(*devicesFile); err != nil {
			return fmt.Errorf("devices: %w", err)
		}
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

	front := &swapHandler{}
	hs := &httpServer{addr: *addr, srv: &http.Server{Handler: front, ReadHeaderTimeout: 10 * time.Second}, log: log, stdout: stdout}
	defer hs.shutdown()
	hs.onListen = qf.listening

	db, err := localstore.Open(ctx, *data, log)
	switch {
	case appliance.ErrorCode(err) == appliance.CodeCorrupt:
		// Refuse to sell, say why on the screen, and leave the file alone
		// for recovery.
		log.Error("database failed its integrity check; selling is refused", "path", filepath.Join(*data, "kasir.db"), "err", err)
		front.set(web.Unavailable(err, version, log))
		return hs.serveUntil(ctx)
	case err != nil:
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	if *rtcBus != "" {
		// An RTC is optional hardware: without it the till still sells,
		// with the clock floor keeping its records in order.
		if r, closeBus, err := openRTC(*rtcBus); err != nil {
			log.Error("no battery clock", "bus", *rtcBus, "err", err)
		} else if _, err := r.Read(); err != nil && !errors.Is(err, rtc.ErrStopped) {
			closeBus()
			log.Error("no DS3231 answers on the I2C bus", "bus", *rtcBus, "err", err)
		} else {
			defer closeBus()
			floor, err := db.LastRecordTime(ctx)
			if err != nil {
				return fmt.Errorf("last record time: %w", err)
			}
			clockFromRTC(r, floor, time.Now, setSystemClock, log)
			synced := func() bool { ok, err := ntpSynced(); return ok && err == nil }
			tick := time.NewTicker(time.Minute)
			defer tick.Stop()
			go keepRTC(ctx, r, synced, time.Now, tick.C, log)
		}
	}

	setup, err := newSetup(*pinFile, *provision, *data, *updatePW, log)
	if err != nil {
		return err
	}
	var prov *wire.Provision
	if *provision != "" {
		p, problems := loadProvision(*provision)
		if len(problems) > 0 {
			// gokrazy restarts a till that exits, so exiting here would
			// loop forever: serve the setup screen until a technician
			// saves a good file, then start the till in this process.
			if prov, err = awaitSetup(ctx, *provision, p, problems, setup, front, hs, hosts, log); err != nil || prov == nil {
				return err
			}
		} else {
			prov = p
		}
	}
	devs := fileDevs
	if prov != nil && fileDevs == nil {
		devs = prov.Devices
	}
	if prov != nil && *setHost {
		name := hostnameFor(prov.Store, prov.Till)
		if err := setHostname(name); err != nil {
			log.Error("set hostname", "name", name, "err", err)
		} else {
			log.Info("hostname set", "name", name)
		}
		hosts = append(hosts, name, name+".local", name+".lan")
	}
	h, err := build(ctx, db, *data, *withDemo, prov, devs, qf, hosts, setup, trusted, log, stdout)
	if err != nil {
		return err
	}
	front.set(h)
	return hs.serveUntil(ctx)
}

// loadProvision reads the provisioning file and says what is wrong with it,
// in both languages; no problems means the till can start.
func loadProvision(path string) (*wire.Provision, []wire.Problem) {
	p, err := wire.ReadProvision(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, []wire.Problem{{Field: "file",
			ID: filepath.Base(path) + " belum ada: isi formulir setup.",
			EN: filepath.Base(path) + " is missing: fill in the setup form."}}
	case err != nil && p == nil:
		return nil, []wire.Problem{{Field: "file",
			ID: filepath.Base(path) + " tidak terbaca: " + err.Error(),
			EN: filepath.Base(path) + " does not read: " + err.Error()}}
	case err != nil:
		return p, p.Check()
	}
	return p, nil
}

// newSetup makes the setup screen's state with the till's setup PIN. The
// PIN file goes where --setup-pin-file says (the boot partition, on a
// till), else beside the provisioning file or in the data directory; when
// that place cannot be written, into the data directory.
func newSetup(pinFile, provision, data, updatePW string, log *slog.Logger) (*web.Setup, error) {
	path := pinFile
	if path == "" {
		path = filepath.Join(data, setupPINName)
		if provision != "" {
			path = filepath.Join(filepath.Dir(provision), setupPINName)
		}
	}
	pin, err := ensureSetupPIN(path)
	if err != nil {
		fallback := filepath.Join(data, setupPINName)
		log.Error("setup PIN file", "path", path, "err", err, "fallback", fallback)
		if path == fallback {
			return nil, err
		}
		path = fallback
		if pin, err = ensureSetupPIN(path); err != nil {
			return nil, err
		}
	}
	o := web.SetupOptions{PIN: pin, PINFile: path, Log: log}
	if updatePW != "" {
		o.UpdatePassword = func() (string, error) {
			b, err := os.ReadFile(updatePW)
			return strings.TrimSpace(string(b)), err
		}
	}
	return web.NewSetup(o), nil
}

// awaitSetup serves the setup screen until the technician saves a good
// provisioning file, and returns it read back from disk; nil when ctx ends
// first.
func awaitSetup(ctx context.Context, path string, p *wire.Provision, problems []wire.Problem, setup *web.Setup, front *swapHandler, hs *httpServer, hosts []string, log *slog.Logger) (*wire.Provision, error) {
	msgs := make([]string, len(problems))
	for i, pr := range problems {
		msgs[i] = pr.EN
	}
	log.Warn("provisioning missing or invalid: serving the setup screen", "file", path, "problems", strings.Join(msgs, "; "), "setup_pin_file", setup.PINFile())
	saved := make(chan struct{}, 1)
	setup.NeedProvision(p, problems, func(ctx context.Context, p *wire.Provision) error {
		if err := wire.WriteProvision(path, p); err != nil {
			return err
		}
		select {
		case saved <- struct{}{}:
		default:
		}
		return nil
	})
	front.set(web.SetupOnly(setup, version, hosts, log))
	if err := hs.listen(); err != nil {
		return nil, err
	}
	select {
	case <-saved:
	case <-ctx.Done():
		return nil, nil
	}
	prov, err := wire.ReadProvision(path)
	if err != nil {
		return nil, fmt.Errorf("provisioning file just saved: %w", err)
	}
	log.Info("provisioned through the setup screen", "store", prov.Store, "till", prov.Till)
	return prov, nil
}

// swapHandler serves whichever handler is current: the setup screen, then
// the till, on one listener.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := s.h.Load()
	if h == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// httpServer listens once, when first asked, and shuts down gracefully.
type httpServer struct {
	addr   string
	srv    *http.Server
	log    *slog.Logger
	stdout io.Writer
	errc   chan error
	// onListen, if set, hears the address before anyone is told of it.
	onListen func(net.Addr)
}

func (h *httpServer) listen() error {
	if h.errc != nil {
		return nil
	}
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	errc := make(chan error, 1)
	h.errc = errc
	if h.onListen != nil {
		h.onListen(ln.Addr())
	}
	fmt.Fprintf(h.stdout, "kasir: serving on http://%s\n", ln.Addr())
	h.log.Info("serving", "addr", ln.Addr().String())
	go func() { errc <- h.srv.Serve(ln) }()
	return nil
}

// serveUntil listens (if it does not yet) and serves until ctx ends.
func (h *httpServer) serveUntil(ctx context.Context) error {
	if err := h.listen(); err != nil {
		return err
	}
	select {
	case err := <-h.errc:
		return err
	case <-ctx.Done():
	}
	return h.shutdown()
}

func (h *httpServer) shutdown() error {
	if h.errc == nil {
		return nil
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.srv.Shutdown(sctx)
	h.errc = nil
	h.log.Info("stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// build wires the till from its store, the virtual devices and, when
// provisioned, its link to head office.
func build(ctx context.Context, db *localstore.DB, data string, withDemo bool, prov *wire.Provision, devs *wire.Devices, qf *qrisFlags, hosts []string, setup *web.Setup, clockTrusted func() bool, log *slog.Logger, stdout io.Writer) (http.Handler, error) {
	hw, err := openHardware(devs, data, log)
	if err != nil {
		return nil, err
	}
	opts := appliance.TillOptions{Store: db, Catalog: db, Printer: hw.printer, Drawer: hw.drawer, Log: log, Version: version,
		OnCustomer: hw.showCustomer, ReceiptWidth: hw.width, Devices: hw.devices, ClockTrusted: clockTrusted}
	var up *uplink.Uplink
	var till *appliance.Till
	if prov != nil {
		// The uplink asks for the till's versions only once it runs, after
		// the till below exists.
		status := func() wire.Status { return presence(ctx, till) }
		if up, err = newUplink(prov, db, data, status, log); err != nil {
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
		log.Warn("no users: create the first supervisor on the setup screen (/setup, with the setup PIN), with `kasir user add`, or start with --demo")
	}
	srv := web.New(web.Options{Till: till, Catalog: db, Paper: hw.paper, Log: log, AllowedHosts: hosts, UplinkSwitch: uplinkSwitch,
		Version: version, Setup: setup, Health: func(ctx context.Context) error { _, err := db.SyncState(ctx); return err },
		QRISWebhook: qf.webhook()})
	setup.SetTill(till)
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
