// Package qrcode encodes QR codes (ISO/IEC 18004): the QRIS payment code on
// the touchscreen and customer screen (as SVG) and a raster fallback for
// receipt printers that have no native QR command (as a bitmap or PNG).
//
// Encode picks the smallest version that holds the data at the requested
// error correction level, in numeric, alphanumeric or byte mode (one segment,
// no ECI), and the data mask with the lowest penalty score.
//
// It must never import another kasir package or anything outside the
// standard library, and never do I/O: it turns a string into modules and
// modules into images, nothing else. A code it returns must scan with any
// ISO decoder; the tests hold it to that with a real decoder (zbarimg).
package qrcode
