// Package qrisprovider connects the till to a dynamic QRIS payment provider
// over HTTP, and provides the sandbox provider that tests and `make run` use.
//
// Client implements qris.Provider against the provider's JSON API and maps
// every failure to get an answer (refused or cut connections, timeouts,
// truncated responses, 5xx) to qris.ErrUnreachable, so the till can offer
// another method. Webhook receives the provider's signed push notifications
// and implements qris.Notifier.
//
// Sandbox serves the same API from an in-memory qristest.Provider, with a
// control API to play the customer's phone (pay, pay late) and to inject
// faults (drop connections before or after the work, hang, delay).
//
// The package knows nothing of the till: it must not import appliance or any
// of its adapters, and it never stores charges; the till does.
package qrisprovider
