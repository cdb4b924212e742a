package appliance

import (
	"math/big"
	"sort"
)

// TaxComponent is one tax inside a price, as data: PPN today is 12% (RateBP
// 1200) on a base of 11/12 of the selling price; a regional restaurant tax
// (PBJT) is 10% on the full base (BaseNum = BaseDen = 1).
type TaxComponent struct {
	Name    string `json:"name"`     // "PPN", "PBJT"
	RateBP  int64  `json:"rate_bp"`  // rate in basis points: 1200 = 12%
	BaseNum int64  `json:"base_num"` // tax base as a fraction of the selling price
	BaseDen int64  `json:"base_den"`
}

// TaxClass is a named set of taxes included in the prices of the products
// that carry it.
type TaxClass struct {
	Code       string         `json:"code"` // "PPN", "BEBAS"
	Name       string         `json:"name"`
	Components []TaxComponent `json:"components"`
}

// TaxLine is one tax on a receipt: the amount included in the prices, and the
// base it was computed on (DPP).
type TaxLine struct {
	Class  string `json:"class"`
	Name   string `json:"name"`
	RateBP int64  `json:"rate_bp"`
	Gross  Rupiah `json:"gross"` // price paid, tax included, for this class
	Base   Rupiah `json:"base"`  // DPP: the base the rate applies to
	Amount Rupiah `json:"amount"`
}

// PPNDefault is the tax class every product gets when none is named: PPN 12%
// on 11/12 of the selling price, which is 11% of the price before tax.
func PPNDefault() TaxClass {
	return TaxClass{Code: "PPN", Name: "PPN 12%", Components: []TaxComponent{{Name: "PPN", RateBP: 1200, BaseNum: 11, BaseDen: 12}}}
}

// Validate reports a tax class that cannot be computed.
func (c TaxClass) Validate() error {
	if c.Code == "" {
		return Errorf(CodeInvalid, "tax class without a code")
	}
	for _, t := range c.Components {
		if t.RateBP < 0 || t.RateBP > 10000 || t.BaseNum < 0 || t.BaseDen <= 0 || t.BaseNum > t.BaseDen {
			return Errorf(CodeInvalid, "tax class %s: component %s has rate %d bp on %d/%d", c.Code, t.Name, t.RateBP, t.BaseNum, t.BaseDen)
		}
	}
	return nil
}

// Split works out the taxes included in gross, an amount paid with every
// component of the class included: gross = H × (1 + Σ rate·base) where H is the
// selling price before tax. Each component is rounded half up; the arithmetic
// before that is exact.
func (c TaxClass) Split(gross Rupiah) []TaxLine {
	if len(c.Components) == 0 {
		return nil
	}
	// factor = 1 + Σ rate_i × num_i / (10000 × den_i)
	factor := big.NewRat(1, 1)
	effs := make([]*big.Rat, len(c.Components))
	for i, t := range c.Components {
		effs[i] = new(big.Rat).SetFrac64(t.RateBP*t.BaseNum, 10000*t.BaseDen)
		factor.Add(factor, effs[i])
	}
	pre := new(big.Rat).Quo(new(big.Rat).SetInt64(int64(gross)), factor) // H
	out := make([]TaxLine, 0, len(c.Components))
	for i, t := range c.Components {
		base := new(big.Rat).Mul(pre, big.NewRat(t.BaseNum, t.BaseDen))
		amt := new(big.Rat).Mul(pre, effs[i])
		out = append(out, TaxLine{
			Class: c.Code, Name: t.Name, RateBP: t.RateBP,
			Gross: gross, Base: roundRat(base), Amount: roundRat(amt),
		})
	}
	return out
}

// roundRat rounds half away from zero.
func roundRat(r *big.Rat) Rupiah {
	num := new(big.Int).Set(r.Num())
	den := r.Denom()
	neg := num.Sign() < 0
	if neg {
		num.Neg(num)
	}
	num.Mul(num, big.NewInt(2))
	num.Add(num, den)
	den2 := new(big.Int).Mul(den, big.NewInt(2))
	q := new(big.Int).Quo(num, den2)
	v := q.Int64()
	if neg {
		v = -v
	}
	return Rupiah(v)
}

// taxBreakdown sums gross per class and splits each. Computing per class on
// the sum, not per line, keeps the rounding error to one rupiah per tax.
func taxBreakdown(grossByClass map[string]Rupiah, classes map[string]TaxClass) []TaxLine {
	codes := make([]string, 0, len(grossByClass))
	for c := range grossByClass {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var out []TaxLine
	for _, code := range codes {
		cls, ok := classes[code]
		if !ok {
			continue
		}
		out = append(out, cls.Split(grossByClass[code])...)
	}
	return out
}
