// Package escpos speaks ESC/POS, the command language of receipt printers:
// profiles of common printers as data, an Encoder for the commands a receipt
// needs, Render for a whole receipt, and Decode, which turns bytes back into
// commands and the text grid the paper would show (for tests and the virtual
// printer page). It also drives a real printer: Printer sends jobs over a
// Conn (serial port, USB printer-class device file, TCP port 9100), reads
// the printer's real-time and automatic status, refuses to print into a
// fault, reports a fault during a job as that job's failure, and reopens the
// link after any error so an unplugged or switched-off printer comes back
// without a restart. Package escpostest emulates a printer for tests.
//
// It must never import the till's domain (appliance) or a sibling driver: the
// main turns an appliance.Receipt into a Doc and adapts Printer to the
// domain's interface. It must never emit a line wider than the paper, a byte
// the selected code page does not define, or a drawer pulse long enough to
// harm the solenoid. It never opens a serial port itself (the main hands
// SerialDialer a function around serial.Open); it opens only the device file
// or network address it is given, and only through a Dialer.
package escpos
