package qrisprovider

import (
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
)

// The provider's JSON API, shared by Client, Sandbox and Webhook:
//
//	POST /v1/charges              createRequest → 201 charge (200 when the reference exists)
//	GET  /v1/charges/{id}         → 200 charge
//	POST /v1/charges/{id}/cancel  → 200 charge
//
// Errors are apiError with 400 (bad request), 401 (wrong key), 404, 409
// (reference used for another amount) or 422 (declined). Requests carry
// "Authorization: Bearer <key>"; Create also "Idempotency-Key: <reference>".

type createRequest struct {
	Reference     string `json:"reference"`
	Amount        int64  `json:"amount"`
	ExpirySeconds int64  `json:"expiry_seconds,omitempty"`
	Terminal      string `json:"terminal,omitempty"`
}

type charge struct {
	ID        string    `json:"id"`
	Reference string    `json:"reference"`
	Amount    int64     `json:"amount"`
	QRString  string    `json:"qr_string"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	PaidAt    time.Time `json:"paid_at,omitzero"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	Late      bool      `json:"late,omitempty"`
}

type apiError struct {
	Error   string `json:"error"` // bad_request, unauthorized, not_found, conflict, declined
	Message string `json:"message"`
}

func toWire(c qris.Charge) charge {
	return charge{ID: c.ID, Reference: c.Reference, Amount: c.Amount, QRString: c.Payload, State: string(c.State),
		CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, PaidAt: c.PaidAt, ClosedAt: c.ClosedAt, Late: c.Late}
}

func (c charge) domain() qris.Charge {
	return qris.Charge{ID: c.ID, Reference: c.Reference, Amount: c.Amount, Payload: c.QRString, State: qris.State(c.State),
		CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, PaidAt: c.PaidAt, ClosedAt: c.ClosedAt, Late: c.Late}
}

// valid reports whether a decoded charge is one the till can act on.
func (c charge) valid() bool {
	switch qris.State(c.State) {
	case qris.Pending, qris.Paid, qris.Expired, qris.Cancelled:
		return c.ID != ""
	}
	return false
}

// signatureHeader carries "sha256=" and the hex HMAC-SHA256 of a webhook's
// body under the shared secret.
const signatureHeader = "X-Kasir-Signature"
