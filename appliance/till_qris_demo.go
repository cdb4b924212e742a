package appliance

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// AddDemoQRIS gives a demo till the QRIS methods of DefaultConfig when its
// stored config has none and head office never set it (a data directory
// made before QRIS keeps its old config, so the demo would never offer
// QRIS): the static and dynamic methods and, if the config has none, the
// demo shop's static code (DemoQRIS). It reports whether it changed the
// config; a config with any QRIS method, or one of head office's versions,
// is left as it is.
func (t *Till) AddDemoQRIS(ctx context.Context) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cfg := t.cfg
	if v, _ := strconv.ParseInt(cfg.Version, 10, 64); v > 0 {
		return false, nil // head office's: not the demo's to change
	}
	for _, m := range cfg.Methods {
		if m.QRIS != "" {
			return false, nil
		}
	}
	methods := append([]MethodSpec(nil), cfg.Methods...)
	added := 0
	for _, m := range DefaultMethods() {
		if m.QRIS == "" {
			continue
		}
		if _, taken := cfg.Method(m.Code); taken {
			continue
		}
		methods = append(methods, m)
		added++
	}
	if added == 0 {
		return false, nil
	}
	cfg.Methods = methods
	if strings.TrimSpace(cfg.QRISStatic) == "" {
		cfg.QRISStatic = DemoQRIS
	}
	if cfg.QRISExpiry.Duration == 0 {
		cfg.QRISExpiry = Duration{5 * time.Minute}
	}
	if err := cfg.Validate(); err != nil {
		return false, err
	}
	if err := t.store.PutConfig(ctx, cfg); err != nil {
		return false, Wrap(CodeStoreFailed, err, "store config with demo QRIS")
	}
	t.setConfig(cfg)
	return true, nil
}
