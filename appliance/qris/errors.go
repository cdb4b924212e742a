package qris

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says what is wrong with a payload. Each kind has its own sentence for
// the cashier or technician who pasted the code (see Error.Message).
type Kind string

const (
	KindEmpty      Kind = "empty"       // nothing pasted
	KindSyntax     Kind = "syntax"      // not a run of ID-length-value objects, or cut off
	KindCharacters Kind = "characters"  // a character outside printable ASCII
	KindTooLong    Kind = "too_long"    // over 512 characters, or a value over its maximum
	KindFormat     Kind = "format"      // tag 00 is not first or not "01": not an EMV QR code
	KindCRCMissing Kind = "crc_missing" // tag 63 is not the last object, or not four uppercase hex digits
	KindChecksum   Kind = "checksum"    // the CRC does not match: a character was copied wrong
	KindDuplicate  Kind = "duplicate"   // a tag appears twice in the same template
	KindMissing    Kind = "missing"     // a mandatory tag is absent
	KindValue      Kind = "value"       // a tag's value breaks its rule (length, digits, allowed values)
	KindTemplate   Kind = "template"    // a nested template is malformed
	KindCurrency   Kind = "currency"    // not rupiah (tag 53 is not "360")
	KindAmount     Kind = "amount"      // an amount the till cannot put in a code
	KindLabel      Kind = "label"       // a terminal or reference label the code cannot carry
)

// Error is a bad payload or a bad request to build one. Tag names the data
// object at fault ("54", "62.05"), when there is one; Detail is English for
// the log.
type Error struct {
	Kind   Kind
	Tag    string
	Detail string
}

func (e *Error) Error() string {
	s := "qris: " + string(e.Kind)
	if e.Tag != "" {
		s += " (tag " + e.Tag + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is makes errors.Is(err, &Error{Kind: k}) match any Error of kind k.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t.Tag == "" || t.Tag == e.Tag)
}

func errorf(kind Kind, tag, format string, args ...any) *Error {
	return &Error{Kind: kind, Tag: tag, Detail: fmt.Sprintf(format, args...)}
}

// kindMessages are the sentences a person reads, Bahasa Indonesia first.
// A %s is the tag and its name ("tag 59 (nama merchant)"); kinds that need
// a tag fall back to invalidMessage without one.
var kindMessages = map[Kind][2]string{
	KindEmpty:      {"Kode QRIS kosong.", "The QRIS code is empty."},
	KindSyntax:     {"Kode QRIS rusak atau terpotong. Salin ulang seluruh kode.", "The QRIS code is broken or cut off. Copy the whole code again."},
	KindCharacters: {"Kode QRIS berisi karakter yang tidak diizinkan.", "The QRIS code contains characters that are not allowed."},
	KindTooLong:    {"Kode QRIS terlalu panjang.", "The QRIS code is too long."},
	KindFormat:     {"Ini bukan kode QRIS: harus diawali 000201.", "This is not a QRIS code: it must start with 000201."},
	KindCRCMissing: {"Kode QRIS harus diakhiri CRC (6304 dan 4 karakter). Salin ulang seluruh kode.", "The QRIS code must end with its CRC (6304 and 4 characters). Copy the whole code again."},
	KindChecksum:   {"CRC kode QRIS tidak cocok: ada karakter yang salah salin.", "The QRIS code's CRC does not match: a character was copied wrong."},
	KindDuplicate:  {"Kode QRIS memuat %s dua kali.", "The QRIS code contains %s twice."},
	KindMissing:    {"Kode QRIS tidak memuat %s yang wajib ada.", "The QRIS code lacks the required %s."},
	KindValue:      {"Nilai %s di kode QRIS tidak valid.", "The QRIS code has an invalid %s."},
	KindTemplate:   {"Isi %s di kode QRIS rusak.", "The QRIS code has a malformed %s."},
	KindCurrency:   {"Kode QRIS ini bukan dalam Rupiah.", "This QRIS code is not in rupiah."},
	KindAmount:     {"Nominal QRIS tidak valid.", "The QRIS amount is invalid."},
	KindLabel:      {"Label terminal atau referensi QRIS terlalu panjang atau berisi karakter yang tidak diizinkan.", "The QRIS terminal or reference label is too long or has characters that are not allowed."},
}

var (
	invalidMessage      = [2]string{"Kode QRIS tidak valid.", "The QRIS code is invalid."}
	tooLongInTagMessage = [2]string{"Isi %s di kode QRIS terlalu panjang.", "The QRIS code's %s is too long."}
)

var tagNames = map[string][2]string{
	"00": {"format payload", "payload format indicator"},
	"01": {"metode inisiasi", "point of initiation method"},
	"26": {"informasi akun merchant", "merchant account information"},
	"52": {"kategori merchant (MCC)", "merchant category code"},
	"53": {"mata uang", "transaction currency"},
	"54": {"nominal", "transaction amount"},
	"55": {"indikator tip", "tip indicator"},
	"56": {"biaya tetap", "fixed convenience fee"},
	"57": {"biaya persentase", "percentage convenience fee"},
	"58": {"kode negara", "country code"},
	"59": {"nama merchant", "merchant name"},
	"60": {"kota merchant", "merchant city"},
	"61": {"kode pos", "postal code"},
	"62": {"data tambahan", "additional data"},
	"63": {"CRC", "CRC"},
}

// tagName is "tag 59 (nama merchant)" in language i.
func tagName(tag string, i int) string {
	top := tag
	if j := strings.IndexByte(tag, '.'); j >= 0 {
		top = tag[:j]
	}
	if isAccountTag(top) {
		top = "26"
	}
	if n, ok := tagNames[top]; ok {
		return "tag " + tag + " (" + n[i] + ")"
	}
	return "tag " + tag
}

// Message is the sentence for a person, in lang "id" (the default) or "en".
func (e *Error) Message(lang string) string {
	i := langIndex(lang)
	m, ok := kindMessages[e.Kind]
	if e.Kind == KindTooLong && e.Tag != "" {
		m = tooLongInTagMessage
	}
	if !ok {
		return invalidMessage[i]
	}
	if !strings.Contains(m[i], "%s") {
		return m[i]
	}
	if e.Tag == "" {
		return invalidMessage[i]
	}
	return fmt.Sprintf(m[i], tagName(e.Tag, i))
}

func langIndex(lang string) int {
	if lang == "en" {
		return 1
	}
	return 0
}

// Message returns the sentence a cashier reads for err in lang ("id" or
// "en"): a payload Error's own message, or the one for a provider error.
// It returns "" for an error this package does not know, so the caller can
// fall back to its own.
func Message(err error, lang string) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message(lang)
	}
	i := langIndex(lang)
	for _, pm := range providerMessages {
		if errors.Is(err, pm.err) {
			return pm.msg[i]
		}
	}
	return ""
}
