// Package qris reads and writes QRIS payloads, Indonesia's national QR
// payment standard: Bank Indonesia's profile of the EMVCo QR Code
// Specification for Payment Systems, merchant-presented mode.
//
// It parses and validates a merchant's static code (pasted into the till's
// config), derives the per-sale dynamic code with the amount, a terminal label
// and a reference, and declares the Provider interface the till uses for
// dynamic QRIS through a payment provider, with the errors a provider returns.
//
// The package is pure domain: it must never open a network connection, touch
// SQL or read the clock behind the caller's back. Adapters (qrisprovider) live
// elsewhere and implement Provider. It does not import appliance, so that
// appliance can import it.
//
// # Driving a dynamic payment
//
// The till offers dynamic QRIS only while online. For one payment attempt:
//
//  1. Choose the Reference: the sale's id plus an attempt number that goes up
//     whenever the amount changes or a previous charge closed. Store it
//     with the amount before calling Create, so a crash cannot forget a
//     charge that the provider made.
//  2. Create with a short context. ErrUnreachable: tell the cashier, offer
//     cash or EDC, keep the stored attempt open; the charge may exist.
//  3. Show Charge.Payload as the QR code and run a Waiter until
//     Charge.ExpiresAt; its OnError says when the line drops (polling goes on).
//  4. Paid: record the payment with the charge ID and complete the sale.
//  5. The cashier cancels or switches method, or the wait ends: Cancel. If it
//     answers Paid the payment won the race; take it. If it answers
//     Cancelled or Expired, the attempt is closed. If it fails with
//     ErrUnreachable the cashier may still switch method (selling never waits
//     on the network), and the attempt stays open.
//  6. Open attempts are re-checked in the background once online: Create
//     again with the same Reference and amount (idempotent: it returns the
//     existing charge, or makes one nobody can pay because nobody has the
//     code), then Cancel it if it is still Pending.
//  7. A closed charge can still turn Paid: Status (or a notification) shows
//     State Paid with Late set, ClosedAt before PaidAt. The till records it
//     for reconciliation at head office (refund or attach to the sale); it
//     is never dropped. Keep asking about closed charges for as long as the
//     provider can still settle them.
package qris
