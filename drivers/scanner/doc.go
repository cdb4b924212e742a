// Package scanner reads barcodes from serial barcode scanners: USB-CDC
// scanners (/dev/ttyACM*) and RS-232 ones, which type each code as ASCII
// followed by a suffix, CR, LF, CR LF or a tab, depending on how the scanner
// was programmed.
//
// Run splits the stream into codes, trims them, and drops empty lines and
// lines with unprintable bytes (line noise when a scanner is plugged in or
// set to the wrong baud rate). A line is never held beyond MaxLen bytes:
// longer input is discarded up to the next suffix and logged as ErrTooLong,
// so a scanner stuck sending never grows memory.
//
// A serial port opened with a read timeout (go.bug.st/serial's
// SetReadTimeout) returns (0, nil) when the timeout passes with no data; Run
// takes that as "nothing yet", waits IdleWait so that a reader that returns
// at once cannot make it spin, and keeps reading. Run returns when its
// context is done or when a read fails (the scanner was unplugged), with that
// error, so the main can reopen the port and call Run again.
//
// The package must never import the till's domain (appliance) or a sibling
// driver, and never open a port: the main opens it and hands it in as an
// io.Reader. What a code means (an EAN-13, a PLU, a weighed item) is the
// till's business, not this package's.
package scanner
