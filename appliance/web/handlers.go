package web

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/kasirpos/kasir/appliance"
)

type userJSON struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	Role appliance.Role `json:"role"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PIN string `json:"pin"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	token, u, err := s.till.Login(r.Context(), strings.TrimSpace(req.PIN), clientOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]any{"user": userJSON{u.ID, u.Name, u.Role}})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.till.Logout(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, u appliance.User) {
	writeJSON(w, http.StatusOK, map[string]any{"user": userJSON{u.ID, u.Name, u.Role}})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.till.Status(r.Context())
	if err != nil {
		s.log.Error("status", "err", err)
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	c := s.till.Config()
	writeJSON(w, http.StatusOK, map[string]any{
		"store": c.Store, "till": c.Till, "store_name": c.StoreName, "address": c.Address,
		"payment_methods": c.Methods, "rounding": c.Rounding, "receipt_width": c.ReceiptWidth,
		"time_zone": c.TimeZone, "zone": c.ZoneName(), "pkp": c.PKP,
		"discount_limit_bp": c.DiscountLimitBP, "discount_limit": c.DiscountLimit,
		"warn_unsynced": c.WarnUnsynced, "alarm_unsynced": c.AlarmUnsynced, "version": c.Version,
		"demo_uplink": s.uplinkSwitch != nil, "qris_on_receipt": c.QRISOnReceipt,
	})
}

// productJSON is a product with the price in force now.
type productJSON struct {
	appliance.Product
	PriceNow appliance.Rupiah `json:"price_now"`
}

func (s *Server) products(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 60
	}
	ps, err := s.catalog.Search(q.Get("q"), q.Get("category"), limit)
	if err != nil {
		s.fail(w, r, appliance.Wrap(appliance.CodeStoreFailed, err, "search"))
		return
	}
	now := s.till.Now()
	out := make([]productJSON, len(ps))
	for i := range ps {
		out[i] = productJSON{ps[i], ps[i].PriceAt(now)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": out})
}

func (s *Server) product(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	code := r.PathValue("code")
	p, err := s.catalog.Lookup(code)
	if errors.Is(err, appliance.ErrNotFound) {
		s.fail(w, r, appliance.Errorm(appliance.CodeNotFound, "unknown_code", []any{code}, "product %q", code))
		return
	}
	if err != nil {
		s.fail(w, r, appliance.Wrap(appliance.CodeStoreFailed, err, "lookup"))
		return
	}
	writeJSON(w, http.StatusOK, productJSON{*p, p.PriceAt(s.till.Now())})
}

func (s *Server) categories(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	cs, err := s.catalog.Categories()
	if err != nil {
		s.fail(w, r, appliance.Wrap(appliance.CodeStoreFailed, err, "categories"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": cs})
}

func (s *Server) printed(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	out := []appliance.PrintedReceipt{}
	if s.paper != nil {
		ps, err := s.paper.Printed(50)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out = ps
	}
	writeJSON(w, http.StatusOK, map[string]any{"receipts": out})
}

// percentBP reads a percentage such as 10 or 12.5 as basis points.
func percentBP(q *appliance.Qty) int64 {
	if q == nil {
		return 0
	}
	return int64(*q) / 10
}

// clientOf names the device a request comes from, for the PIN lockout.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// demoUplink cuts or restores the link to head office in demo mode.
func (s *Server) demoUplink(w http.ResponseWriter, r *http.Request, u appliance.User) {
	if s.uplinkSwitch == nil {
		s.fail(w, r, appliance.Errorm(appliance.CodeNotFound, "no_endpoint", nil, "demo uplink switch without --demo and --provision"))
		return
	}
	var req struct {
		Enabled bool `json:"enabled"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	s.uplinkSwitch(req.Enabled)
	s.log.Info("demo uplink switch", "enabled", req.Enabled, "user", u.ID)
	writeJSON(w, http.StatusOK, map[string]bool{"enabled": req.Enabled})
}
