package web

import (
	"net/http"
	"strconv"

	"github.com/kasirpos/kasir/appliance"
)

func (s *Server) sales(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	ss, err := s.till.RecentSales(r.Context(), limit)
	if ss == nil {
		ss = []appliance.Sale{}
	}
	s.reply(w, r, http.StatusOK, map[string]any{"sales": ss}, err)
}

func (s *Server) sale(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	d, err := s.till.Sale(r.Context(), r.PathValue("number"))
	s.reply(w, r, http.StatusOK, d, err)
}

func (s *Server) receipt(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	text, err := s.till.ReceiptText(r.Context(), r.PathValue("number"))
	s.reply(w, r, http.StatusOK, map[string]string{"text": text}, err)
}

func (s *Server) reprint(w http.ResponseWriter, r *http.Request, u appliance.User) {
	err := s.till.Reprint(r.Context(), u, r.PathValue("number"))
	if err != nil && appliance.ErrorCode(err) == appliance.CodeInternal {
		// The printer failed: the copy waits in the print queue; the
		// cashier sees why, and the request itself worked.
		s.log.Error("reprint queued", "receipt", r.PathValue("number"), "err", err)
		code, msg := appliance.PrintProblem(err, lang(r))
		writeJSON(w, http.StatusOK, map[string]any{"printed": false, "print_error": msg, "print_error_code": code})
		return
	}
	s.reply(w, r, http.StatusOK, map[string]bool{"printed": true}, err)
}

type approvalReq struct {
	Reason      string `json:"reason"`
	ApprovalPIN string `json:"approval_pin"`
}

func (s *Server) void(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req approvalReq
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.till.Void(r.Context(), u, r.PathValue("number"), req.Reason, req.ApprovalPIN)
	s.reply(w, r, http.StatusCreated, res, err)
}

func (s *Server) refund(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		approvalReq
		Lines  []appliance.RefundLine `json:"lines"`
		Method string                 `json:"method"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.till.Refund(r.Context(), u, r.PathValue("number"), req.Lines, req.Method, req.Reason, req.ApprovalPIN)
	s.reply(w, r, http.StatusCreated, res, err)
}

func (s *Server) shift(w http.ResponseWriter, r *http.Request, _ appliance.User) {
	writeJSON(w, http.StatusOK, map[string]any{"shift": s.till.Shift()})
}

func (s *Server) openShift(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		Float appliance.Rupiah `json:"float"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	sh, err := s.till.OpenShift(r.Context(), u, req.Float)
	s.reply(w, r, http.StatusCreated, map[string]any{"shift": sh}, err)
}

func (s *Server) cashMove(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		Direction string           `json:"direction"`
		Amount    appliance.Rupiah `json:"amount"`
		Reason    string           `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Direction != "in" && req.Direction != "out" {
		s.fail(w, r, appliance.Errorm(appliance.CodeInvalid, "bad_request", nil, "direction %q", req.Direction))
		return
	}
	mv, err := s.till.MoveCash(r.Context(), u, req.Direction == "in", req.Amount, req.Reason)
	s.reply(w, r, http.StatusCreated, mv, err)
}

func (s *Server) xReport(w http.ResponseWriter, r *http.Request, u appliance.User) {
	rep, err := s.till.XReport(r.Context(), u)
	s.reply(w, r, http.StatusOK, rep, err)
}

func (s *Server) printX(w http.ResponseWriter, r *http.Request, u appliance.User) {
	rep, err := s.till.PrintX(r.Context(), u)
	s.reply(w, r, http.StatusOK, rep, err)
}

func (s *Server) closeShift(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req struct {
		Counted     map[string]appliance.Rupiah `json:"counted"`
		ApprovalPIN string                      `json:"approval_pin"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.till.CloseShift(r.Context(), u, req.Counted, req.ApprovalPIN)
	s.reply(w, r, http.StatusOK, rep, err)
}

func (s *Server) noSale(w http.ResponseWriter, r *http.Request, u appliance.User) {
	var req approvalReq
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.till.NoSale(r.Context(), u, req.Reason, req.ApprovalPIN)
	s.reply(w, r, http.StatusOK, map[string]bool{"ok": true}, err)
}
