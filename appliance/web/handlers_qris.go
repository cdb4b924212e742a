package web

import (
	"net/http"
	"strconv"

	"github.com/kasirpos/kasir/appliance"
	"github.com/kasirpos/kasir/qrcode"
)

// qrSVG draws a QRIS payload for the screen: level M, as QRIS asks, with
// the standard quiet zone. The page scales it; "" if it cannot be drawn.
func qrSVG(payload string) string {
	if payload == "" {
		return ""
	}
	c, err := qrcode.Encode(payload, qrcode.M)
	if err != nil {
		return ""
	}
	return c.SVG(8, 4)
}

// qrisCodeJSON is a code to scan, with its picture.
type qrisCodeJSON struct {
	*appliance.QRISCode
	SVG string `json:"svg"`
}

func codeJSON(c *appliance.QRISCode) *qrisCodeJSON {
	if c == nil {
		return nil
	}
	return &qrisCodeJSON{QRISCode: c, SVG: qrSVG(c.Payload)}
}

// qrisStatusJSON is a dynamic QRIS payment with its code's picture.
type qrisStatusJSON struct {
	*appliance.QRISStatus
	Code *qrisCodeJSON `json:"code,omitempty"`
}

func statusJSON(st *appliance.QRISStatus) *qrisStatusJSON {
	if st == nil {
		return nil
	}
	return &qrisStatusJSON{QRISStatus: st, Code: codeJSON(st.Code)}
}

// staticQRIS answers the code for paying the cart with the shop's static
// QRIS and the amount; it works offline.
func (s *Server) staticQRIS(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		CartID string           `json:"cart_id"`
		Method string           `json:"method"`
		Amount appliance.Rupiah `json:"amount"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.till.StaticQRIS(r.Context(), u, req.CartID, req.Method, req.Amount)
	s.reply(w, r, http.StatusOK, map[string]any{"code": codeJSON(c)}, err)
}

func (s *Server) hideQRIS(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	s.till.HideQRIS()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// startQRIS asks the provider for a dynamic charge for the cart.
func (s *Server) startQRIS(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req appliance.QRISRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.till.StartQRIS(appliance.WithLang(r.Context(), lang(r)), u, req)
	s.replyQRIS(w, r, http.StatusCreated, st, err)
}

func (s *Server) checkQRIS(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	st, err := s.till.CheckQRIS(appliance.WithLang(r.Context(), lang(r)), r.PathValue("ref"))
	s.replyQRIS(w, r, http.StatusOK, st, err)
}

func (s *Server) cancelQRIS(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	st, err := s.till.CancelQRIS(appliance.WithLang(r.Context(), lang(r)), r.PathValue("ref"))
	s.replyQRIS(w, r, http.StatusOK, st, err)
}

// replyQRIS answers a QRIS status; a sale it completed had its receipt
// printed, and a print problem is said in the cashier's language.
func (s *Server) replyQRIS(w http.ResponseWriter, r *http.Request, status int, st *appliance.QRISStatus, err error) {
	if st != nil && st.Sale != nil && st.Sale.PrintErr() != nil {
		st.Sale.PrintErrorCode, st.Sale.PrintError = appliance.PrintProblem(st.Sale.PrintErr(), lang(r))
	}
	s.reply(w, r, status, statusJSON(st), err)
}

// lateQRIS lists QRIS money no sale took, for the supervisor.
func (s *Server) lateQRIS(w http.ResponseWriter, r *http.Request, u appliance.User) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	as, err := s.till.LateQRIS(r.Context(), u, limit)
	s.reply(w, r, http.StatusOK, map[string]any{"late": as}, err)
}

// customerJSON is the customer's view with the QRIS code drawn.
type customerJSON struct {
	appliance.CustomerView
	QRSVG string `json:"qr_svg,omitempty"`
}

func customerOut(v appliance.CustomerView) customerJSON {
	return customerJSON{CustomerView: v, QRSVG: qrSVG(v.QR)}
}

// ackLateQRIS records a supervisor's decision on late QRIS money: refunded
// outside the till, or attached to a sale by its number.
func (s *Server) ackLateQRIS(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req appliance.QRISAckRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.till.AckLateQRIS(r.Context(), u, r.PathValue("ref"), req)
	s.reply(w, r, http.StatusCreated, a, err)
}

// qrisRoutes adds the late-money acknowledgement and, when set up, the
// provider's webhook. The webhook needs no session: the provider signs each
// notification, and a notification only makes the till ask the provider
// about that charge.
func (s *Server) qrisRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /api/v1/qris/{ref}/ack", s.auth(s.ackLateQRIS))
	if s.qrisWebhook != nil {
		m.Handle("POST /api/v1/qris/webhook", s.qrisWebhook)
	}
}
