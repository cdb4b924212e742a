package appliance

import (
	"time"
)

// Config is what the shop and head office decide about this till. Head office
// will push it (the uplink issue); until then it comes from the database's
// stored copy or the defaults.
type Config struct {
	Store     string `json:"store"` // store code, "S001"
	Till      string `json:"till"`  // till code, "T01"
	StoreName string `json:"store_name"`
	Address   string `json:"address"`
	NPWP      string `json:"npwp,omitempty"`
	PKP       bool   `json:"pkp"` // a PKP shop shows PPN and its NPWP on receipts

	TimeZone string `json:"time_zone"` // "Asia/Jakarta" (WIB), "Asia/Makassar" (WITA), "Asia/Jayapura" (WIT)

	TaxClasses []TaxClass    `json:"tax_classes"`
	Rounding   CashRounding  `json:"rounding"`
	Weighed    []WeighedRule `json:"weighed_barcodes"`

	ReceiptHeader []string `json:"receipt_header,omitempty"`
	ReceiptFooter []string `json:"receipt_footer,omitempty"`
	ReceiptWidth  int      `json:"receipt_width"` // characters per line: 32 (58 mm), 42 or 48 (80 mm)

	// Payment methods the till offers, in order.
	Methods []MethodSpec `json:"payment_methods"`

	// MaxChange caps the change of one sale (0: no cap), against mistyped
	// amounts.
	MaxChange Rupiah `json:"max_change"`

	// Discounts above these limits need a supervisor's PIN.
	DiscountLimitBP int64  `json:"discount_limit_bp"` // percent discount limit in basis points
	DiscountLimit   Rupiah `json:"discount_limit"`    // amount discount limit per line or order

	// Lockout after this many wrong PINs in a row, for LockoutFor.
	PINAttempts int      `json:"pin_attempts"`
	LockoutFor  Duration `json:"lockout_for"`
	// Idle sessions end after this long.
	SessionIdle Duration `json:"session_idle"`

	// Sync warnings: the status strip turns amber, then red, when the oldest
	// unsynced record is older than these.
	WarnUnsynced  Duration `json:"warn_unsynced"`
	AlarmUnsynced Duration `json:"alarm_unsynced"`
	// Catalog age past which the till warns, or refuses to sell when
	// RefuseStaleCatalog is set.
	MaxCatalogAge      Duration `json:"max_catalog_age"`
	RefuseStaleCatalog bool     `json:"refuse_stale_catalog"`

	Version string `json:"version"`
}

// Duration is a time.Duration that reads and writes as "4h0m0s" in JSON.
type Duration struct{ time.Duration }

func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' {
		v, err := time.ParseDuration(string(b[1 : len(b)-1]))
		if err != nil {
			return err
		}
		d.Duration = v
		return nil
	}
	return Errorf(CodeInvalid, "duration %s must be a string like \"4h\"", b)
}

// DefaultConfig is the configuration of a till that has never heard from head
// office.
func DefaultConfig() Config {
	return Config{
		Store: "S001", Till: "T01",
		StoreName: "Toko Kasir", Address: "Jl. Merdeka No. 1, Jakarta",
		TimeZone:      "Asia/Jakarta",
		TaxClasses:    []TaxClass{PPNDefault(), {Code: "BEBAS", Name: "Bebas PPN"}},
		Rounding:      CashRounding{Unit: 100, Mode: RoundDown},
		Weighed:       DefaultWeighedRules(),
		ReceiptHeader: nil,
		ReceiptFooter: []string{"Terima kasih atas kunjungan Anda", "Barang yang sudah dibeli tidak dapat ditukar"},
		ReceiptWidth:  42,
		Methods:       DefaultMethods(),

		MaxChange:       2_000_000,
		DiscountLimitBP: 1000, // 10%
		DiscountLimit:   10000,
		PINAttempts:     5,
		LockoutFor:      Duration{5 * time.Minute},
		SessionIdle:     Duration{12 * time.Hour},
		WarnUnsynced:    Duration{4 * time.Hour},
		AlarmUnsynced:   Duration{24 * time.Hour},
		MaxCatalogAge:   Duration{7 * 24 * time.Hour},
		Version:         "default",
	}
}

// Validate reports a configuration the till cannot run on.
func (c *Config) Validate() error {
	if c.Store == "" || c.Till == "" {
		return Errorf(CodeInvalid, "config: store and till codes are required")
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return Errorf(CodeInvalid, "config: time zone %q: %v", c.TimeZone, err)
	}
	for _, t := range c.TaxClasses {
		if err := t.Validate(); err != nil {
			return err
		}
	}
	if c.ReceiptWidth != 0 && (c.ReceiptWidth < 24 || c.ReceiptWidth > 64) {
		return Errorf(CodeInvalid, "config: receipt width %d", c.ReceiptWidth)
	}
	if len(c.Methods) == 0 {
		return Errorf(CodeInvalid, "config: no payment methods")
	}
	return nil
}

// Location returns the shop's time zone; Jakarta when it is unknown.
func (c *Config) Location() *time.Location {
	if loc, err := time.LoadLocation(c.TimeZone); err == nil {
		return loc
	}
	loc, _ := time.LoadLocation("Asia/Jakarta")
	return loc
}

// ZoneName is the Indonesian name of the shop's zone: WIB, WITA or WIT.
func (c *Config) ZoneName() string {
	switch c.TimeZone {
	case "Asia/Makassar", "Asia/Ujung_Pandang":
		return "WITA"
	case "Asia/Jayapura":
		return "WIT"
	default:
		return "WIB"
	}
}

func (c *Config) taxClasses() map[string]TaxClass {
	m := make(map[string]TaxClass, len(c.TaxClasses))
	for _, t := range c.TaxClasses {
		m[t.Code] = t
	}
	return m
}

// Method returns the spec of a payment method the till offers.
func (c *Config) Method(code string) (MethodSpec, bool) {
	for _, m := range c.Methods {
		if m.Code == code {
			return m, true
		}
	}
	return MethodSpec{}, false
}
