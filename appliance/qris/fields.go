package qris

// Fields returns a copy of the payload's data objects in order, without the
// CRC (63).
func (p *Payload) Fields() []Field { return cloneFields(p.fields) }

func cloneFields(fs []Field) []Field {
	if fs == nil {
		return nil
	}
	out := make([]Field, len(fs))
	for i, f := range fs {
		out[i] = Field{ID: f.ID, Value: f.Value, Sub: cloneFields(f.Sub)}
	}
	return out
}

// Lookup returns the value of a tag ("59") or of a template's sub-tag
// ("62.05", "51.02").
func (p *Payload) Lookup(tag string) (string, bool) {
	id, sub := tag, ""
	if len(tag) == 5 && tag[2] == '.' {
		id, sub = tag[:2], tag[3:]
	}
	for _, f := range p.fields {
		if f.ID != id {
			continue
		}
		if sub == "" {
			return f.Value, true
		}
		return subValue(f.Sub, sub)
	}
	return "", false
}

func (p *Payload) value(tag string) string { v, _ := p.Lookup(tag); return v }

// IsDynamic reports whether the point of initiation is "12": a code for one sale.
func (p *Payload) IsDynamic() bool { return p.value("01") == InitiationDynamic }

// MerchantName is tag 59, as printed under the code.
func (p *Payload) MerchantName() string { return p.value("59") }

// MerchantCity is tag 60.
func (p *Payload) MerchantCity() string { return p.value("60") }

// MCC is the merchant category code, tag 52.
func (p *Payload) MCC() string { return p.value("52") }

// PostalCode is tag 61, or "".
func (p *Payload) PostalCode() string { return p.value("61") }

// Amount is tag 54 in whole rupiah; ok is false when the code has no amount.
func (p *Payload) Amount() (rupiah int64, ok bool) {
	v, ok := p.Lookup("54")
	if !ok {
		return 0, false
	}
	n, _ := parseAmount(v) // validated by Parse
	return n, true
}

// Account is one merchant account information template (tags 26–51).
type Account struct {
	Tag        string // "26" … "51"
	GUID       string // 00: reverse domain of the acquirer or ID.CO.QRIS.WWW
	PAN        string // 01: merchant PAN
	MerchantID string // 02: merchant ID; the NMID under ID.CO.QRIS.WWW
	Criteria   string // 03: merchant criteria (UMI, UKE, UME, UBE, URE)
}

// Accounts lists the merchant account templates in order.
func (p *Payload) Accounts() []Account {
	var out []Account
	for _, f := range p.fields {
		if !isAccountTag(f.ID) {
			continue
		}
		a := Account{Tag: f.ID}
		a.GUID, _ = subValue(f.Sub, "00")
		a.PAN, _ = subValue(f.Sub, "01")
		a.MerchantID, _ = subValue(f.Sub, "02")
		a.Criteria, _ = subValue(f.Sub, "03")
		out = append(out, a)
	}
	return out
}

// NMID is the merchant's national merchant ID: sub-tag 02 of the account
// whose GUID is ID.CO.QRIS.WWW (tag 51 in practice), or "".
func (p *Payload) NMID() string {
	for _, a := range p.Accounts() {
		if a.GUID == GUIDNational {
			return a.MerchantID
		}
	}
	return ""
}
