package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/kasirpos/kasir/appliance"
)

// catalogIndex is the catalog in memory: a scan at the till must not wait
// for the disk, so Lookup is two map reads. It is built whole and never
// changed; ReplaceCatalog swaps in a new one.
type catalogIndex struct {
	products   []appliance.Product
	bySKU      map[string]int
	byCode     map[string]int
	categories []appliance.Category
	info       appliance.CatalogInfo
}

func newCatalogIndex(info appliance.CatalogInfo, products []appliance.Product) *catalogIndex {
	ix := &catalogIndex{
		products: products,
		bySKU:    make(map[string]int, len(products)),
		byCode:   make(map[string]int, len(products)),
		info:     info,
	}
	counts := map[string]int{}
	for i := range products {
		p := &products[i]
		ix.bySKU[p.SKU] = i
		for _, b := range p.Barcodes {
			ix.byCode[b] = i
		}
		if p.Active {
			counts[p.Category]++
		}
	}
	for name, n := range counts {
		ix.categories = append(ix.categories, appliance.Category{Name: name, Count: n})
	}
	sort.Slice(ix.categories, func(i, j int) bool { return ix.categories[i].Name < ix.categories[j].Name })
	return ix
}

// product returns a copy the caller may change without touching the index.
func (ix *catalogIndex) product(i int) *appliance.Product {
	p := ix.products[i]
	p.Barcodes = slices.Clone(p.Barcodes)
	p.PriceChanges = slices.Clone(p.PriceChanges)
	return &p
}

func (db *DB) catalogIndex() *catalogIndex {
	db.catalogMu.RLock()
	defer db.catalogMu.RUnlock()
	return db.catalog
}

// Lookup finds a product, active or not, by barcode and then by SKU. It
// returns ErrNotFound when none matches.
func (db *DB) Lookup(code string) (*appliance.Product, error) {
	ix := db.catalogIndex()
	if i, ok := ix.byCode[code]; ok {
		return ix.product(i), nil
	}
	if i, ok := ix.bySKU[code]; ok {
		return ix.product(i), nil
	}
	return nil, notFound("product %s", code)
}

// Categories lists the categories of active products, by name, with their
// counts.
func (db *DB) Categories() ([]appliance.Category, error) {
	return slices.Clone(db.catalogIndex().categories), nil
}

// Info says which catalog is loaded: the zero CatalogInfo when none has
// been.
func (db *DB) Info() (appliance.CatalogInfo, error) {
	return db.catalogIndex().info, nil
}

// DefaultSearchLimit is how many products Search returns when asked for
// limit <= 0.
const DefaultSearchLimit = 50

// maxSearchTerms bounds the work one search box can ask of the database.
const maxSearchTerms = 8

// Search finds active products whose name, SKU or barcodes contain words
// starting with every word of q, at most limit. An exact SKU or barcode
// comes first, then names that start with the first word, then by name.
// With an empty q it lists the category (or every active product) by name.
func (db *DB) Search(q string, category string, limit int) ([]appliance.Product, error) {
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	terms := searchTerms(q)
	if len(terms) == 0 && strings.TrimSpace(q) != "" {
		return nil, nil // only punctuation: nothing can match
	}
	query, args := searchQuery(terms, category, limit)

	// Hold the catalog steady from the query to the index, so the SKUs
	// found are those of the index they are looked up in.
	db.catalogMu.RLock()
	defer db.catalogMu.RUnlock()
	ix := db.catalog
	rows, err := db.ro.QueryContext(context.Background(), query, args...)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	defer rows.Close()
	var out []appliance.Product
	// A typed SKU or barcode goes first. Checking it here rather than in
	// the ORDER BY saves a comparison per match, and a short prefix can
	// match a quarter of the catalog.
	first, hasFirst := -1, false
	if len(terms) > 0 {
		code := strings.TrimSpace(q)
		if first, hasFirst = ix.byCode[code]; !hasFirst {
			first, hasFirst = ix.bySKU[code]
		}
		if hasFirst {
			p := &ix.products[first]
			hasFirst = p.Active && (category == "" || p.Category == category)
		}
		if hasFirst {
			out = append(out, *ix.product(first))
		}
	}
	for rows.Next() {
		var sku string
		if err := rows.Scan(&sku); err != nil {
			return nil, fmt.Errorf("search %q: %w", q, err)
		}
		if i, ok := ix.bySKU[sku]; ok && !(hasFirst && i == first) {
			out = append(out, *ix.product(i))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// searchQuery is the SQL for a search: a full-text match when there are
// terms, else a listing by name.
func searchQuery(terms []string, category string, limit int) (string, []any) {
	switch {
	case len(terms) > 0:
		// The unary + keeps the planner off the category index: walking a
		// category and running the full-text match once per product is
		// thousands of times slower than matching once and filtering.
		query := `SELECT p.sku FROM product_fts f JOIN products p ON p.rowid = f.docid
			WHERE product_fts MATCH ? AND +p.active = 1`
		args := []any{matchExpr(terms)}
		if category != "" {
			query += " AND +p.category = ?"
			args = append(args, category)
		}
		query += " ORDER BY p.name LIKE ? DESC, p.name, p.sku LIMIT ?"
		return query, append(args, terms[0]+"%", limit)
	case category != "":
		return "SELECT sku FROM products WHERE category = ? AND active = 1 ORDER BY name, sku LIMIT ?",
			[]any{category, limit}
	default:
		return "SELECT sku FROM products WHERE active = 1 ORDER BY name, sku LIMIT ?", []any{limit}
	}
}

// searchTerms splits what the cashier typed into lower-case words of letters
// and digits, the way the unicode61 tokenizer splits names. Everything else
// (quotes, stars, minus, parentheses: FTS query syntax) is a separator, so
// no input can form an FTS expression of its own.
func searchTerms(q string) []string {
	var terms []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !slices.Contains(terms, w) {
			terms = append(terms, w)
		}
		if len(terms) == maxSearchTerms {
			break
		}
	}
	return terms
}

// matchExpr makes each term a quoted prefix query; juxtaposed terms must
// all match.
func matchExpr(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `*"`
	}
	return strings.Join(quoted, " ")
}

// ReplaceCatalog replaces the whole catalog, all or nothing: a failed
// import leaves the old catalog in place. A product without SKU, a SKU
// given twice or a barcode on two products is refused with
// appliance.CodeInvalid. info.Products is set to the number of products and
// a zero info.LoadedAt to now.
//
// Selling must not wait for it, so the new catalog is written to staging
// tables in many short transactions, each letting a cart save or a sale
// through; then one short transaction renames the old tables aside and the
// staged ones into place (see stage.go). The in-memory index is swapped
// after that commit, and the old tables are dropped after it.
func (db *DB) ReplaceCatalog(ctx context.Context, info appliance.CatalogInfo, products []appliance.Product) error {
	owned := make([]appliance.Product, len(products))
	skus := make(map[string]bool, len(products))
	codes := make(map[string]string, len(products))
	for i, p := range products {
		if p.SKU == "" {
			return appliance.Errorf(appliance.CodeInvalid, "catalog %s: product %d has no SKU", info.Version, i)
		}
		if skus[p.SKU] {
			return appliance.Errorf(appliance.CodeInvalid, "catalog %s: SKU %s appears twice", info.Version, p.SKU)
		}
		skus[p.SKU] = true
		for _, b := range p.Barcodes {
			if other, dup := codes[b]; dup {
				return appliance.Errorf(appliance.CodeInvalid, "catalog %s: barcode %s on %s and %s", info.Version, b, other, p.SKU)
			}
			codes[b] = p.SKU
		}
		p.Barcodes = slices.Clone(p.Barcodes)
		p.PriceChanges = slices.Clone(p.PriceChanges)
		for k := range p.PriceChanges {
			if p.PriceChanges[k].From.IsZero() {
				return appliance.Errorf(appliance.CodeInvalid, "catalog %s: product %s has a price change without a start", info.Version, p.SKU)
			}
			p.PriceChanges[k].From = p.PriceChanges[k].From.UTC()
		}
		owned[i] = p
	}
	info.Products = len(owned)
	if info.LoadedAt.IsZero() {
		info.LoadedAt = db.now()
	}
	info.LoadedAt = info.LoadedAt.UTC()
	b, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("replace catalog %s: encode catalog info: %w", info.Version, err)
	}

	// One import at a time: they share the staging tables.
	db.replaceMu.Lock()
	defer db.replaceMu.Unlock()
	started := time.Now()
	if err := db.stageCatalog(ctx, owned); err != nil {
		// Whatever was staged goes; the next import or Open would clear
		// it anyway.
		if derr := db.dropStaging(context.Background()); derr != nil {
			db.log.Warn("clear catalog staging", "err", derr)
		}
		return fmt.Errorf("replace catalog %s: %w", info.Version, err)
	}
	staged := time.Since(started)
	ix := newCatalogIndex(info, owned)
	switched := time.Now()
	if err := db.switchCatalog(ctx, string(b), func() { db.catalog = ix }); err != nil {
		if derr := db.dropStaging(context.Background()); derr != nil {
			db.log.Warn("clear catalog staging", "err", derr)
		}
		return fmt.Errorf("replace catalog %s: %w", info.Version, err)
	}
	switchTook := time.Since(switched)
	// The new catalog is in place; the old tables go now, or at the next
	// import or Open should this fail.
	if err := db.dropStaging(context.Background()); err != nil {
		db.log.Warn("drop replaced catalog tables", "err", err)
	}
	db.log.Info("catalog replaced", "version", info.Version, "products", info.Products, "source", info.Source,
		"staged", staged, "switch", switchTook)
	return nil
}

// loadCatalog builds the in-memory index from the database.
func (db *DB) loadCatalog(ctx context.Context) error {
	tx, err := db.ro.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	defer tx.Rollback()

	var info appliance.CatalogInfo
	var infoJSON string
	err = tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'catalog_info'").Scan(&infoJSON)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("load catalog info: %w", err)
	default:
		if err := json.Unmarshal([]byte(infoJSON), &info); err != nil {
			return fmt.Errorf("load catalog info: decode: %w", err)
		}
		info.LoadedAt = utc(info.LoadedAt)
	}

	var products []appliance.Product
	bySKU := map[string]int{}
	rows, err := tx.QueryContext(ctx, "SELECT sku, name, category, unit, price, tax_class, active, weighed FROM products ORDER BY rowid")
	if err != nil {
		return fmt.Errorf("load products: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p appliance.Product
		if err := rows.Scan(&p.SKU, &p.Name, &p.Category, &p.Unit, &p.Price, &p.TaxClass, &p.Active, &p.Weighed); err != nil {
			return fmt.Errorf("load products: %w", err)
		}
		bySKU[p.SKU] = len(products)
		products = append(products, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load products: %w", err)
	}

	rows, err = tx.QueryContext(ctx, "SELECT sku, code FROM barcodes ORDER BY sku, pos")
	if err != nil {
		return fmt.Errorf("load barcodes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku, code string
		if err := rows.Scan(&sku, &code); err != nil {
			return fmt.Errorf("load barcodes: %w", err)
		}
		if i, ok := bySKU[sku]; ok {
			products[i].Barcodes = append(products[i].Barcodes, code)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load barcodes: %w", err)
	}

	rows, err = tx.QueryContext(ctx, "SELECT sku, price, from_unix FROM price_changes ORDER BY sku, pos")
	if err != nil {
		return fmt.Errorf("load price changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku string
		var c appliance.PriceChange
		var from sql.NullInt64
		if err := rows.Scan(&sku, &c.Price, &from); err != nil {
			return fmt.Errorf("load price changes: %w", err)
		}
		c.From = fromNanos(from)
		if i, ok := bySKU[sku]; ok {
			products[i].PriceChanges = append(products[i].PriceChanges, c)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load price changes: %w", err)
	}

	db.catalogMu.Lock()
	db.catalog = newCatalogIndex(info, products)
	db.catalogMu.Unlock()
	return nil
}
