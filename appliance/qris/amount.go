package qris

import "strconv"

// MaxLabel is the longest terminal label (62.07) or reference label (62.05).
const MaxLabel = 25

// MaxAmount is the largest amount tag 54 can hold in whole rupiah (13 digits).
const MaxAmount = 9_999_999_999_999

// WithAmount makes the code for one sale from the merchant's static code:
// point of initiation "12", the amount in tag 54 (whole rupiah, no decimal
// point), and in tag 62 the terminal label (07) and the reference label (05),
// with a fresh CRC. Other additional-data sub-tags of the static code (a
// store label, a bill number) are kept; its own 05 and 07 are replaced. An
// empty terminal or reference leaves that sub-tag out, so a sale's code never
// carries a label from the static code.
//
// The tip and convenience-fee tags (55, 56, 57) are dropped: the customer
// must pay exactly the amount the till records, or the payment would not
// match the sale. A static code's own amount, if any, is replaced.
//
// Errors: KindAmount for an amount outside 1…MaxAmount, KindLabel for a label
// over 25 characters or outside printable ASCII, KindTooLong when the result
// would not fit the 99-character template or the 512-character payload.
func (p *Payload) WithAmount(amount int64, terminal, reference string) (string, error) {
	if amount <= 0 || amount > MaxAmount {
		return "", errorf(KindAmount, "54", "amount %d is not from 1 to %d", amount, int64(MaxAmount))
	}
	if err := checkLabel(terminal, "62.07"); err != nil {
		return "", err
	}
	if err := checkLabel(reference, "62.05"); err != nil {
		return "", err
	}
	var extra []Field
	for _, f := range p.fields {
		if f.ID == "62" {
			for _, s := range f.Sub {
				if s.ID != "05" && s.ID != "07" {
					extra = append(extra, s)
				}
			}
		}
	}
	if reference != "" {
		extra = insertField(extra, Field{ID: "05", Value: reference})
	}
	if terminal != "" {
		extra = insertField(extra, Field{ID: "07", Value: terminal})
	}
	var out []Field
	for _, f := range p.Fields() {
		switch f.ID {
		case "01":
			f.Value = InitiationDynamic
		case "54", "55", "56", "57", "62":
			continue
		}
		out = append(out, f)
	}
	out = insertField(out, Field{ID: "54", Value: strconv.FormatInt(amount, 10)})
	if len(extra) > 0 {
		out = insertField(out, Field{ID: "62", Sub: extra})
	}
	q, err := New(out...)
	if err != nil {
		return "", err
	}
	return q.Encode(), nil
}

// insertField puts f before the first field with a higher ID, which keeps
// a code in ascending order when it was, and otherwise changes it least.
func insertField(fs []Field, f Field) []Field {
	i := 0
	for i < len(fs) && fs[i].ID <= f.ID {
		i++
	}
	fs = append(fs, Field{})
	copy(fs[i+1:], fs[i:])
	fs[i] = f
	return fs
}

func checkLabel(s, tag string) error {
	if len(s) > MaxLabel {
		return errorf(KindLabel, tag, "%q is longer than %d characters", s, MaxLabel)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7E {
			return errorf(KindLabel, tag, "%q has a character outside printable ASCII", s)
		}
	}
	return nil
}
