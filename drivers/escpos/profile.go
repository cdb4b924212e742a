package escpos

// Profile describes one printer model as data: what the paper holds and which
// optional commands the printer understands.
type Profile struct {
	Name     string
	Columns  int    // characters per line in font A: 32 on 58 mm paper, 42 or 48 on 80 mm
	Cutter   bool   // has an auto-cutter (GS V)
	NativeQR bool   // understands GS ( k for QR codes
	CodePage string // "CP437", "CP850", "CP858" or "CP1252"; empty means CP437
	// Status: the printer answers real-time status requests (DLE EOT) on
	// this link. Cheap clones, and USB links that are write-only, answer
	// nothing; Printer then sends jobs blind.
	Status bool
	// ASB: the printer sends automatic status messages (GS a), which
	// Printer uses to stop a job as soon as the paper runs out and, when
	// Status is false, as its status.
	ASB bool
}

// Presets are the printers Kasir has profiles for, by the name used in the
// till's config.
var Presets = map[string]Profile{
	"epson-tm-t82":   {Name: "Epson TM-T82", Columns: 48, Cutter: true, NativeQR: true, CodePage: "CP858", Status: true, ASB: true},
	"epson-tm-t20":   {Name: "Epson TM-T20", Columns: 48, Cutter: true, NativeQR: true, CodePage: "CP858", Status: true, ASB: true},
	"xprinter-xp-58": {Name: "Xprinter XP-58", Columns: 32, CodePage: "CP437"},
	"xprinter-xp-80": {Name: "Xprinter XP-80", Columns: 48, Cutter: true, NativeQR: true, CodePage: "CP437", Status: true},
	"generic-58":     {Name: "Generic 58 mm", Columns: 32, CodePage: "CP437"},
}

// dots is the printable width in dots at 203 dpi, which barcodes must fit:
// 384 on 58 mm paper, 576 on 80 mm paper (whatever font gives 42 or 48 columns).
func (p Profile) dots() int {
	if p.Columns <= 32 {
		return 384
	}
	return 576
}

func (p Profile) codePage() (*codePage, error) {
	name := p.CodePage
	if name == "" {
		name = "CP437"
	}
	for _, cp := range codePages {
		if cp.name == name {
			return cp, nil
		}
	}
	return nil, &UnknownCodePageError{Name: name}
}

// UnknownCodePageError reports a profile whose code page escpos cannot map.
type UnknownCodePageError struct{ Name string }

func (e *UnknownCodePageError) Error() string { return "escpos: unknown code page " + e.Name }
