// Package escpos speaks ESC/POS, the command language of receipt printers:
// profiles of common printers as data, an Encoder for the commands a receipt
// needs, Render for a whole receipt, and Decode, which turns bytes back into
// commands and the text grid the paper would show (for tests and the virtual
// printer page).
//
// It must never import the till's domain (appliance) or a sibling driver: the
// main turns an appliance.Receipt into a Doc. It must never emit a line wider
// than the paper, a byte the selected code page does not define, or a drawer
// pulse long enough to harm the solenoid. It opens no ports; transports are
// handed in as io.Writer.
package escpos
