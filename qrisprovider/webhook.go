package qrisprovider

import (
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"

	"github.com/kasirpos/kasir/appliance/qris"
)

// Webhook receives the provider's push notifications. Mount it where the
// provider can reach it; it implements qris.Notifier. A notification only
// wakes the till's poller (see qris.Waiter), so a forged or stale one cannot
// mark a sale paid; the signature check keeps the channel from filling with
// noise.
type Webhook struct {
	secret string
	ch     chan qris.Charge
}

var _ qris.Notifier = (*Webhook)(nil)

// NewWebhook returns a receiver that checks signatures with secret (none
// checked if secret is empty) and buffers up to 16 notifications; more are
// dropped until the till reads them.
func NewWebhook(secret string) *Webhook {
	return &Webhook{secret: secret, ch: make(chan qris.Charge, 16)}
}

// Notifications implements qris.Notifier.
func (h *Webhook) Notifications() <-chan qris.Charge { return h.ch }

// ServeHTTP accepts a POSTed charge: 204 when taken, 401 for a bad
// signature, 400 for a body that is not a charge.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if h.secret != "" && !hmac.Equal([]byte(r.Header.Get(signatureHeader)), []byte(Sign(h.secret, body))) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var c charge
	if err := json.Unmarshal(body, &c); err != nil || !c.valid() {
		http.Error(w, "not a charge", http.StatusBadRequest)
		return
	}
	select {
	case h.ch <- c.domain():
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}
