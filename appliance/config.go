package appliance

import (
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
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

	// QRISStatic is the shop's static QRIS payload as printed on its QRIS
	// sticker (pasted in as text). The static QRIS method derives each
	// sale's code from it, with the amount; it is checked on apply.
	QRISStatic string `json:"qris_static,omitempty"`
	// QRISOnReceipt prints the QRIS code a sale was paid with on its receipt.
	QRISOnReceipt bool `json:"qris_on_receipt,omitempty"`
	// QRISExpiry is how long a dynamic QRIS charge can be paid.
	QRISExpiry Duration `json:"qris_expiry"`

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
		QRISStatic:    DemoQRIS,
		QRISExpiry:    Duration{5 * time.Minute},

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
	seen := map[string]bool{}
	for _, m := range c.Methods {
		switch {
		case m.Code == "" || seen[m.Code]:
			return Errorf(CodeInvalid, "config: payment method code %q empty or repeated", m.Code)
		case m.MaxAmount < 0:
			return Errorf(CodeInvalid, "config: payment method %s: negative cap", m.Code)
		case m.QRIS != "" && m.QRIS != QRISStatic && m.QRIS != QRISDynamic:
			return Errorf(CodeInvalid, "config: payment method %s: qris %q is not static or dynamic", m.Code, m.QRIS)
		case m.QRIS == QRISStatic && strings.TrimSpace(c.QRISStatic) == "" && !m.Off:
			return Errorm(CodeInvalid, "qris_static_missing", nil, "config: method %s needs qris_static", m.Code)
		case m.QRIS == QRISDynamic && m.Offline:
			// Promise 3: a method that needs a live authorisation is
			// offered only while online.
			return Errorf(CodeInvalid, "config: payment method %s: dynamic QRIS cannot work offline", m.Code)
		}
		seen[m.Code] = true
	}
	if s := strings.TrimSpace(c.QRISStatic); s != "" {
		if _, err := c.StaticQRIS(); err != nil {
			return err
		}
	}
	if c.QRISExpiry.Duration < 0 || c.QRISExpiry.Duration > 24*time.Hour {
		return Errorf(CodeInvalid, "config: qris_expiry %s", c.QRISExpiry)
	}
	return nil
}

// DemoQRIS is the static QRIS of the demo shop "TOKO KASIR" in Jakarta
// (qristest.Static): plausible, valid, and paying nobody.
const DemoQRIS = "00020101021126650019ID.CO.BANKKASIR.WWW011893600999000012345602090001234560303UMI" +
	"51440014ID.CO.QRIS.WWW0215ID10261234567890303UMI" +
	"5204541153033605802ID5910TOKO KASIR6007JAKARTA61051011062110707KASIR01" + "6304524F"

// StaticQRIS parses the shop's static QRIS. A bad payload is a CodeInvalid
// error whose message is qris's sentence for what is wrong with it.
func (c *Config) StaticQRIS() (*qris.Payload, error) {
	s := strings.TrimSpace(c.QRISStatic)
	if s == "" {
		return nil, Errorm(CodeInvalid, "qris_static_missing", nil, "config: no qris_static")
	}
	p, err := qris.Parse(s)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Key: "qris_static_bad", Args: []any{qrisText{err}}, Detail: "config: qris_static", Err: err}
	}
	return p, nil
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

// Method returns the spec of a payment method the till knows. A method that
// is switched off is still known (old sales and reports name it); Pay
// refuses it.
func (c *Config) Method(code string) (MethodSpec, bool) {
	for _, m := range c.Methods {
		if m.Code == code {
			return m, true
		}
	}
	return MethodSpec{}, false
}
