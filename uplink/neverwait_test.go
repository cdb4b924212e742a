package uplink_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/appliance/demo"
	"github.com/kasirpos/kasir/localstore"
	"github.com/kasirpos/kasir/mqttconn"
	"github.com/kasirpos/kasir/uplink"
)

type nopDevices struct{}

func (nopDevices) Print(context.Context, *appliance.Receipt) error { return nil }
func (nopDevices) Open(context.Context) error                      { return nil }
func (nopDevices) Status() appliance.DeviceStatus {
	return appliance.DeviceStatus{State: appliance.DeviceOK}
}

// Selling never waits for the network: a till whose link is refused, hangs
// in the MQTT handshake, or hangs before it even has an address (a DNS
// lookup that never answers) sells as it does with no link at all. Every
// cashier action below runs on the till while its uplink is stuck; if any of
// them waited on the uplink, the test would hang and hit its deadline.
func TestSellingNeverWaitsForTheLink(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept, and never say a word
		}
	}()
	refused, _ := net.Listen("tcp", "127.0.0.1:0")
	refusedAddr := refused.Addr().String()
	refused.Close()

	hang := func(ctx context.Context, _ *mqttconn.Message) (uplink.Conn, error) {
		<-ctx.Done() // a resolver that never answers
		return nil, ctx.Err()
	}
	links := []struct {
		name string
		dial func(context.Context, *mqttconn.Message) (uplink.Conn, error)
	}{
		{"no link", nil},
		{"connection refused", tillDial("tcp://" + refusedAddr)},
		{"broker accepts and never answers", tillDial("tcp://" + silent.Addr().String())},
		{"DNS that hangs", hang},
	}
	var base time.Duration
	for _, l := range links {
		t.Run(l.name, func(t *testing.T) {
			ctx := testCtx(t)
			db, err := localstore.Open(ctx, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ps := demo.Products()[:50]
			if err := db.ReplaceCatalog(ctx, appliance.CatalogInfo{Version: "t", LoadedAt: time.Now()}, ps); err != nil {
				t.Fatal(err)
			}
			opts := appliance.TillOptions{Store: db, Catalog: db, Printer: nopDevices{}, Drawer: nopDevices{}}
			var up *uplink.Uplink
			if l.dial != nil {
				up = start(ctx, t, uplink.Config{Dial: l.dial}, db, nil)
				opts.Online, opts.OnCommit = up.Online, up.Kick
			}
			till, err := appliance.NewTill(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			u := appliance.User{ID: "k", Name: "Kasir", Role: appliance.RoleCashier}
			begin := time.Now()
			if _, err := till.OpenShift(ctx, u, 0); err != nil {
				t.Fatal(err)
			}
			const sales = 20
			for i := range sales {
				for j := range 3 {
					if _, err := till.AddLine(ctx, u, ps[(i*3+j)%len(ps)].SKU, 0); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := till.Pay(ctx, u, "", []appliance.Payment{{Method: appliance.MethodCash, Amount: 1000000}}); err != nil {
					t.Fatal(err)
				}
				if st, err := till.Status(ctx); err != nil || st.Online {
					t.Fatalf("status while the link is stuck: online=%v err=%v", st.Online, err)
				}
			}
			took := time.Since(begin)
			if l.dial == nil {
				base = took
			}
			st, _ := db.SyncState(ctx)
			if st.Unsynced != sales+1 {
				t.Fatalf("unsynced %d, want %d kept for later", st.Unsynced, sales+1)
			}
			// For the record, not a threshold: this machine is shared.
			t.Logf("%d sales in %v (no link: %v)", sales, took.Round(time.Millisecond), base.Round(time.Millisecond))
		})
	}
}
