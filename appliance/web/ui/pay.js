"use strict";
// pay.js: the payment screen. Tenders (cash, bank EDC card, other methods)
// accumulate until they cover what is due; a quick-cash button that covers it
// completes the sale in one tap. After the sale: the change, big, and the
// receipt as printed.

const Pay = (() => {
  const banks = ["BCA", "BRI", "Mandiri", "BNI", "CIMB Niaga", "Lainnya"];
  const defaultMethods = [
    { code: "cash", name: "Tunai", cash: true, offline: true, quick_cash: [20000, 50000, 100000] },
    { code: "card", name: "Kartu (EDC)", offline: true, edc: true },
  ];

  let cart = null;
  let tenders = [];
  let method = "cash";
  let modal = null;
  let busy = false;
  let keypadTarget = null;
  let note = null; // { text, kind } shown above the buttons, e.g. while checking a lost answer
  let f = {}; // the form's fields
  // qr is the QRIS code on screen: { kind: "static"|"dynamic", method, code,
  // attempt, problem, timer }. While it is up it replaces the method forms.
  let qr = null;

  function methods() {
    const m = ((App.config && App.config.payment_methods) || []).filter((x) => !x.off);
    return m.length ? m : defaultMethods;
  }

  // available says whether a method can be used now: methods that need a
  // connection only while online, dynamic QRIS only when the till offers it.
  function available(m) {
    const st = Status.current;
    if (m.qris === "dynamic") return !st || st.qris !== false;
    return !st || st.online !== false || m.offline !== false;
  }

  function spec(code) {
    return methods().find((m) => m.code === code) || { code, name: code };
  }

  function isCash(code) {
    const s = spec(code);
    return !!s.cash || code === "cash";
  }

  // roundAdjust mirrors the till's cash rounding so that a split payment shows
  // the right cash amount; with no non-cash tender the till's cash_due is used.
  function roundAdjust(amount) {
    const r = (App.config && App.config.rounding) || {};
    const unit = Number(r.unit) || 0;
    if (unit <= 1 || amount <= 0) return 0;
    const rem = amount % unit;
    if (!rem) return 0;
    if (r.mode === "up") return unit - rem;
    if (r.mode === "nearest") return rem * 2 >= unit ? unit - rem : -rem;
    return -rem;
  }

  // settle works out what is still owed, the way the till will.
  function settle() {
    const total = cart.total;
    let cash = 0;
    let nonCash = 0;
    for (const t of tenders) {
      if (isCash(t.method)) cash += t.amount;
      else nonCash += t.amount;
    }
    const hasCash = tenders.some((t) => isCash(t.method));
    const cashPart = Math.max(0, total - nonCash);
    const cashDue = nonCash === 0 && cart.cash_due !== undefined ? cart.cash_due : cashPart + roundAdjust(cashPart);
    const covered = nonCash >= total || (hasCash && cash >= cashDue);
    return {
      total, cash, nonCash, cashDue, covered,
      due: hasCash ? cashDue + nonCash : total,
      remaining: Math.max(0, total - nonCash - cash), // exact, for a non-cash tender
      remainingCash: covered ? 0 : Math.max(0, cashDue - cash), // what cash must still cover
      change: hasCash && covered ? Math.max(0, cash - cashDue) : 0,
    };
  }

  // ---- Opening and drawing ---------------------------------------------------

  function open(c) {
    if (!c || !c.lines || !c.lines.length) {
      UI.toast(I18n.t("pay.empty_cart"));
      return;
    }
    cart = c;
    tenders = [];
    method = methods()[0].code;
    busy = false;
    note = null;
    qr = null;
    modal = UI.modal({
      title: I18n.t("pay.title"), cls: "modal-fullscreen pay", id: "pay-screen", body: UI.el("div", { class: "pay-grid" }),
      onClose: () => leaveQR(),
    });
    draw();
  }

  function draw() {
    const s = settle();
    const grid = modal.body.firstChild;
    grid.replaceChildren(summary(s), qr ? qrPanel() : entry(s), keypad());
  }

  function summary(s) {
    const rows = [
      UI.el("div", { class: "pay-label", text: I18n.t("pay.total") }),
      UI.el("div", { class: "pay-due", id: "pay-due", text: Fmt.rp(cart.total) }),
    ];
    if (s.cashDue !== s.total - s.nonCash && s.remaining > 0) {
      rows.push(UI.el("div", { class: "pay-cashdue", id: "pay-cash-due" },
        I18n.t("pay.cash_due") + ": " + Fmt.rp(s.cashDue) + " (" + I18n.t("pay.rounding") + " " + Fmt.rp(s.cashDue - (s.total - s.nonCash)) + ")"));
    }
    const list = UI.el("ul", { class: "tenders", id: "pay-tenders" });
    if (!tenders.length) list.append(UI.el("li", { class: "tender-empty", text: I18n.t("pay.no_tenders") }));
    tenders.forEach((t, i) => {
      const extra = t.bank ? " · " + t.bank + " ·" + t.card_last4 : "";
      list.append(UI.el("li", { class: "tender" },
        UI.el("span", { class: "tender-name", text: spec(t.method).name + extra }),
        UI.el("span", { class: "tender-amount", text: Fmt.rp(t.amount) }),
        UI.button("×", { class: "btn btn-qty", "aria-label": I18n.t("pay.remove_tender") }, () => { tenders.splice(i, 1); draw(); })));
    });
    const left = s.covered
      ? UI.el("div", { class: "pay-left pay-left-change" }, UI.el("span", { text: I18n.t("pay.change") }), UI.el("strong", { id: "pay-remaining", text: Fmt.rp(s.change) }))
      : UI.el("div", { class: "pay-left" }, UI.el("span", { text: I18n.t("pay.remaining") }), UI.el("strong", { id: "pay-remaining", text: Fmt.rp(isCash(method) ? s.remainingCash : s.remaining) }));
    return UI.el("div", { class: "pay-summary" },
      rows, UI.el("div", { class: "pay-label", text: I18n.t("pay.tenders") }), list, left,
      note ? UI.el("div", { class: "notice notice-" + note.kind, id: "pay-note", role: "alert", text: note.text }) : null,
      UI.el("div", { class: "pay-buttons" },
        UI.button(I18n.t("btn.cancel"), { class: "btn", id: "pay-cancel" }, () => modal.close()),
        UI.button(I18n.t("pay.complete"), { class: "btn btn-pay" + (s.covered ? " btn-ready" : ""), id: "pay-complete" }, complete)));
  }

  function entry(s) {
    const tabs = UI.el("div", { class: "segmented pay-methods" }, methods().map((m) => UI.button(m.name, {
      class: "btn seg" + (m.code === method ? " seg-on" : ""), id: "pay-method-" + m.code, data: { method: m.code },
      disabled: !available(m), title: available(m) ? null : I18n.t(m.qris === "dynamic" ? "qris.unavailable" : "pay.offline_only"),
    }, () => { method = m.code; note = null; draw(); })));
    const sp = spec(method);
    const form = sp.cash || method === "cash" ? cashForm(sp, s) : sp.edc ? cardForm(s) : sp.qris ? qrisForm(sp, s) : otherForm(s);
    return UI.el("div", { class: "pay-entry" }, tabs, form);
  }

  function cashForm(sp, s) {
    const quick = UI.el("div", { class: "quick" });
    quick.append(UI.button([UI.el("span", { text: I18n.t("pay.exact") }), UI.el("small", { text: Fmt.rp(s.remainingCash) })],
      { class: "btn quick-cash quick-exact", data: { amount: "exact" }, disabled: s.covered }, () => quickCash(settle().remainingCash)));
    for (const a of sp.quick_cash || []) {
      quick.append(UI.button(Fmt.rp(a), { class: "btn quick-cash", data: { amount: String(a) }, disabled: s.covered }, () => quickCash(a)));
    }
    f.amount = UI.amountField({ id: "pay-amount", label: I18n.t("pay.amount") });
    f.amount.input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); complete(); } });
    keypadTarget = f.amount.input;
    setTimeout(() => f.amount.input.focus(), 0);
    return UI.el("div", { class: "pay-form" }, quick,
      UI.el("div", { class: "pay-row" }, f.amount.root, UI.button(I18n.t("pay.add"), { class: "btn", id: "pay-add" }, addCash)));
  }

  function cardForm(s) {
    const select = UI.el("select", { id: "card-bank", class: "field-input" }, banks.map((b) => UI.el("option", { value: b, text: b })));
    f.bank = select;
    f.approval = UI.textField({ id: "card-approval", label: I18n.t("pay.approval"), maxlength: 12 });
    f.last4 = UI.textField({ id: "card-last4", label: I18n.t("pay.last4"), maxlength: 4 });
    f.last4.input.inputMode = "none"; // the keypad types it
    f.card = UI.amountField({ id: "card-amount", label: I18n.t("pay.amount"), value: s.remaining });
    for (const i of [f.approval.input, f.last4.input, f.card.input]) i.addEventListener("focus", () => { keypadTarget = i; });
    keypadTarget = f.approval.input;
    setTimeout(() => f.approval.input.focus(), 0);
    return UI.el("div", { class: "pay-form card-form" },
      UI.el("label", { class: "field" }, UI.el("span", { class: "field-label", text: I18n.t("pay.bank") }), select),
      f.approval.root, f.last4.root,
      UI.el("div", { class: "pay-row" }, f.card.root, UI.button(I18n.t("pay.add"), { class: "btn", id: "card-add" }, addCard)));
  }

  function otherForm(s) {
    f.other = UI.amountField({ id: "other-amount", label: I18n.t("pay.amount"), value: s.remaining });
    keypadTarget = f.other.input;
    return UI.el("div", { class: "pay-form" },
      UI.el("div", { class: "pay-row" }, f.other.root, UI.button(I18n.t("pay.add"), { class: "btn", id: "other-add" }, addOther)));
  }

  // ---- QRIS ------------------------------------------------------------------

  function qrisForm(sp, s) {
    f.qris = UI.amountField({ id: "qris-amount-input", label: I18n.t("pay.amount"), value: s.remaining });
    keypadTarget = f.qris.input;
    const dynamic = sp.qris === "dynamic";
    return UI.el("div", { class: "pay-form" },
      UI.el("div", { class: "pay-row" }, f.qris.root,
        UI.button(I18n.t(dynamic ? "qris.create" : "qris.show"), { class: "btn btn-pay", id: "qris-show", disabled: !available(sp) || s.covered },
          () => (dynamic ? startDynamic(sp) : showStatic(sp)))));
  }

  function qrisAmount() {
    const a = f.qris.value();
    if (!a) {
      UI.toast(I18n.t("pay.amount_missing"), { kind: "error" });
      return 0;
    }
    if (a > settle().remaining) {
      UI.toast(I18n.t("pay.card_over"), { kind: "error" });
      return 0;
    }
    return a;
  }

  function qrPanel() {
    const c = qr.code;
    const box = UI.el("div", { class: "qris-code", id: "qris-code", data: { payload: c.payload, amount: String(c.amount) } });
    box.innerHTML = c.svg; // drawn by the till from the payload: no outside markup
    const rows = [
      UI.el("div", { class: "pay-label", text: I18n.t("qris.scan") }),
      box,
      UI.el("div", { class: "qris-amount", id: "qris-amount", text: Fmt.rp(c.amount) }),
      UI.el("div", { class: "qris-meta", text: [c.merchant, I18n.t("qris.ref") + " " + c.reference].filter(Boolean).join(" · ") }),
    ];
    let buttons;
    if (qr.kind === "static") {
      rows.push(UI.el("div", { class: "notice notice-info", text: I18n.t("qris.static_hint", Fmt.rp(c.amount)) }));
      buttons = [
        UI.button(I18n.t("qris.back"), { class: "btn", id: "qris-back" }, () => { leaveQR(); draw(); }),
        UI.button(I18n.t("qris.confirm"), { class: "btn btn-pay", id: "qris-confirm" }, confirmStatic),
      ];
    } else {
      rows.push(UI.el("div", { class: "qris-state", id: "qris-state", text: waitingText() }));
      if (qr.problem) rows.push(UI.el("div", { class: "notice notice-error", id: "qris-problem", role: "alert", text: qr.problem }));
      buttons = [UI.button(I18n.t("qris.cancel"), { class: "btn", id: "qris-cancel" }, () => cancelDynamic())];
    }
    return UI.el("div", { class: "pay-entry qris-panel", id: "qris-panel" }, rows, UI.el("div", { class: "pay-buttons" }, buttons));
  }

  function waitingText() {
    const exp = qr && qr.attempt && Date.parse(qr.attempt.expires_at);
    if (!exp) return I18n.t("qris.waiting", "");
    const left = Math.max(0, Math.round((exp - Date.now()) / 1000));
    return I18n.t("qris.waiting", Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0"));
  }

  async function showStatic(sp) {
    const amount = qrisAmount();
    if (!amount || busy) return;
    setBusy(true);
    try {
      const res = await Api.post("/cart/qris/static", { cart_id: cart.id, method: sp.code, amount });
      qr = { kind: "static", method: sp.code, code: res.code };
      note = null;
    } catch (err) {
      note = { text: err.message, kind: "error" };
    } finally {
      setBusy(false);
    }
    draw();
  }

  function confirmStatic() {
    const c = qr.code;
    tenders.push({ method: qr.method, amount: c.amount, reference: c.reference });
    qr = null; // the sale takes the customer screen from here
    if (settle().covered) complete();
    else draw();
  }

  // leaveQR takes the code down without paying: a static code leaves the
  // customer screen, a dynamic charge is cancelled.
  function leaveQR() {
    if (!qr) return;
    const q = qr;
    qr = null;
    clearTimeout(q.timer);
    if (q.kind === "static") Api.del("/cart/qris").catch(() => {});
    else Api.post("/qris/" + encodeURIComponent(q.attempt.reference) + "/cancel", {}).catch(() => {});
  }

  async function startDynamic(sp) {
    const amount = qrisAmount();
    if (!amount || busy) return;
    setBusy(true);
    let res = null;
    try {
      res = await Api.approved("POST", "/cart/qris", { cart_id: cart.id, method: sp.code, amount, payments: tenders });
      note = null;
    } catch (err) {
      // The provider did not answer or refused: the cashier hears why and
      // picks another method; nothing is charged twice.
      note = { text: err.message, kind: "error" };
    } finally {
      setBusy(false);
    }
    if (res) followDynamic(sp.code, res);
    else draw();
  }

  // followDynamic shows a dynamic charge and polls it until it is paid,
  // closed or cancelled.
  function followDynamic(code, res) {
    if (res.sale) {
      qr = null;
      finish(res.sale);
      return;
    }
    const a = res.attempt;
    if (!res.code || a.state !== "pending") {
      qr = null;
      note = { text: res.problem || I18n.t(a.state === "expired" ? "qris.expired" : "qris.cancelled"), kind: "error" };
      draw();
      return;
    }
    const prev = qr;
    qr = { kind: "dynamic", method: code, code: res.code, attempt: a, problem: res.problem || "" };
    if (prev) clearTimeout(prev.timer);
    draw();
    schedulePoll();
  }

  function schedulePoll() {
    const q = qr;
    q.timer = setTimeout(async () => {
      if (qr !== q || modal.closed) return;
      const exp = Date.parse(q.attempt.expires_at);
      let res;
      try {
        res = await Api.get("/qris/" + encodeURIComponent(q.attempt.reference));
      } catch (err) {
        res = null;
        q.problem = err.message;
      }
      if (qr !== q) return;
      if (res) {
        followDynamic(q.method, res);
        return;
      }
      // No answer from the till itself: past the code's time, give it up.
      if (exp && Date.now() > exp + 5000) {
        cancelDynamic();
        return;
      }
      const st = document.getElementById("qris-state");
      if (st) st.textContent = waitingText();
      draw();
      schedulePoll();
    }, 2000);
  }

  async function cancelDynamic() {
    if (!qr || qr.kind !== "dynamic") return;
    const q = qr;
    clearTimeout(q.timer);
    setBusy(true);
    let res = null;
    try {
      res = await Api.post("/qris/" + encodeURIComponent(q.attempt.reference) + "/cancel", {});
    } catch (err) {
      note = { text: err.message, kind: "error" };
    } finally {
      setBusy(false);
    }
    qr = null;
    if (res && res.sale) {
      // The customer paid before the cancel arrived: the payment is taken.
      finish(res.sale);
      return;
    }
    if (res) note = { text: res.problem || I18n.t("qris.cancelled"), kind: res.problem ? "error" : "info" };
    draw();
  }

  function keypad() {
    return UI.el("div", { class: "pay-keypad" }, UI.numPad({ target: () => keypadTarget, id: "pay-keypad" }));
  }

  // ---- Tenders ---------------------------------------------------------------

  // quickCash adds a cash tender; when it covers what is due the sale is
  // completed at once, which is what cashiers expect from these buttons.
  function quickCash(amount) {
    if (!amount) return;
    tenders.push({ method: cashCode(), amount });
    if (settle().covered) complete();
    else draw();
  }

  function cashCode() {
    const m = methods().find((x) => x.cash) || { code: "cash" };
    return m.code;
  }

  function addCash() {
    const a = f.amount.value();
    if (!a) {
      UI.toast(I18n.t("pay.amount_missing"), { kind: "error" });
      return false;
    }
    tenders.push({ method, amount: a });
    draw();
    return true;
  }

  function addCard() {
    const t = {
      method, amount: f.card.value(), bank: f.bank.value,
      approval_code: f.approval.input.value.trim(), card_last4: f.last4.input.value.trim(),
    };
    if (!t.bank || !t.approval_code || !/^\d{4}$/.test(t.card_last4)) {
      UI.toast(I18n.t("pay.card_missing"), { kind: "error" });
      return;
    }
    if (!t.amount) {
      UI.toast(I18n.t("pay.amount_missing"), { kind: "error" });
      return;
    }
    if (t.amount > settle().remaining) {
      UI.toast(I18n.t("pay.card_over"), { kind: "error" });
      return;
    }
    tenders.push(t);
    draw();
  }

  function addOther() {
    const a = f.other.value();
    if (!a) {
      UI.toast(I18n.t("pay.amount_missing"), { kind: "error" });
      return;
    }
    if (a > settle().remaining) {
      UI.toast(I18n.t("pay.card_over"), { kind: "error" });
      return;
    }
    tenders.push({ method, amount: a });
    draw();
  }

  // ---- Completing ------------------------------------------------------------

  async function complete() {
    if (busy) return;
    // An amount typed but not yet added counts as a cash tender.
    if (f.amount && f.amount.input.isConnected && f.amount.value()) tenders.push({ method, amount: f.amount.value() });
    const s = settle();
    if (!s.covered) {
      draw();
      UI.toast(I18n.t("pay.remaining") + " " + Fmt.rp(s.remainingCash || s.remaining), { kind: "error" });
      return;
    }
    // The id of the cart the cashier sees: paying it again after a lost answer
    // returns the sale already made instead of making a second one.
    const cartID = cart.id;
    note = null;
    const body = { payments: tenders };
    if (cartID) body.cart_id = cartID;
    setBusy(true);
    try {
      const sale = await Api.approved("POST", "/cart/pay", body);
      finish(sale);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code === "cancelled") {
        UI.showError(err);
        draw();
      } else if (err.code === "no_shift") {
        UI.showError(err);
        modal.close();
        Shift.promptOpen();
      } else if (err.code === "conflict") {
        // The till holds another cart than the one on this screen.
        UI.toast(err.message || I18n.t("pay.cart_changed"), { kind: "error" });
        modal.close();
        Sale.refreshCart();
      } else if (err.code === "network" || err.status >= 500) {
        // The sale may or may not have been made: find out before anything else.
        await checkPaid(cartID, err);
      } else {
        UI.showError(err);
        draw();
      }
    } finally {
      setBusy(false);
    }
  }

  // setBusy dims the pay screen and keeps it open while the till is asked.
  function setBusy(on) {
    busy = on;
    modal.box.classList.toggle("busy", on);
    modal.dismiss = !on;
  }

  function finish(sale) {
    note = null;
    showResult(sale);
    Sale.refreshCart();
    Status.refresh();
  }

  // checkPaid finds out whether a payment whose answer was lost (network
  // error, 5xx) was recorded. The cart in progress tells: the same cart with
  // its lines means not paid; a new, empty cart means it was, and the newest
  // sale names the cart it completed. When in doubt the pay screen stays, and
  // Selesai is safe to press again because it carries the same cart id.
  async function checkPaid(cartID, err) {
    const m = modal;
    note = { text: I18n.t("pay.checking"), kind: "info" };
    draw();
    if (err.status >= 500 && err.message) UI.toast(err.message, { kind: "error" });
    const stay = (key) => {
      if (m !== modal || m.closed) return;
      note = { text: I18n.t(key), kind: "error" };
      draw();
    };
    let c;
    try {
      c = await Api.get("/cart");
    } catch {
      stay("pay.check_failed");
      return;
    }
    if (c && Array.isArray(c.lines)) Sale.setCart(c);
    if (!c || !Array.isArray(c.lines)) {
      stay("pay.check_failed");
      return;
    }
    if (cartID && c.id === cartID && c.lines.length) {
      stay("pay.not_recorded");
      return;
    }
    if (cartID && c.id !== cartID && !c.lines.length) {
      try {
        const data = await Api.get("/sales?limit=1");
        const last = ((data && data.sales) || [])[0];
        if (last && last.cart_id === cartID && m === modal && !m.closed) {
          finish(Object.assign({}, last, { recovered: true }));
          return;
        }
      } catch {
        // fall through: the cashier can press Selesai again
      }
    }
    stay("pay.check_failed");
  }

  function showResult(sale) {
    const m = modal;
    m.scan = true; // the next customer's first scan starts a new sale
    m.setTitle(I18n.t("pay.done"));
    const receipt = UI.el("pre", { class: "receipt", id: "receipt-text" }, I18n.t("catalog.loading"));
    const left = UI.el("div", { class: "result-main" },
      UI.el("div", { class: "result-label", text: I18n.t("pay.change") }),
      UI.el("div", { class: "result-change", id: "change-amount", text: Fmt.rp(sale.change || 0) }),
      UI.el("div", { class: "result-meta" },
        UI.el("span", { class: "result-number", id: "sale-number", text: sale.number }),
        UI.el("span", { text: " · " + I18n.t("pay.total") + " " + Fmt.rp(sale.due ?? (sale.total + (sale.rounding || 0))) + " · " + I18n.t("pay.paid") + " " + Fmt.rp(sale.paid) })),
      sale.already_paid || sale.recovered ? UI.el("div", { class: "notice notice-info", id: "already-paid", text: I18n.t("pay.already_paid") }) : null,
      // print_error is already a sentence for the cashier, in their language.
      sale.print_error ? UI.el("div", { class: "notice notice-error", id: "print-error", role: "alert", text: sale.print_error }) : null,
      UI.el("div", { class: "result-buttons" },
        UI.button(I18n.t("pay.reprint"), { class: "btn", id: "btn-result-reprint" }, () => UI.run(async () => {
          const r = await Api.post("/sales/" + encodeURIComponent(sale.number) + "/reprint", {});
          if (r && r.printed === false) UI.toast(r.print_error || I18n.t("err.unexpected"), { kind: "error" });
          else UI.toast(I18n.t("sales.reprinted"), { kind: "ok" });
        })),
        UI.button(I18n.t("pay.new_sale"), { class: "btn btn-pay", id: "btn-new-sale" }, () => m.close())));
    m.body.replaceChildren(UI.el("div", { class: "result-grid" }, left, UI.el("div", { class: "result-receipt" }, receipt)));
    f = {};
    const offKeys = UI.onKeys((ev) => { if (ev.key === "Enter") { ev.preventDefault(); m.close(); } });
    const prevClose = m.close;
    m.close = () => { offKeys(); prevClose(); };
    UI.Hooks.afterAction();
    loadReceipt(sale.number, receipt);
  }

  async function loadReceipt(number, pre) {
    try {
      const r = await Api.get("/sales/" + encodeURIComponent(number) + "/receipt");
      pre.textContent = (r && r.text) || "";
    } catch (err) {
      pre.textContent = err.message;
    }
  }

  return { open };
})();
