package appliance

import (
	"sort"
	"time"
)

// Shift is one cashier session at the till, from opening with a float of
// cash to the Z report that closes it.
type Shift struct {
	ID       int64             `json:"id"`
	OpenedAt time.Time         `json:"opened_at"`
	OpenedBy string            `json:"opened_by"`
	Float    Rupiah            `json:"float"`
	ClosedAt time.Time         `json:"closed_at,omitzero"`
	ClosedBy string            `json:"closed_by,omitempty"`
	Counted  map[string]Rupiah `json:"counted,omitempty"`
}

// Open reports whether the shift is still running.
func (s *Shift) Open() bool { return s != nil && s.ClosedAt.IsZero() }

// CashMove is money put into or taken out of the drawer outside a sale
// (kas masuk / kas keluar).
type CashMove struct {
	ID      int64     `json:"id"`
	ShiftID int64     `json:"shift_id"`
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	In      bool      `json:"in"` // true: kas masuk; false: kas keluar
	Amount  Rupiah    `json:"amount"`
	Reason  string    `json:"reason"`
}

// ShiftReport is an X report (at any time) or a Z report (closing the shift).
type ShiftReport struct {
	Kind      string        `json:"kind"` // "X" or "Z"
	ShiftID   int64         `json:"shift_id"`
	Store     string        `json:"store"`
	Till      string        `json:"till"`
	Time      time.Time     `json:"time"`
	User      string        `json:"user"`
	OpenedAt  time.Time     `json:"opened_at"`
	OpenedBy  string        `json:"opened_by"`
	Float     Rupiah        `json:"float"`
	CashIn    Rupiah        `json:"cash_in"`
	CashOut   Rupiah        `json:"cash_out"`
	Sales     int           `json:"sales"`
	Voids     int           `json:"voids"`
	Refunds   int           `json:"refunds"`
	Gross     Rupiah        `json:"gross"` // Σ sale totals
	VoidTotal Rupiah        `json:"void_total"`
	Refunded  Rupiah        `json:"refunded"`
	Net       Rupiah        `json:"net"`       // gross − voids − refunds
	Discounts Rupiah        `json:"discounts"` // on sales, less those voided or refunded is not tracked
	Rounding  Rupiah        `json:"rounding"`  // Σ signed rounding
	Taxes     []TaxLine     `json:"taxes,omitempty"`
	Methods   []MethodCount `json:"methods"`
	Diff      Rupiah        `json:"diff"` // Σ counted − expected (Z only)
}

// MethodCount is one payment method's line in a shift report.
type MethodCount struct {
	Method   string `json:"method"`
	Name     string `json:"name"`
	Sales    Rupiah `json:"sales"`    // taken on sales, after change
	Returned Rupiah `json:"returned"` // paid back on voids and refunds
	Expected Rupiah `json:"expected"` // for cash: float + sales − returned + in − out
	Counted  Rupiah `json:"counted"`
	Diff     Rupiah `json:"diff"` // counted − expected
	HasCount bool   `json:"has_count"`
}

// BuildShiftReport computes an X or Z report from the shift's documents and
// cash moves. counted is nil for an X report.
func BuildShiftReport(kind string, sh *Shift, docs []Sale, moves []CashMove, counted map[string]Rupiah, cfg *Config, now time.Time, user string) ShiftReport {
	r := ShiftReport{Kind: kind, ShiftID: sh.ID, Store: cfg.Store, Till: cfg.Till, Time: now, User: user,
		OpenedAt: sh.OpenedAt, OpenedBy: sh.OpenedBy, Float: sh.Float}
	methods := map[string]*MethodCount{}
	get := func(code string) *MethodCount {
		m := methods[code]
		if m == nil {
			m = &MethodCount{Method: code, Name: code}
			if spec, ok := cfg.Method(code); ok {
				m.Name = spec.Name
			}
			methods[code] = m
		}
		return m
	}
	cashCode := MethodCash
	for _, spec := range cfg.Methods {
		get(spec.Code)
		if spec.Cash {
			cashCode = spec.Code
		}
	}
	get(cashCode)
	taxGross := map[string]Rupiah{}
	for i := range docs {
		d := &docs[i]
		switch d.Kind {
		case DocSale:
			r.Sales++
			r.Gross += d.Total
			r.Discounts += d.Discount
		case DocVoid:
			r.Voids++
			r.VoidTotal += d.Total
		case DocRefund:
			r.Refunds++
			r.Refunded += d.Total
		}
		r.Rounding += d.sign() * d.Rounding
		for _, l := range d.Lines {
			taxGross[l.TaxClass] += d.sign() * l.Net
		}
		for code, amt := range d.MethodNet(cfg) {
			m := get(code)
			if amt >= 0 {
				m.Sales += amt
			} else {
				m.Returned -= amt
			}
		}
	}
	r.Net = r.Gross - r.VoidTotal - r.Refunded
	r.Taxes = taxBreakdown(taxGross, cfg.taxClasses())
	for _, mv := range moves {
		if mv.In {
			r.CashIn += mv.Amount
		} else {
			r.CashOut += mv.Amount
		}
	}
	for code, m := range methods {
		m.Expected = m.Sales - m.Returned
		if code == cashCode {
			m.Expected += sh.Float + r.CashIn - r.CashOut
		}
		// A method the cashier did not count has no difference: counting
		// only cash must not turn the card takings into a shortfall.
		if v, ok := counted[code]; ok {
			m.Counted, m.HasCount = v, true
			m.Diff = m.Counted - m.Expected
			r.Diff += m.Diff
		}
	}
	for _, m := range methods {
		r.Methods = append(r.Methods, *m)
	}
	order := map[string]int{}
	for i, spec := range cfg.Methods {
		order[spec.Code] = i + 1
	}
	sort.Slice(r.Methods, func(i, j int) bool {
		oi, oj := order[r.Methods[i].Method], order[r.Methods[j].Method]
		if oi == 0 {
			oi = 1 << 20
		}
		if oj == 0 {
			oj = 1 << 20
		}
		if oi != oj {
			return oi < oj
		}
		return r.Methods[i].Method < r.Methods[j].Method
	})
	return r
}
