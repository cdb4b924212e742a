// Package drawer drives a cash drawer wired to a GPIO relay, with an optional
// open sensor (the drawer's micro-switch) on a second GPIO pin.
//
// Open pulses the relay that fires the drawer's solenoid. The pulse length is
// clamped to MinPulse..MaxPulse because a solenoid held too long overheats,
// and the relay is always driven low afterwards, whatever happens during the
// pulse (cancelled context, failing pin, panic). A second kick within the
// re-kick guard, or while the sensor says the drawer is open, is refused with
// ErrTooSoon or ErrAlreadyOpen instead of firing the solenoid again.
//
// Watch follows the sensor, by edge interrupts where the pin has them and by
// polling where it does not, debounces the switch, and reports Opened, Closed
// (with how long the drawer was open) and LeftOpen (once per opening) events.
//
// The package must never import the till's domain (appliance) or a sibling
// driver, and never look a pin up: the main initialises periph's host
// drivers, finds the pins by name and hands them in. drawertest has a fake
// pin for tests.
package drawer
