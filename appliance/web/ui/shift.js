"use strict";
// shift.js: opening a shift with its float, cash in and out, the X report
// and closing the shift with counted amounts and the Z report.

const Shift = (() => {
  let openDialog = null;

  // check asks the till whether a shift is open and offers to open one.
  async function check() {
    const data = await UI.run(() => Api.get("/shift"));
    if (data && !data.shift) promptOpen();
  }

  // promptOpen shows "Buka shift" with the float; once at a time.
  function promptOpen() {
    if (openDialog) return;
    const float = UI.amountField({ id: "shift-open-float", label: I18n.t("shift.float") });
    const ok = () => UI.run(async () => {
      await Api.approved("POST", "/shift/open", { float: float.value() });
      m.close();
      UI.toast(I18n.t("shift.opened"), { kind: "ok" });
      Status.refresh();
    });
    float.input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); ok(); } });
    const m = UI.modal({
      title: I18n.t("shift.open_title"), cls: "modal-keypad", id: "shift-open",
      body: UI.el("div", { class: "keypad-form" }, UI.el("p", { class: "form-text", text: I18n.t("shift.open_text") }), float.root,
        UI.numPad({ target: () => float.input })),
      onClose: () => { openDialog = null; },
      actions: [
        { label: I18n.t("shift.later"), id: "shift-open-later", onClick: () => m.close() },
        { label: I18n.t("shift.open_title"), cls: "btn-primary", id: "shift-open-ok", onClick: ok },
      ],
    });
    openDialog = m;
    float.input.focus();
  }

  // cashMove records kas masuk (in) or kas keluar (out).
  function cashMove(direction) {
    const amount = UI.amountField({ id: "cash-amount", label: I18n.t("pay.amount") });
    const reason = UI.textField({ id: "cash-reason", label: I18n.t("shift.reason"), placeholder: I18n.t("shift.reason_placeholder") });
    const ok = () => {
      const r = reason.input.value.trim();
      if (!amount.value()) return UI.toast(I18n.t("pay.amount_missing"), { kind: "error" });
      if (!r) return UI.toast(I18n.t("shift.reason_missing"), { kind: "error" });
      return UI.run(async () => {
        await Api.approved("POST", "/shift/cash", { direction, amount: amount.value(), reason: r });
        m.close();
        UI.toast(I18n.t("shift.cash_done"), { kind: "ok" });
      });
    };
    const m = UI.modal({
      title: I18n.t(direction === "in" ? "shift.cash_in_title" : "shift.cash_out_title"), cls: "modal-keypad", id: "cash-move",
      body: UI.el("div", { class: "keypad-form" }, amount.root, UI.numPad({ target: () => amount.input }), reason.root),
      actions: [
        { label: I18n.t("btn.cancel"), onClick: () => m.close() },
        { label: I18n.t("btn.ok"), cls: "btn-primary", id: "cash-ok", onClick: ok },
      ],
    });
    amount.input.focus();
  }

  async function xReport() {
    const r = await UI.run(() => Api.get("/shift/x"));
    if (!r) return;
    const m = UI.modal({
      title: I18n.t("shift.x_title"), cls: "modal-wide", id: "x-report", body: reportView(r),
      actions: [
        { label: I18n.t("btn.print"), id: "x-print", onClick: () => UI.run(async () => {
          await Api.post("/shift/x/print", {});
          UI.toast(I18n.t("shift.printed"), { kind: "ok" });
        }) },
        { label: I18n.t("btn.close"), cls: "btn-primary", onClick: () => m.close() },
      ],
    });
  }

  // close asks for the counted amount per method (without showing what is
  // expected: a blind count is the honest one) and closes the shift.
  async function close() {
    const x = await UI.run(() => Api.get("/shift/x"));
    if (!x) return;
    const methods = (x.methods && x.methods.length ? x.methods : (App.config && App.config.payment_methods) || [])
      .map((m) => ({ code: m.method || m.code, name: m.name || m.method || m.code }));
    const fields = methods.map((mt) => ({ code: mt.code, f: UI.amountField({ id: "count-" + mt.code, label: mt.name }) }));
    let target = fields.length ? fields[0].f.input : null;
    fields.forEach(({ f }) => f.input.addEventListener("focus", () => { target = f.input; }));
    const ok = () => UI.run(async () => {
      // An empty field means "not counted", never 0: the till then reports no
      // difference for that method instead of a shortfall.
      const counted = {};
      for (const { code, f } of fields) if (f.filled()) counted[code] = f.value();
      if (!Object.keys(counted).length) {
        UI.toast(I18n.t("shift.count_missing"), { kind: "error" });
        if (target) target.focus();
        return;
      }
      const z = await Api.approved("POST", "/shift/close", { counted });
      m.close();
      showZ(z);
      Status.refresh();
    });
    const m = UI.modal({
      title: I18n.t("shift.close_title"), cls: "modal-wide", id: "shift-close",
      body: UI.el("div", { class: "close-grid" },
        UI.el("div", { class: "form" }, UI.el("p", { class: "form-text", text: I18n.t("shift.close_text") }), fields.map((x2) => x2.f.root)),
        UI.numPad({ target: () => target })),
      actions: [
        { label: I18n.t("btn.cancel"), onClick: () => m.close() },
        { label: I18n.t("shift.close_ok"), cls: "btn-danger", id: "shift-close-ok", onClick: ok },
      ],
    });
    if (target) target.focus();
  }

  function showZ(z) {
    const m = UI.modal({
      title: I18n.t("shift.z_title"), cls: "modal-wide", id: "z-report", body: reportView(z),
      actions: [{ label: I18n.t("btn.close"), cls: "btn-primary", id: "z-close", onClick: () => m.close() }],
    });
  }

  // reportView renders an X or Z report: the per-method table first (what
  // the drawer should hold, and on a Z report what was counted), then the
  // shift's figures.
  function reportView(r) {
    const tz = (App.config || {}).time_zone;
    const fact = (label, value, cls = "") => UI.el("div", { class: "fact " + cls }, UI.el("span", { text: label }), UI.el("strong", { text: value }));
    const counts = (n, amount) => I18n.t("report.count_docs", n, Fmt.rp(amount));
    const facts = UI.el("div", { class: "report-facts" },
      fact(I18n.t("report.opened"), Fmt.dateTime(r.opened_at, tz) + (r.opened_by ? " " + I18n.t("report.by", r.opened_by) : "")),
      fact(I18n.t("report.float"), Fmt.rp(r.float)),
      fact(I18n.t("report.sales"), counts(r.sales, r.gross)),
      fact(I18n.t("report.cash_in"), Fmt.rp(r.cash_in)),
      fact(I18n.t("report.voids"), counts(r.voids, r.void_total)),
      fact(I18n.t("report.cash_out"), Fmt.rp(r.cash_out)),
      fact(I18n.t("report.refunds"), counts(r.refunds, r.refunded)),
      fact(I18n.t("report.discounts"), Fmt.rp(r.discounts)),
      fact(I18n.t("report.net"), Fmt.rp(r.net), "fact-strong"),
      fact(I18n.t("report.rounding"), Fmt.rp(r.rounding)),
      (r.taxes || []).map((t) => fact(I18n.t("report.taxes") + " " + (t.name || t.class), Fmt.rp(t.amount))));
    const counted = r.kind === "Z" || (r.methods || []).some((m) => m.has_count);
    // A method left uncounted at close shows a dash, not Rp 0.
    const wasCounted = (m) => m.has_count !== false;
    const head = [I18n.t("report.method"), I18n.t("report.m_sales"), I18n.t("report.m_returned"), I18n.t("report.expected")];
    if (counted) head.push(I18n.t("report.counted"), I18n.t("report.diff"));
    const methods = UI.el("table", { class: "report report-methods" },
      UI.el("thead", {}, UI.el("tr", {}, head.map((h, i) => UI.el("th", { class: i ? "num" : "", text: h })))),
      UI.el("tbody", {}, (r.methods || []).map((m) => UI.el("tr", {},
        UI.el("th", { text: m.name || m.method }),
        UI.el("td", { class: "num", text: Fmt.rp(m.sales) }),
        UI.el("td", { class: "num", text: Fmt.rp(m.returned) }),
        UI.el("td", { class: "num", text: Fmt.rp(m.expected) }),
        counted ? UI.el("td", { class: "num", text: wasCounted(m) ? Fmt.rp(m.counted) : I18n.t("report.not_counted") }) : null,
        counted ? UI.el("td", { class: "num " + (wasCounted(m) ? diffClass(m.diff) : "diff-zero"), text: wasCounted(m) ? Fmt.rp(m.diff) : I18n.t("report.not_counted") }) : null))),
      counted ? UI.el("tfoot", {}, UI.el("tr", {},
        UI.el("th", { colspan: String(head.length - 1), text: I18n.t("report.total_diff") }),
        UI.el("td", { class: "num " + diffClass(r.diff), text: Fmt.rp(r.diff) }))) : null);
    const meta = UI.el("p", { class: "report-meta", text: [r.kind, r.store, r.till, "#" + r.shift_id, Fmt.dateTime(r.time, tz), r.user].filter(Boolean).join(" · ") });
    return UI.el("div", { class: "report-view" }, meta, methods, facts);
  }

  function diffClass(d) {
    if (!d) return "diff-zero";
    return d < 0 ? "diff-short" : "diff-over";
  }

  return { check, promptOpen, cashMove, xReport, close, reportView };
})();
