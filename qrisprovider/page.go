package qrisprovider

import (
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// page is the demo's stand-in for the customer's phone: every charge, with a
// button that pays it (late, if the till already cancelled it or it expired).
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"rupiah": rupiah}).Parse(`<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>QRIS sandbox</title>
<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{padding:.3em .6em;border-bottom:1px solid #ccc;text-align:left}</style>
</head><body>
<h1>QRIS sandbox</h1>
<p>Ponsel pelanggan: bayar tagihan di bawah. / The customer's phone: pay a charge below.</p>
<table><tr><th>ID</th><th>Referensi</th><th>Nominal</th><th>Status</th><th>Berlaku s.d.</th><th></th></tr>
{{range .}}<tr><td>{{.ID}}</td><td>{{.Reference}}</td><td>{{rupiah .Amount}}</td><td>{{.State}}{{if .Late}} (terlambat / late){{end}}</td>
<td>{{.ExpiresAt.Format "15:04:05"}}</td>
<td>{{if ne .State "paid"}}<form method="post" action="/sandbox/charges/{{.ID}}/pay?back=1"><button>Bayar / Pay</button></form>{{end}}</td></tr>
{{else}}<tr><td colspan="6">Belum ada tagihan. / No charges yet.</td></tr>{{end}}
</table>
<p><a href="/sandbox/">Muat ulang / Reload</a></p>
</body></html>
`))

func (s *Sandbox) page(w http.ResponseWriter, r *http.Request) {
	cs := s.engine.Charges()
	for i, j := 0, len(cs)-1; i < j; i, j = i+1, j-1 {
		cs[i], cs[j] = cs[j], cs[i] // newest first
	}
	for i := range cs {
		cs[i].ExpiresAt = cs[i].ExpiresAt.In(time.Local)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pageTemplate.Execute(w, cs)
}

// rupiah formats whole rupiah the Indonesian way: "Rp 12.500".
func rupiah(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return "Rp " + s
}
