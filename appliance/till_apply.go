package appliance

import (
	"context"
	"strconv"
)

// Versions of what head office last pushed and this till applied; 0 when
// it runs on its own defaults, a demo or a CSV import.
func (t *Till) Versions() (catalog, config int64) {
	t.mu.Lock()
	cfgVersion := t.cfg.Version
	t.mu.Unlock()
	if info, err := t.catalog.Info(); err == nil && info.Source == SourceHeadOffice {
		catalog, _ = strconv.ParseInt(info.Version, 10, 64)
	}
	config, _ = strconv.ParseInt(cfgVersion, 10, 64)
	return catalog, config
}

// SourceHeadOffice marks a catalog pushed by head office.
const SourceHeadOffice = "headoffice"

// ApplyConfig makes cfg the running config, as head office's version. The
// till's identity (store and till codes) comes from its provisioning and is
// kept whatever cfg says. An invalid config is refused and the running one
// stays.
func (t *Till) ApplyConfig(ctx context.Context, version int64, cfg Config) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cfg.Store, cfg.Till = t.cfg.Store, t.cfg.Till
	cfg.Version = strconv.FormatInt(version, 10)
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := t.store.PutConfig(ctx, cfg); err != nil {
		return Wrap(CodeStoreFailed, err, "store config %d", version)
	}
	t.setConfig(cfg)
	t.log.Info("config applied", "version", version)
	return nil
}

// SetIdentity gives the till its store and till codes from provisioning,
// before it sells. Receipt numbers and every record carry them.
func (t *Till) SetIdentity(ctx context.Context, store, till, timeZone string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cfg.Store == store && t.cfg.Till == till && (timeZone == "" || t.cfg.TimeZone == timeZone) {
		return nil
	}
	cfg := t.cfg
	cfg.Store, cfg.Till = store, till
	if timeZone != "" {
		cfg.TimeZone = timeZone
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := t.store.PutConfig(ctx, cfg); err != nil {
		return Wrap(CodeStoreFailed, err, "store identity")
	}
	t.setConfig(cfg)
	return nil
}

// ApplyCatalog replaces the catalog with head office's version. A cart in
// progress keeps the prices it was rung up with; new scans use the new
// catalog. A product that fails validation refuses the whole catalog and
// the running one stays.
func (t *Till) ApplyCatalog(ctx context.Context, version int64, products []Product) error {
	for i := range products {
		if err := products[i].Validate(); err != nil {
			return err
		}
	}
	info := CatalogInfo{Version: strconv.FormatInt(version, 10), LoadedAt: t.now(), Source: SourceHeadOffice, Products: len(products)}
	if err := t.catalog.ReplaceCatalog(ctx, info, products); err != nil {
		return err
	}
	t.log.Info("catalog applied", "version", version, "products", len(products))
	return nil
}
