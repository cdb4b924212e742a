package web

import (
	"net/http"
	"strconv"

	"github.com/kasirpos/kasir/appliance"
)

func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (s *Server) cart(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	writeJSON(w, http.StatusOK, s.till.Cart(r.Context()))
}

func (s *Server) clearCart(w http.ResponseWriter, r *http.Request, u appliance.User) {
	v, err := s.till.ClearCart(r.Context(), u)
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) addLine(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		Code string        `json:"code"`
		Qty  appliance.Qty `json:"qty"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.till.AddLine(r.Context(), u, req.Code, req.Qty)
	s.reply(w, r, http.StatusOK, v, err)
}

func lineID(r *http.Request) (int, error) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		return 0, appliance.Errorm(appliance.CodeNotFound, "line_not_found", nil, "line %q", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) setQty(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		Qty *appliance.Qty `json:"qty"`
	}
	id, err := lineID(r)
	if err == nil {
		err = decode(r, &req)
	}
	if err == nil && req.Qty == nil {
		err = appliance.Errorm(appliance.CodeInvalid, "bad_qty", nil, "qty missing")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.till.SetQty(r.Context(), u, id, *req.Qty)
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) removeLine(w http.ResponseWriter, r *http.Request, u appliance.User) {
	id, err := lineID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.till.RemoveLine(r.Context(), u, id)
	s.reply(w, r, http.StatusOK, v, err)
}

type discountReq struct {
	Percent     *appliance.Qty   `json:"percent"`
	Amount      appliance.Rupiah `json:"amount"`
	Reason      string           `json:"reason"`
	ApprovalPIN string           `json:"approval_pin"`
}

func (d discountReq) discount() appliance.Discount {
	return appliance.Discount{PercentBP: percentBP(d.Percent), Amount: d.Amount, Reason: d.Reason}
}

func (s *Server) lineDiscount(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req discountReq
	id, err := lineID(r)
	if err == nil {
		err = decode(r, &req)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.till.DiscountLine(r.Context(), u, id, req.discount(), req.ApprovalPIN)
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) orderDiscount(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req discountReq
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.till.DiscountOrder(r.Context(), u, req.discount(), req.ApprovalPIN)
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) overridePrice(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		Price       *appliance.Rupiah `json:"price"`
		ApprovalPIN string            `json:"approval_pin"`
	}
	id, err := lineID(r)
	if err == nil {
		err = decode(r, &req)
	}
	if err == nil && req.Price == nil {
		err = appliance.Errorm(appliance.CodeInvalid, "bad_price", nil, "price missing")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.till.OverridePrice(r.Context(), u, id, *req.Price, req.ApprovalPIN)
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) park(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	v, err := s.till.Park(r.Context(), u, req.Note)
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) parked(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	cs, err := s.till.Parked(r.Context())
	s.reply(w, r, http.StatusOK, map[string]any{"carts": cs}, err)
}

func (s *Server) recall(w http.ResponseWriter, r *http.Request, u appliance.User) {
	v, err := s.till.Recall(r.Context(), u, r.PathValue("id"))
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) pay(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		CartID      string              `json:"cart_id"`
		Payments    []appliance.Payment `json:"payments"`
		ApprovalPIN string              `json:"approval_pin"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.till.PayApproved(r.Context(), u, req.CartID, req.Payments, req.ApprovalPIN)
	status := http.StatusCreated
	if res != nil && res.AlreadyPaid {
		status = http.StatusOK
	}
	if res != nil && res.PrintError != "" {
		res.PrintErrorCode, res.PrintError = appliance.PrintProblem(res.PrintErr(), lang(r))
	}
	s.reply(w, r, status, res, err)
}
