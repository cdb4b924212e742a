package localstore

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

func TestUsers(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	hash, err := appliance.HashPIN("1234")
	if err != nil {
		t.Fatal(err)
	}
	puts := []appliance.User{
		{ID: "u2", Name: "Supervisor", Role: appliance.RoleSupervisor, PINHash: hash, Active: true},
		{ID: "u1", Name: "Kasir Demo", Role: appliance.RoleCashier, PINHash: "old", Active: true},
		{ID: "u1", Name: "Kasir Satu", Role: appliance.RoleCashier, PINHash: hash, Active: false}, // replaces
	}
	for _, u := range puts {
		if err := db.PutUser(ctx, u); err != nil {
			t.Fatalf("PutUser(%s): %v", u.ID, err)
		}
	}
	got, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []appliance.User{puts[2], puts[0]}; !reflect.DeepEqual(got, want) {
		t.Errorf("Users = %+v, want %+v", got, want)
	}
	if !appliance.CheckPIN(got[0].PINHash, "1234") {
		t.Error("stored PIN hash does not check")
	}
	if err := db.PutUser(ctx, appliance.User{Name: "no id"}); appliance.ErrorCode(err) != appliance.CodeInvalid {
		t.Errorf("PutUser without ID = %v, want invalid", err)
	}
}

func TestCarts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c := newClock()
	if got, err := db.Carts(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Carts of a new database = %v, %v", got, err)
	}
	a := &appliance.Cart{ID: "a", User: "u1", Started: c.next(), CatalogVersion: "c1", NextLine: 2,
		Lines: []appliance.Line{{ID: 1, SKU: "KOPI-1", Name: "Kopi", Unit: "pcs", TaxClass: "PPN", Qty: 2000,
			ListPrice: 14500, UnitPrice: 14500, Discount: &appliance.Discount{PercentBP: 500}}}}
	a.Updated = a.Started
	b := &appliance.Cart{ID: "b", User: "u1", Started: c.next(), Note: "meja 4"}
	b.Updated = b.Started
	for _, cart := range []*appliance.Cart{a, b} {
		if err := db.SaveCart(ctx, cart); err != nil {
			t.Fatal(err)
		}
	}
	// Parking saves again under the same ID.
	a.Parked, a.ParkedAt, a.Updated = true, c.next(), c.t
	if err := db.SaveCart(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := db.Carts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []appliance.Cart{inUTC(*a), inUTC(*b)}; !reflect.DeepEqual(got, want) {
		t.Errorf("Carts =\n%+v\nwant\n%+v", got, want)
	}
	var parked int
	db.rw.QueryRow("SELECT parked FROM carts WHERE id = 'a'").Scan(&parked)
	if parked != 1 {
		t.Errorf("parked column = %d, want 1", parked)
	}
	for _, id := range []string{"a", "nope"} {
		if err := db.DeleteCart(ctx, id); err != nil {
			t.Errorf("DeleteCart(%s): %v", id, err)
		}
	}
	if got, _ := db.Carts(ctx); len(got) != 1 || got[0].ID != "b" {
		t.Errorf("Carts after delete = %+v, want only b", got)
	}
}

func inUTC(c appliance.Cart) appliance.Cart {
	c.Started, c.Updated, c.ParkedAt = utc(c.Started), utc(c.Updated), utc(c.ParkedAt)
	return c
}

func TestConfig(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	if _, err := db.Config(ctx); !errors.Is(err, appliance.ErrNotFound) {
		t.Fatalf("Config of a new database = %v, want ErrNotFound", err)
	}
	first := appliance.DefaultConfig()
	second := appliance.DefaultConfig()
	second.Version, second.StoreName, second.PKP, second.NPWP = "hq-7", "Toko Makmur", true, "01.234.567.8-901.000"
	second.LockoutFor = appliance.Duration{Duration: 90 * time.Second}
	for _, cfg := range []appliance.Config{first, second} {
		if err := db.PutConfig(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
	}
	got, err := db.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, second) {
		t.Errorf("Config = %+v, want %+v", got, second)
	}
	hist, err := db.ConfigHistory(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Version != "hq-7" || hist[1].Version != "default" ||
		!hist[1].Stored.Equal(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)) || !reflect.DeepEqual(hist[1].Config, first) {
		t.Errorf("ConfigHistory = %+v", hist)
	}
}
