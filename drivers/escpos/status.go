package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// StatusKind is the n of DLE EOT n: which status byte a real-time request
// asks for.
type StatusKind byte

const (
	StatusPrinter StatusKind = 1 // online/offline, drawer connector pin 3
	StatusOffline StatusKind = 2 // why the printer is offline: cover, feed button, paper end, error
	StatusError   StatusKind = 3 // which error: cutter, unrecoverable, auto-recoverable
	StatusPaper   StatusKind = 4 // roll paper near-end and end sensors
)

// AllStatus is the request order Printer uses: one request of each kind.
var AllStatus = []StatusKind{StatusPrinter, StatusOffline, StatusError, StatusPaper}

// StatusRequest is the real-time request DLE EOT n. The printer answers it
// as soon as it arrives, ahead of whatever it still holds in its buffer, and
// also while offline.
func StatusRequest(n StatusKind) []byte { return []byte{dle, 0x04, byte(n)} }

// Status is what a printer reported about itself. The zero value is a
// printer that is online with nothing wrong.
type Status struct {
	Offline bool
	// DrawerPin3 is the level of the drawer connector's pin 3, where the
	// drawer's open switch is wired. Which level means open depends on the
	// drawer, so the drawer driver interprets it.
	DrawerPin3   bool
	CoverOpen    bool
	FeedButton   bool // paper is being fed with the FEED button
	PaperOut     bool // roll paper end: printing has stopped or will
	PaperNearEnd bool
	CutterError  bool // the auto-cutter jammed or failed
	// Unrecoverable errors need the printer switched off (head
	// overheating that does not cool down, a broken mechanism);
	// auto-recoverable ones (head temperature) clear by themselves.
	Unrecoverable   bool
	AutoRecoverable bool
}

// Fault is the most serious thing s reports, as the sentinel error a job
// would fail with, or nil when the printer can print (a near-end roll can).
func (s Status) Fault() error {
	switch {
	case s.CoverOpen:
		return ErrCoverOpen
	case s.PaperOut:
		return ErrPaperOut
	case s.CutterError || s.Unrecoverable || s.AutoRecoverable:
		return fmt.Errorf("%w: %s", ErrPrinterError, s)
	case s.Offline:
		return ErrOffline
	}
	return nil
}

// String lists the conditions that are set, "ok" when none is.
func (s Status) String() string {
	var f []string
	for _, c := range []struct {
		on   bool
		name string
	}{
		{s.Offline, "offline"}, {s.CoverOpen, "cover open"}, {s.FeedButton, "feeding"},
		{s.PaperOut, "paper out"}, {s.PaperNearEnd, "paper near end"},
		{s.CutterError, "cutter error"}, {s.Unrecoverable, "unrecoverable error"},
		{s.AutoRecoverable, "auto-recoverable error"},
	} {
		if c.on {
			f = append(f, c.name)
		}
	}
	if len(f) == 0 {
		return "ok"
	}
	return strings.Join(f, ", ")
}

// ErrStatus is wrapped by every failure to parse a status byte or message.
var ErrStatus = errors.New("escpos: malformed status")

// IsStatusAnswer reports whether b has the fixed bits of an answer to DLE EOT
// (0xx1xx10): bit 1 and bit 4 set, bits 0 and 7 clear. Automatic status
// messages and transmitted XON/XOFF never do, which is how Printer picks the
// answers out of whatever else a printer sends.
func IsStatusAnswer(b byte) bool { return b&0x93 == 0x12 }

// Apply folds the answer b to DLE EOT n into s.
func (s *Status) Apply(n StatusKind, b byte) error {
	if !IsStatusAnswer(b) {
		return fmt.Errorf("%w: DLE EOT %d answer 0x%02X lacks the fixed bits 0xx1xx10", ErrStatus, n, b)
	}
	bit := func(i uint) bool { return b&(1<<i) != 0 }
	switch n {
	case StatusPrinter:
		s.DrawerPin3 = bit(2)
		s.Offline = bit(3)
	case StatusOffline:
		s.CoverOpen = bit(2)
		s.FeedButton = bit(3)
		// bit 5 means printing stopped at the paper end; the roll
		// sensor (n = 4) says the same while the paper is out.
		s.PaperOut = s.PaperOut || bit(5)
		// bit 6 says an error occurred; n = 3 says which.
	case StatusError:
		s.CutterError = bit(3)
		s.Unrecoverable = bit(5)
		s.AutoRecoverable = bit(6)
	case StatusPaper:
		// Each sensor is reported in two bits (2-3 near end, 5-6 end)
		// that printers set together; either one counts.
		s.PaperNearEnd = b&0x0C != 0
		s.PaperOut = s.PaperOut || b&0x60 != 0
	default:
		return fmt.Errorf("%w: DLE EOT %d is not a status request", ErrStatus, n)
	}
	return nil
}

// ParseStatus reads the answers to the requests in kinds, in order.
func ParseStatus(kinds []StatusKind, answers []byte) (Status, error) {
	var s Status
	if len(answers) != len(kinds) {
		return s, fmt.Errorf("%w: %d answers to %d requests", ErrStatus, len(answers), len(kinds))
	}
	for i, n := range kinds {
		if err := s.Apply(n, answers[i]); err != nil {
			return s, err
		}
	}
	return s, nil
}

// ASB enable bits for GS a n: which changes make the printer send an
// automatic status message.
const (
	ASBDrawer  = 1 << 0
	ASBOnline  = 1 << 1
	ASBError   = 1 << 2
	ASBPaper   = 1 << 3
	ASBAll     = ASBDrawer | ASBOnline | ASBError | ASBPaper
	asbMsgSize = 4
)

// IsASBStart reports whether b can begin an automatic status message
// (0xx1xx00). The three bytes after it have bits 4 and 7 clear.
func IsASBStart(b byte) bool { return b&0x93 == 0x10 }

// ParseASB reads a 4-byte automatic status message, which a printer sends
// after GS a enables it and again whenever an enabled condition changes.
func ParseASB(m []byte) (Status, error) {
	var s Status
	if len(m) != asbMsgSize {
		return s, fmt.Errorf("%w: automatic status message of %d bytes, want 4", ErrStatus, len(m))
	}
	if !IsASBStart(m[0]) {
		return s, fmt.Errorf("%w: automatic status byte 1 0x%02X lacks the fixed bits 0xx1xx00", ErrStatus, m[0])
	}
	for i, b := range m[1:] {
		if b&0x90 != 0 {
			return s, fmt.Errorf("%w: automatic status byte %d 0x%02X lacks the fixed bits 0xx0xxxx", ErrStatus, i+2, b)
		}
	}
	s.DrawerPin3 = m[0]&0x04 != 0
	s.Offline = m[0]&0x08 != 0
	s.CoverOpen = m[0]&0x20 != 0
	s.FeedButton = m[0]&0x40 != 0
	s.CutterError = m[1]&0x08 != 0
	s.Unrecoverable = m[1]&0x20 != 0
	s.AutoRecoverable = m[1]&0x40 != 0
	s.PaperNearEnd = m[2]&0x03 != 0
	s.PaperOut = m[2]&0x0C != 0
	return s, nil
}

// StatusAnswers is what a printer in state s answers to DLE EOT n, for
// emulators and tests.
func (s Status) StatusAnswers(kinds ...StatusKind) []byte {
	out := make([]byte, 0, len(kinds))
	for _, n := range kinds {
		b := byte(0x12)
		set := func(on bool, i uint) {
			if on {
				b |= 1 << i
			}
		}
		switch n {
		case StatusPrinter:
			set(s.DrawerPin3, 2)
			set(s.Offline, 3)
		case StatusOffline:
			set(s.CoverOpen, 2)
			set(s.FeedButton, 3)
			set(s.PaperOut, 5)
			set(s.CutterError || s.Unrecoverable || s.AutoRecoverable, 6)
		case StatusError:
			set(s.CutterError, 3)
			set(s.Unrecoverable, 5)
			set(s.AutoRecoverable, 6)
		case StatusPaper:
			if s.PaperNearEnd || s.PaperOut {
				b |= 0x0C // the near-end sensor sits before the end sensor
			}
			if s.PaperOut {
				b |= 0x60
			}
		}
		out = append(out, b)
	}
	return out
}

// ASBMessage is the automatic status message a printer in state s sends.
func (s Status) ASBMessage() []byte {
	m := []byte{0x10, 0, 0, 0}
	if s.DrawerPin3 {
		m[0] |= 0x04
	}
	if s.Offline {
		m[0] |= 0x08
	}
	if s.CoverOpen {
		m[0] |= 0x20
	}
	if s.FeedButton {
		m[0] |= 0x40
	}
	if s.CutterError {
		m[1] |= 0x08
	}
	if s.Unrecoverable {
		m[1] |= 0x20
	}
	if s.AutoRecoverable {
		m[1] |= 0x40
	}
	if s.PaperNearEnd || s.PaperOut {
		m[2] |= 0x03
	}
	if s.PaperOut {
		m[2] |= 0x0C
	}
	return m
}
