// Package display drives a customer pole display: the two-line, twenty-column
// vacuum fluorescent display that faces the customer, on a serial port.
//
// Two command sets cover nearly every pole display sold; the display's DIP
// switches or setup menu choose one:
//
//	CD5220 (Partner Tech and its many clones)
//	  ESC @          1B 40            initialise
//	  ESC _ n        1B 5F n          cursor off (0) / on (1)
//	  ESC Q A .. CR  1B 51 41 .. 0D   write the upper line (string mode)
//	  ESC Q B .. CR  1B 51 42 .. 0D   write the lower line (string mode)
//	  CLR            0C               clear the screen, leave string mode
//
//	Epson ESC/POS customer display (DM-D and compatibles)
//	  ESC @          1B 40            initialise
//	  US MD1         1F 01            overwrite mode (no scrolling)
//	  US C n         1F 43 n          cursor off (0) / on (1)
//	  US $ x y       1F 24 x y        move the cursor to column x, row y (from 1)
//	  CLR            0C               clear the screen
//
// Every screen is sent whole, each line padded to the full width, so no
// stale characters survive and no scroll mode is ever triggered. The
// initialisation is sent before the first screen and again after a write
// error, because a display that was unplugged comes back reset. ESC = n
// (select peripheral) is not sent: the display is on a port of its own, not
// behind a printer.
//
// Text is reduced to printable ASCII (accents stripped, other characters
// replaced), so no byte of an item name can reach the display as a command,
// and fitted to the width: names are cut, amounts are right-aligned and never
// pushed off the line. Formatting amounts ("Rp 12.500") is the caller's job.
//
// Screen decodes the bytes back into the grid the display would show; it is
// stricter than the hardware and fails on any sequence this package does not
// know or on text that would run off a line, which is what tests want.
//
// The package must never import the till's domain (appliance) or a sibling
// driver, and never open a port: the main opens the serial port and hands
// it in as an io.Writer.
package display
