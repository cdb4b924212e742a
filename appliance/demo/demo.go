package demo

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance"
)

// Version names this catalog, as CatalogInfo.Version shows it.
const Version = "demo-2026.11"

// wib is Western Indonesia Time. Jakarta has kept UTC+7 since 1964, so a
// fixed zone is exact and needs no tzdata.
var wib = time.FixedZone("WIB", 7*60*60)

// Price changes the demo shows: one that already started (the government
// raised the ceiling price of Minyakita) and one on a fixed future date
// (a new-year price rise), so the price switch can be watched without a
// connection.
var (
	pastChange   = time.Date(2026, time.November, 1, 0, 0, 0, 0, wib)
	futureChange = time.Date(2027, time.January, 1, 0, 0, 0, 0, wib)
)

var priceChanges = []struct {
	name  string
	price appliance.Rupiah
	from  time.Time
}{
	{"Minyakita Minyak Goreng Pouch 1L", 17500, pastChange},
	{"Indomie Goreng Original 85g", 3700, futureChange},
	{"Aqua Air Mineral 600ml", 4500, futureChange},
}

// WeighedItemBase is the first in-store item code of the weighed products.
// A product with item code 10001 carries the barcode keys "2010001" (scale
// labels that print the price) and "2510001" (labels that print the weight),
// as DefaultWeighedRules reads them.
const WeighedItemBase = 10001

// Categories lists the demo's categories in shelf order.
func Categories() []string {
	out := make([]string, len(shelf))
	for i, c := range shelf {
		out[i] = c.name
	}
	return out
}

// Products returns the demo catalog: a little over two thousand products
// across the categories of an Indonesian minimarket, in shelf order. Each
// call returns a fresh slice the caller may change.
func Products() []appliance.Product {
	out := make([]appliance.Product, 0, 2400)
	weighed := 0
	for _, c := range shelf {
		for _, l := range c.lines {
			variants := l.variants
			if variants == nil {
				variants = []string{""}
			}
			for vi, variant := range variants {
				for _, s := range l.sizes {
					i := len(out)
					p := appliance.Product{
						SKU:      sku(i),
						Name:     join(l.brand, l.product, variant, s.label),
						Category: c.name,
						Unit:     cmp(s.unit, l.unit),
						Price:    appliance.Rupiah(linePrice(s.price, variant, vi)),
						TaxClass: cmp(l.tax, taxPPN),
						Active:   true,
					}
					company := companyPrefix(l.brand)
					switch {
					case l.imported:
						p.Barcodes = []string{gtin("0" + pad(company%100000, 5) + pad(i, 5))}
					case l.ean8:
						p.Barcodes = []string{gtin("899" + pad(i, 4))}
					default:
						p.Barcodes = []string{gtin("899" + pad(company%10000, 4) + pad(i, 5))}
						// Some products are on the shelf in old and new
						// packaging at once, each with its own barcode.
						if i%61 == 7 {
							p.Barcodes = append(p.Barcodes, gtin("899"+pad(company%10000, 4)+pad(i+50000, 5)))
						}
					}
					out = append(out, p)
				}
			}
		}
		for _, f := range c.fresh {
			item := strconv.Itoa(WeighedItemBase + weighed)
			weighed++
			out = append(out, appliance.Product{
				SKU:      sku(len(out)),
				Barcodes: []string{"20" + item, "25" + item},
				Name:     f.name,
				Category: c.name,
				Unit:     "kg",
				Price:    appliance.Rupiah(f.perKg),
				TaxClass: taxBebas,
				Active:   true,
				Weighed:  true,
			})
		}
	}
	byName := make(map[string]int, len(out))
	for i, p := range out {
		byName[p.Name] = i
	}
	for _, c := range priceChanges {
		i, ok := byName[c.name]
		if !ok {
			panic("demo: price change for unknown product " + c.name)
		}
		out[i].PriceChanges = append(out[i].PriceChanges, appliance.PriceChange{Price: c.price, From: c.from})
	}
	return out
}

// linePrice is a variant's price: vouchers cost their face value plus the
// shop's fee; other variants vary a little around the line's price, as
// flavours of one product do.
func linePrice(base int64, variant string, vi int) int64 {
	if face, ok := denominations[variant]; ok {
		return face + base
	}
	bumps := [...]int64{0, 0, 5, 0, 10, 0, 5, 0, 0, 5}
	return roundPrice(base * (100 + bumps[vi%len(bumps)]) / 100)
}

// roundPrice rounds to Rp 100, or Rp 500 from Rp 10.000 up, as shelf
// prices are.
func roundPrice(p int64) int64 {
	unit := int64(100)
	if p >= 10000 {
		unit = 500
	}
	return (p + unit/2) / unit * unit
}

func join(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sku(i int) string { return "DM-" + pad(i+1, 6) }

// companyPrefix stands in for the GS1 company prefix of a brand's maker.
func companyPrefix(brand string) int {
	h := fnv.New32a()
	h.Write([]byte(brand))
	return int(h.Sum32()%90000) + 10000
}

// pad writes n with at least width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// gtin appends the GS1 check digit to body.
func gtin(body string) string {
	cd, ok := appliance.GTINCheckDigit(body)
	if !ok {
		panic("demo: barcode body " + body + " is not digits")
	}
	return body + string(cd)
}

// genSuffixes vary generated names the way real catalogs repeat a product
// in promotional and multi-packs.
var genSuffixes = []string{"", "", "", " Promo", " Hemat", " Family Pack", " Isi 2", " Isi 3", " Bundling",
	" Edisi Terbatas", " Kemasan Baru", " Mini", " Jumbo", " Ekonomis", " Twin Pack", " Gratis 1"}

// Generate returns n made-up products for benchmarks and load tests, drawn
// from the demo shelf with varied names and prices. Barcodes are valid
// EAN-13s with prefix 899, unique for n up to a billion; SKUs are
// "GN-0000001" onwards. The same n and seed give the same products.
func Generate(n int, seed int64) []appliance.Product {
	if n <= 0 {
		return nil
	}
	var base []appliance.Product
	for _, p := range Products() {
		if !p.Weighed {
			base = append(base, p)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6b61736972))
	// The item reference of product j is (j×mult + off) mod 10⁹, a
	// bijection because mult shares no factor with 10⁹: unique codes that
	// do not look sequential.
	const space = 1_000_000_000
	mult := rng.Uint64N(space/10)*10 + []uint64{1, 3, 7, 9}[rng.IntN(4)]
	off := rng.Uint64N(space)
	out := make([]appliance.Product, n)
	codes := make([]string, n) // one backing array for the barcode slices
	var body [13]byte
	copy(body[:], "899")
	for j := range out {
		t := &base[rng.IntN(len(base))]
		ref := (uint64(j)*mult + off) % space
		for k := 11; k >= 3; k-- {
			body[k] = byte('0' + ref%10)
			ref /= 10
		}
		body[12], _ = appliance.GTINCheckDigit(string(body[:12]))
		codes[j] = string(body[:])
		price := roundPrice(int64(t.Price) * int64(80+rng.IntN(51)) / 100)
		out[j] = appliance.Product{
			SKU:      "GN-" + pad(j+1, 7),
			Barcodes: codes[j : j+1 : j+1],
			Name:     t.Name + genSuffixes[rng.IntN(len(genSuffixes))],
			Category: t.Category,
			Unit:     t.Unit,
			Price:    appliance.Rupiah(max(price, 100)),
			TaxClass: t.TaxClass,
			Active:   true,
		}
	}
	return out
}
