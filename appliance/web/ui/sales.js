"use strict";
// sales.js: the list of completed documents, a document's detail with its
// receipt, and the actions on it: void, refund and reprint.

const Sales = (() => {
  let docs = [];
  let late = []; // QRIS money no sale took, for a supervisor to reconcile
  let modal = null;
  let current = null;

  async function open() {
    const search = UI.el("input", { id: "sales-search", type: "search", class: "field-input", placeholder: I18n.t("sales.search"), autocomplete: "off" });
    const list = UI.el("ul", { class: "pick-list sales-list", id: "sales-list" });
    const detail = UI.el("div", { class: "sale-detail", id: "sale-detail" }, UI.el("p", { class: "empty", text: I18n.t("sales.pick") }));
    search.addEventListener("input", () => renderList());
    search.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      const q = search.value.trim();
      if (q) show(matches(q)[0] ? matches(q)[0].number : q);
    });
    modal = UI.modal({
      title: I18n.t("sales.title"), cls: "modal-fullscreen", id: "sales",
      body: UI.el("div", { class: "sales-grid" }, UI.el("div", { class: "sales-side" }, search, UI.el("div", { id: "qris-late" }), list), detail),
      onClose: () => { modal = null; current = null; },
    });
    await reload();
  }

  async function reload() {
    const data = await UI.run(() => Api.get("/sales?limit=200"));
    docs = (data && data.sales) || [];
    // Only a supervisor may see it; for a cashier the till answers 403.
    late = await Api.get("/qris/late?limit=20").then((d) => (d && d.late) || [], () => []);
    renderLate();
    renderList();
  }

  function renderLate() {
    const box = modal && UI.$("#qris-late");
    if (!box) return;
    const tz = (App.config || {}).time_zone;
    box.replaceChildren(...(late.length ? [UI.el("div", { class: "notice notice-error" },
      UI.el("strong", { text: I18n.t("qris.late_title", late.length) }),
      UI.el("ul", { class: "qris-late" }, late.map((a) => UI.el("li", { data: { ref: a.reference } },
        UI.el("span", { text: Fmt.rp(a.amount) + " · " + (a.charge_id || a.reference) + " · " + Fmt.dateTime(a.paid_at || a.updated, tz) }),
        UI.el("span", { class: "qris-late-actions" },
          UI.button(I18n.t("qris.ack_refunded"), { class: "btn btn-small", data: { ack: "refunded" } }, () => ack(a, "refunded")),
          UI.button(I18n.t("qris.ack_attach"), { class: "btn btn-small", data: { ack: "attached" } }, () => ack(a, "attached")))))))] : []));
  }

  // ack records a supervisor's decision on late QRIS money: refunded to the
  // customer outside the till, or attached to a sale by its receipt number.
  // The till journals it and sends it to head office; the entry leaves the list.
  async function ack(a, decision) {
    const body = { decision };
    if (decision === "attached") {
      const number = await UI.textDialog({
        title: I18n.t("qris.ack_attach_title", Fmt.rp(a.amount)), label: I18n.t("qris.ack_sale"),
        placeholder: current ? current.number : "", required: true, okLabel: I18n.t("qris.ack_attach"), id: "qris-ack-sale",
      });
      if (number === null) return;
      body.sale = number;
    } else if (!await UI.confirm(I18n.t("qris.ack_refunded_q", Fmt.rp(a.amount)), I18n.t("qris.ack_refunded"))) {
      return;
    }
    const r = await UI.run(() => Api.approved("POST", "/qris/" + encodeURIComponent(a.reference) + "/ack", body));
    if (!r) return;
    UI.toast(I18n.t("qris.ack_done"), { kind: "ok" });
    await reload();
  }

  function matches(q) {
    const s = q.toLowerCase();
    return docs.filter((d) => d.number.toLowerCase().includes(s));
  }

  function renderList() {
    if (!modal) return;
    const q = UI.$("#sales-search").value.trim();
    const rows = q ? matches(q) : docs;
    const list = UI.$("#sales-list");
    const tz = (App.config || {}).time_zone;
    if (!rows.length) {
      list.replaceChildren(UI.el("li", { class: "empty", text: I18n.t("sales.empty") }));
      return;
    }
    list.replaceChildren(...rows.map((d) => UI.el("li", {}, UI.button([
      UI.el("span", { class: "pick-main", text: d.number }),
      UI.el("span", { class: "pick-sub" }, UI.el("span", { class: "kind kind-" + d.kind, text: I18n.t("kind." + d.kind) }), " " + Fmt.dateTime(d.time, tz)),
      UI.el("span", { class: "pick-amount", text: Fmt.rp(d.kind === "sale" ? d.total : -d.total) }),
    ], { class: "pick" + (current && current.number === d.number ? " pick-on" : ""), data: { number: d.number } }, () => show(d.number)))));
  }

  // show loads one document with its receipt into the detail pane.
  async function show(number) {
    const doc = await UI.run(() => Api.get("/sales/" + encodeURIComponent(number)));
    if (!doc || !modal) return;
    current = doc;
    renderList();
    const receipt = UI.el("pre", { class: "receipt", id: "sale-receipt" }, I18n.t("catalog.loading"));
    const notes = [];
    if (doc.ref) notes.push(I18n.t("sales.ref", doc.ref));
    if (doc.voided_by) notes.push(I18n.t("sales.voided_by", doc.voided_by));
    if (doc.refunds && doc.refunds.length) notes.push(I18n.t("sales.refunds", doc.refunds.join(", ")));
    const isSale = doc.kind === "sale";
    const left = refundable(doc).some((r) => r.max > 0);
    const body = UI.el("div", { class: "sale-detail-body" },
      UI.el("div", { class: "detail-head" },
        UI.el("h3", { text: doc.number }),
        UI.el("span", { class: "kind kind-" + doc.kind, text: I18n.t("kind." + doc.kind) }),
        UI.el("strong", { class: "detail-total", text: Fmt.rp(doc.total) })),
      notes.length ? UI.el("p", { class: "detail-notes", text: notes.join(" · ") }) : null,
      UI.el("div", { class: "detail-actions" },
        UI.button(I18n.t("sales.reprint"), { class: "btn", id: "sale-reprint" }, () => reprint(doc.number)),
        UI.button(I18n.t("sales.refund"), { class: "btn", id: "sale-refund", disabled: !isSale || !!doc.voided_by || !left }, () => refund(doc)),
        UI.button(I18n.t("sales.void"), { class: "btn btn-danger", id: "sale-void", disabled: !isSale || !!doc.voided_by || !!(doc.refunds && doc.refunds.length) }, () => voidSale(doc))),
      receipt);
    UI.$("#sale-detail").replaceChildren(...body.childNodes);
    try {
      const r = await Api.get("/sales/" + encodeURIComponent(doc.number) + "/receipt");
      receipt.textContent = (r && r.text) || "";
    } catch (err) {
      receipt.textContent = err.message;
    }
  }

  function reprint(number) {
    return UI.run(async () => {
      const r = await Api.post("/sales/" + encodeURIComponent(number) + "/reprint", {});
      // A printer fault is answered 200 with printed:false and a sentence to show.
      if (r && r.printed === false) UI.toast(r.print_error || I18n.t("err.unexpected"), { kind: "error" });
      else UI.toast(I18n.t("sales.reprinted"), { kind: "ok" });
    });
  }

  // reprintLast reprints the newest sale of this till.
  async function reprintLast() {
    const data = await UI.run(() => Api.get("/sales?limit=10"));
    if (!data) return;
    const last = (data.sales || []).find((d) => d.kind === "sale") || (data.sales || [])[0];
    if (!last) {
      UI.toast(I18n.t("reprint.none"));
      return;
    }
    reprint(last.number);
  }

  async function voidSale(doc) {
    const reason = await UI.textDialog({
      title: I18n.t("void.title", doc.number), text: I18n.t("void.text"), label: I18n.t("void.reason"),
      placeholder: I18n.t("void.reason_placeholder"), required: true, okLabel: I18n.t("sales.void"), id: "void-reason",
    });
    if (reason === null) return;
    const v = await UI.run(() => Api.approved("POST", "/sales/" + encodeURIComponent(doc.number) + "/void", { reason }));
    if (!v) return;
    UI.toast(I18n.t("void.done", v.number || ""), { kind: "ok" });
    Status.refresh();
    await reload();
    show(doc.number);
  }

  // refundable lists, per line, what can still be refunded. The till sends
  // "refundable" per line; an array of {line_no, qty}, a map from line number
  // to quantity, and an array of quantities in line order are all accepted.
  function refundable(doc) {
    const r = doc.refundable;
    return (doc.lines || []).map((l, i) => {
      let max = l.qty;
      if (Array.isArray(r)) {
        const hit = r.find((x) => x && typeof x === "object" && x.line_no === l.line_no);
        if (hit) max = Number(hit.qty);
        else if (typeof r[i] === "number") max = r[i];
        else max = 0;
      } else if (r && typeof r === "object") {
        max = Number(r[l.line_no] ?? 0);
      }
      return { line: l, max: Math.max(0, max || 0) };
    });
  }

  function refund(doc) {
    const rows = refundable(doc).filter((r) => r.max > 0);
    if (!rows.length) {
      UI.toast(I18n.t("refund.nothing"));
      return;
    }
    const picked = new Map(); // line_no → qty
    const table = UI.el("ul", { class: "refund-lines", id: "refund-lines" });
    const drawLines = () => table.replaceChildren(...rows.map(({ line, max }) => {
      const q = picked.get(line.line_no) || 0;
      const step = line.weighed || max % 1 ? max : 1; // weighed lines go back whole
      const set = (v) => { const n = Math.min(max, Math.max(0, Math.round(v * 1000) / 1000)); if (n) picked.set(line.line_no, n); else picked.delete(line.line_no); drawLines(); };
      return UI.el("li", { class: "refund-line" + (q ? " refund-on" : ""), data: { line: String(line.line_no) } },
        UI.button([UI.el("span", { class: "line-name", text: line.name }),
          UI.el("span", { class: "line-detail", text: Fmt.qty(line.qty) + " × " + Fmt.rp(line.unit_price) + " · " + I18n.t("refund.max", Fmt.qty(max)) })],
        { class: "line-main" }, () => set(q ? 0 : max)),
        UI.button("−", { class: "btn btn-qty", disabled: !q }, () => set(q - step)),
        UI.el("span", { class: "refund-qty", text: Fmt.qty(q) }),
        UI.button("+", { class: "btn btn-qty", disabled: q >= max }, () => set(q + step)));
    }));
    drawLines();
    const methods = ((App.config && App.config.payment_methods) || [{ code: "cash", name: "Tunai" }]);
    let method = (methods.find((m) => m.cash) || methods[0]).code;
    const seg = UI.el("div", { class: "segmented", id: "refund-method" }, methods.map((m) => UI.button(m.name, {
      class: "btn seg" + (m.code === method ? " seg-on" : ""), data: { method: m.code },
    }, (ev) => { method = m.code; seg.querySelectorAll(".seg").forEach((b) => b.classList.toggle("seg-on", b === ev.currentTarget)); })));
    const reason = UI.textField({ id: "refund-reason", label: I18n.t("refund.reason"), placeholder: I18n.t("refund.reason_placeholder") });
    const ok = async () => {
      const lines = [...picked].map(([lineNo, qty]) => ({ line_no: lineNo, qty }));
      if (!lines.length) return UI.toast(I18n.t("refund.none"), { kind: "error" });
      const r = reason.input.value.trim();
      if (!r) return UI.toast(I18n.t("shift.reason_missing"), { kind: "error" });
      const doc2 = await UI.run(() => Api.approved("POST", "/sales/" + encodeURIComponent(doc.number) + "/refund", { lines, method, reason: r }));
      if (!doc2) return undefined;
      m.close();
      UI.toast(I18n.t("refund.done", doc2.number || ""), { kind: "ok" });
      Status.refresh();
      await reload();
      return show(doc.number);
    };
    const m = UI.modal({
      title: I18n.t("refund.title", doc.number), cls: "modal-wide", id: "refund",
      body: UI.el("div", { class: "form" }, UI.el("p", { class: "form-text", text: I18n.t("refund.lines") }), table,
        UI.el("div", { class: "field" }, UI.el("span", { class: "field-label", text: I18n.t("refund.method") }), seg), reason.root),
      actions: [
        { label: I18n.t("btn.cancel"), onClick: () => m.close() },
        { label: I18n.t("sales.refund"), cls: "btn-danger", id: "refund-ok", onClick: ok },
      ],
    });
  }

  return { open, reprintLast };
})();
