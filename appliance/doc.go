// Package appliance is the till's domain: catalog, cart, sale, payment, shift,
// receipt, tax and rounding rules, users and the journal, and the Till service
// that ties them together for the web layer.
//
// It declares the interfaces it needs from the outside world — a Store for
// durable state, a Printer, a Drawer and a Clock — and imports none of their
// implementations: no SQL, HTTP, serial or MQTT package may be imported here.
//
// Money is whole rupiah in an int64 (Rupiah). Quantities are thousandths of a
// unit (Qty), so a weighed 0.750 kg and a counted 3 pcs share one type. Floats
// never hold money.
package appliance
