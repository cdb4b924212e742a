package appliance

import (
	"sort"
	"strings"
	"time"
)

// Product is one thing the shop sells.
type Product struct {
	SKU      string   `json:"sku"`
	Barcodes []string `json:"barcodes,omitempty"`
	Name     string   `json:"name"`
	Category string   `json:"category"`
	Unit     string   `json:"unit"`  // "pcs", "kg", "bks", …
	Price    Rupiah   `json:"price"` // tax included
	TaxClass string   `json:"tax_class"`
	Active   bool     `json:"active"`
	// Weighed items are sold by weight: their price is per kilogram and the
	// quantity comes from the scale's barcode or is typed in grams.
	Weighed bool `json:"weighed,omitempty"`
	// PriceChanges are future (or past) prices, each from an instant on. The
	// newest one whose From has passed wins over Price.
	PriceChanges []PriceChange `json:"price_changes,omitempty"`
}

// PriceChange is an effective-dated price.
type PriceChange struct {
	Price Rupiah    `json:"price"`
	From  time.Time `json:"from"`
}

// PriceAt returns the price in force at t.
func (p *Product) PriceAt(t time.Time) Rupiah {
	price := p.Price
	var best time.Time
	for _, c := range p.PriceChanges {
		if !c.From.After(t) && !c.From.Before(best) {
			price, best = c.Price, c.From
		}
	}
	return price
}

// Validate reports a product the till cannot sell.
func (p *Product) Validate() error {
	switch {
	case strings.TrimSpace(p.SKU) == "":
		return Errorf(CodeInvalid, "product without SKU")
	case strings.TrimSpace(p.Name) == "":
		return Errorf(CodeInvalid, "product %s without name", p.SKU)
	case p.Price < 0 || p.Price > maxRupiah:
		return Errorf(CodeInvalid, "product %s: price %d out of range", p.SKU, p.Price)
	}
	for _, b := range p.Barcodes {
		if allDigits(b) && (len(b) == 8 || len(b) == 12 || len(b) == 13) && !ValidGTIN(b) {
			return Errorf(CodeInvalid, "product %s: barcode %s has a wrong check digit", p.SKU, b)
		}
	}
	for _, c := range p.PriceChanges {
		if c.Price < 0 || c.Price > maxRupiah || c.From.IsZero() {
			return Errorf(CodeInvalid, "product %s: bad price change", p.SKU)
		}
	}
	return nil
}

// Catalog is the product list the till sells from.
type Catalog interface {
	// Lookup finds an active or inactive product by barcode or SKU. It
	// returns ErrNotFound when none matches.
	Lookup(code string) (*Product, error)
	// Search finds active products whose name, SKU or barcode matches
	// every word of q, best first, at most limit.
	Search(q string, category string, limit int) ([]Product, error)
	// Categories lists the categories of active products with their counts.
	Categories() ([]Category, error)
	// Info says which catalog is loaded.
	Info() (CatalogInfo, error)
}

// Category is a product category and how many active products it holds.
type Category struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// CatalogInfo describes the loaded catalog.
type CatalogInfo struct {
	Version  string    `json:"version"`
	LoadedAt time.Time `json:"loaded_at"`
	Products int       `json:"products"`
	Source   string    `json:"source"` // "demo", "csv:FILE", "headoffice"
}

// SortProducts orders products by name, then SKU, for stable output.
func SortProducts(ps []Product) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Name != ps[j].Name {
			return ps[i].Name < ps[j].Name
		}
		return ps[i].SKU < ps[j].SKU
	})
}
