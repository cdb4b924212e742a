package qrisprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kasirpos/kasir/appliance/qris"
)

// DefaultTimeout bounds each request when Client.Timeout is zero. The till
// shows the QR code only after Create answers, so this is how long a cashier
// can wait before being told to use another method.
const DefaultTimeout = 10 * time.Second

// Client talks to a QRIS provider's API. It implements qris.Provider.
type Client struct {
	BaseURL string        // "https://provider.example" or the sandbox's URL
	Key     string        // API key, sent as a bearer token
	Timeout time.Duration // per request; DefaultTimeout if zero
	HTTP    *http.Client  // http.DefaultClient if nil
}

var _ qris.Provider = (*Client)(nil)

// NewClient returns a client for the provider at baseURL.
func NewClient(baseURL, key string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Key: key}
}

// Create implements qris.Provider. The reference also goes in an
// Idempotency-Key header, which lets net/http resend the request on a fresh
// connection when a kept-alive one turns out dead.
func (c *Client) Create(ctx context.Context, req qris.ChargeRequest) (qris.Charge, error) {
	body, err := json.Marshal(createRequest{Reference: req.Reference, Amount: req.Amount,
		ExpirySeconds: int64(req.Expiry / time.Second), Terminal: req.Terminal})
	if err != nil {
		return qris.Charge{}, err
	}
	ch, err := c.do(ctx, http.MethodPost, "/v1/charges", body, req.Reference)
	if err != nil {
		return qris.Charge{}, fmt.Errorf("create QRIS charge %s: %w", req.Reference, err)
	}
	return ch, nil
}

// Status implements qris.Provider.
func (c *Client) Status(ctx context.Context, id string) (qris.Charge, error) {
	ch, err := c.do(ctx, http.MethodGet, "/v1/charges/"+url.PathEscape(id), nil, "")
	if err != nil {
		return qris.Charge{}, fmt.Errorf("QRIS charge %s status: %w", id, err)
	}
	return ch, nil
}

// Cancel implements qris.Provider.
func (c *Client) Cancel(ctx context.Context, id string) (qris.Charge, error) {
	ch, err := c.do(ctx, http.MethodPost, "/v1/charges/"+url.PathEscape(id)+"/cancel", nil, "")
	if err != nil {
		return qris.Charge{}, fmt.Errorf("cancel QRIS charge %s: %w", id, err)
	}
	return ch, nil
}

// do sends one request and reads a charge. Any failure to get a whole,
// sensible answer is qris.ErrUnreachable unless the caller's ctx ended.
func (c *Client) do(ctx context.Context, method, path string, body []byte, idempotencyKey string) (qris.Charge, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return qris.Charge{}, fmt.Errorf("%w: %v", qris.ErrDeclined, err) // a bad BaseURL: configuration, not the line
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return qris.Charge{}, c.unreachable(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return qris.Charge{}, c.unreachable(ctx, err)
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		var ch charge
		if err := json.Unmarshal(data, &ch); err != nil || !ch.valid() {
			return qris.Charge{}, fmt.Errorf("%w: unreadable answer (%d bytes): %v", qris.ErrUnreachable, len(data), err)
		}
		return ch.domain(), nil
	}
	var ae apiError
	json.Unmarshal(data, &ae) // best effort: the status code decides
	detail := fmt.Sprintf("%s: %s %s", resp.Status, ae.Error, ae.Message)
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound:
		return qris.Charge{}, fmt.Errorf("%w: %s", qris.ErrNotFound, detail)
	case code == http.StatusConflict:
		return qris.Charge{}, fmt.Errorf("%w: %s", qris.ErrConflict, detail)
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return qris.Charge{}, fmt.Errorf("%w: %s", qris.ErrUnreachable, detail)
	default:
		return qris.Charge{}, fmt.Errorf("%w: %s", qris.ErrDeclined, detail)
	}
}

// unreachable maps a transport failure: the caller's own cancellation stays
// what it is; anything else (refused, reset, our timeout) means no line.
func (c *Client) unreachable(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%w: %v", qris.ErrUnreachable, err)
}
