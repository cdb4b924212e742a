"use strict";
// ui.js: the building blocks every screen uses: element creation, the toast,
// stacked dialogs, the PIN pad, the numeric keypad, and the scan beeps.
// Nothing here knows about sales; screens compose these.

const UI = (() => {
  // el creates an element. attrs: class, id, text, data (dataset), on (event
  // handlers), and any other attribute or property (hidden, type, disabled…).
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k === "data") Object.assign(e.dataset, v);
      else if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else if (k in e && typeof v !== "string") e[k] = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function button(label, attrs = {}, onClick) {
    const b = el("button", Object.assign({ type: "button" }, attrs), label);
    if (onClick) b.addEventListener("click", onClick);
    return b;
  }

  const $ = (sel, root = document) => root.querySelector(sel);

  // ---- Toast ---------------------------------------------------------------

  let toastTimer = 0;

  // toast shows a message at the bottom. kind: "error", "info" or "ok". With
  // retry, a "Coba lagi" button runs it.
  function toast(message, { kind = "info", retry = null, ms = 0 } = {}) {
    const box = $("#toast");
    clearTimeout(toastTimer);
    box.replaceChildren(el("span", { class: "toast-text", text: message }));
    if (retry) {
      box.append(button(I18n.t("btn.retry"), { class: "btn btn-small toast-retry" }, () => {
        hideToast();
        retry();
      }));
    }
    box.append(button("×", { class: "btn btn-small toast-close", "aria-label": I18n.t("btn.close") }, hideToast));
    box.className = "toast toast-" + kind;
    box.hidden = false;
    const life = ms || (retry ? 0 : kind === "error" ? 7000 : 3000);
    if (life) toastTimer = setTimeout(hideToast, life);
  }

  function hideToast() {
    clearTimeout(toastTimer);
    $("#toast").hidden = true;
  }

  // showError shows what went wrong in words a cashier can read: the API's
  // message, a "not connected" notice with a retry, never an exception.
  function showError(err, retry) {
    if (err instanceof ApiError) {
      if (err.code === "cancelled") return;
      if (err.code === "network") {
        toast(err.message, { kind: "error", retry });
        return;
      }
      toast(err.message, { kind: "error" });
      return;
    }
    console.error(err); // eslint-disable-line no-console
    toast(I18n.t("err.unexpected"), { kind: "error" });
  }

  // run does an action and shows its failure; a network failure offers to run
  // it again. It resolves to the action's result, or undefined on failure.
  async function run(action) {
    try {
      return await action();
    } catch (err) {
      showError(err, () => run(action));
      return undefined;
    } finally {
      Hooks.afterAction();
    }
  }

  // Hooks lets the sale screen refocus the scan field after every action
  // without ui.js knowing about it.
  const Hooks = { afterAction() {} };

  // ---- Dialogs ---------------------------------------------------------------

  const stack = [];

  // modal opens a dialog above everything else. body is a node; actions are
  // buttons along the bottom. dismiss=false hides the close button. scan=true
  // lets the scan field keep working (the sale-complete screen).
  function modal({ title = "", cls = "", body = null, actions = [], dismiss = true, scan = false, onClose = null, id = null }) {
    const head = el("header", { class: "modal-head" }, el("h2", { class: "modal-title", text: title }));
    const m = {
      scan,
      dismiss,
      closed: false,
      close() {
        if (m.closed) return;
        m.closed = true;
        const i = stack.indexOf(m);
        if (i >= 0) stack.splice(i, 1);
        m.root.remove();
        document.body.classList.toggle("has-modal", stack.length > 0);
        if (onClose) onClose();
        Hooks.afterAction();
      },
    };
    if (dismiss) head.append(button("×", { class: "btn btn-icon modal-x", "aria-label": I18n.t("btn.close") }, () => m.close()));
    const foot = actions.length ? el("footer", { class: "modal-foot" }, actions.map((a) => button(a.label, {
      class: "btn " + (a.cls || ""), id: a.id, disabled: a.disabled,
    }, a.onClick))) : null;
    m.body = el("div", { class: "modal-body" }, body);
    m.box = el("section", { class: "modal " + cls, role: "dialog", "aria-modal": "true", id }, head, m.body, foot);
    m.root = el("div", { class: "modal-backdrop" + (cls.includes("fullscreen") ? " backdrop-full" : "") }, m.box);
    m.setTitle = (t) => { head.querySelector(".modal-title").textContent = t; };
    stack.push(m);
    $("#modals").append(m.root);
    document.body.classList.add("has-modal");
    if (!scan && document.activeElement && document.activeElement.id === "scan") document.activeElement.blur();
    return m;
  }

  function topModal() {
    return stack[stack.length - 1] || null;
  }

  // blocking reports whether a dialog that owns the keyboard is open.
  function blocking() {
    return stack.some((m) => !m.scan);
  }

  function closeAll() {
    while (stack.length) stack[stack.length - 1].close();
  }

  // confirm asks a yes/no question and resolves to true or false.
  function confirm(text, yesLabel = I18n.t("btn.yes"), title = "") {
    return new Promise((resolve) => {
      let answer = false;
      const m = modal({
        title, cls: "modal-narrow", body: el("p", { class: "confirm-text", text }),
        onClose: () => resolve(answer),
        actions: [
          { label: I18n.t("btn.no"), onClick: () => m.close() },
          { label: yesLabel, cls: "btn-danger", id: "confirm-yes", onClick: () => { answer = true; m.close(); } },
        ],
      });
    });
  }

  // textField is a labelled text input.
  function textField({ id, label, placeholder = "", value = "", maxlength = 120 }) {
    const input = el("input", { id, type: "text", class: "field-input", placeholder, value, maxlength: String(maxlength), autocomplete: "off" });
    return { root: el("label", { class: "field" }, el("span", { class: "field-label", text: label }), input), input };
  }

  // ---- Keyboard --------------------------------------------------------------

  const keyHandlers = [];

  // onKeys routes key presses to handler while no text field has focus, for
  // PIN pads and keypads that also take a hardware keyboard. Returns a
  // function that removes the handler.
  function onKeys(handler) {
    keyHandlers.push(handler);
    return () => {
      const i = keyHandlers.lastIndexOf(handler);
      if (i >= 0) keyHandlers.splice(i, 1);
    };
  }

  function isTextField(e) {
    return !!e && (e.tagName === "TEXTAREA" || e.tagName === "SELECT" || (e.tagName === "INPUT" && !["button", "checkbox", "radio"].includes(e.type)));
  }

  document.addEventListener("keydown", (ev) => {
    const top = topModal();
    if (ev.key === "Escape" && top && top.dismiss) {
      ev.preventDefault();
      top.close();
      return;
    }
    if (isTextField(document.activeElement)) return;
    const h = keyHandlers[keyHandlers.length - 1];
    if (h) h(ev);
  });

  // ---- PIN pad ---------------------------------------------------------------

  // pinPad is a PIN entry: dots, a message line and a 3×4 grid of big keys.
  // onSubmit(pin) is called on OK; it may return a promise, during which the
  // pad is busy.
  function pinPad({ id, okId, onSubmit, maxLen = 8 }) {
    let pin = "";
    let busy = false;
    const dots = el("div", { class: "pin-dots", "aria-live": "polite" });
    const msg = el("div", { class: "pin-msg", role: "alert" });
    const keys = el("div", { class: "pin-keys" });
    for (const d of ["1", "2", "3", "4", "5", "6", "7", "8", "9"]) {
      keys.append(button(d, { class: "btn key", data: { digit: d } }, () => press(d)));
    }
    keys.append(
      button(I18n.t("pin.clear"), { class: "btn key key-fn", id: id + "-clear" }, () => clear()),
      button("0", { class: "btn key", data: { digit: "0" } }, () => press("0")),
      button(I18n.t("pin.ok"), { class: "btn key key-ok", id: okId }, () => submit()),
    );
    const root = el("div", { class: "pin", id }, dots, msg, keys);

    function draw() {
      const n = Math.max(4, pin.length);
      dots.replaceChildren(...Array.from({ length: n }, (_, i) => el("span", { class: "dot" + (i < pin.length ? " dot-on" : "") })));
    }
    function press(d) {
      if (busy || pin.length >= maxLen) return;
      pin += d;
      msg.textContent = "";
      draw();
    }
    function clear() {
      pin = "";
      draw();
    }
    async function submit() {
      if (busy) return;
      if (pin.length < 4) {
        error(I18n.t("err.pin_short"));
        return;
      }
      const p = pin;
      busy = true;
      root.classList.add("busy");
      try {
        await onSubmit(p);
      } finally {
        busy = false;
        root.classList.remove("busy");
      }
    }
    function error(text) {
      msg.textContent = text;
      root.classList.remove("shake");
      void root.offsetWidth; // restart the animation
      root.classList.add("shake");
      clear();
    }
    const offKeys = onKeys((ev) => {
      if (/^[0-9]$/.test(ev.key)) press(ev.key);
      else if (ev.key === "Backspace") { pin = pin.slice(0, -1); draw(); }
      else if (ev.key === "Enter") submit();
      else return;
      ev.preventDefault();
    });
    draw();
    return { root, clear, error, message: (t) => { msg.textContent = t; }, destroy: offKeys };
  }

  // approvalPad asks for a supervisor's PIN. next() resolves to the PIN typed,
  // or null when the cashier cancels; error() shows why the last one failed.
  function approvalPad(reason) {
    let waiting = null;
    const pad = pinPad({
      id: "approval-pad", okId: "approval-ok",
      onSubmit: (pin) => { if (waiting) { const w = waiting; waiting = null; w(pin); } },
    });
    const m = modal({
      title: I18n.t("approval.title"), cls: "modal-pin", id: "approval",
      body: el("div", {}, el("p", { class: "approval-reason", text: reason || I18n.t("approval.subtitle") }), pad.root),
      onClose: () => { pad.destroy(); if (waiting) { const w = waiting; waiting = null; w(null); } },
    });
    return {
      next: () => new Promise((resolve) => { waiting = resolve; }),
      error: (text) => pad.error(text),
      close: () => m.close(),
    };
  }

  // ---- Numeric keypad and amount fields --------------------------------------

  // numPad is an on-screen keypad that types into target() (an input). Keys
  // do not take the focus, so the input keeps its caret.
  function numPad({ target, decimal = false, id = null }) {
    const pad = el("div", { class: "numpad", id });
    const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", decimal ? "," : "000", "0", "back"];
    for (const k of keys) {
      const label = k === "back" ? "⌫" : k;
      const b = button(label, { class: "btn key" + (k === "back" ? " key-fn" : ""), data: { key: k }, "aria-label": k === "back" ? I18n.t("pin.back") : null });
      b.addEventListener("pointerdown", (ev) => ev.preventDefault());
      b.addEventListener("click", () => typeKey(target(), k));
      pad.append(b);
    }
    return pad;
  }

  function typeKey(input, k) {
    if (!input) return;
    let v = input.value;
    if (k === "back") v = v.slice(0, -1);
    else if (k === "," && (v.includes(",") || v.includes("."))) return;
    else if (k === ",") v = (v || "0") + ",";
    else v += k;
    input.value = v;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // amountField is a rupiah input that formats itself as "200.000" while
  // typing (by hand or on a keypad) and reads back as a number. Its keypad is
  // on screen, so inputmode=none keeps a tablet's own keyboard away.
  function amountField({ id, label, value = 0 }) {
    const input = el("input", { id, type: "text", inputmode: "none", class: "field-input amount-input", autocomplete: "off", value: value ? Fmt.plain(value) : "" });
    input.addEventListener("input", () => {
      // "0" stays visible: a counted amount of zero is not an empty field.
      const typed = /\d/.test(input.value);
      input.value = typed ? Fmt.plain(Math.min(Fmt.digits(input.value), 1e12)) : "";
    });
    const root = el("label", { class: "field field-amount" }, el("span", { class: "field-label", text: label }), el("span", { class: "amount-prefix", text: "Rp" }), input);
    return {
      root, input,
      value: () => Fmt.digits(input.value),
      filled: () => /\d/.test(input.value), // something typed, even 0
      set: (n) => { input.value = n ? Fmt.plain(n) : ""; input.dispatchEvent(new Event("input", { bubbles: true })); },
    };
  }

  // qtyField is a decimal input: "0,750".
  function qtyField({ id, label, value = "" }) {
    const input = el("input", { id, type: "text", inputmode: "none", class: "field-input", autocomplete: "off", value });
    input.addEventListener("input", () => {
      input.value = input.value.replace(/[^0-9.,]/g, "").replace(".", ",");
    });
    return { root: el("label", { class: "field" }, el("span", { class: "field-label", text: label }), input), input, value: () => Fmt.parseQty(input.value) };
  }

  // numberDialog asks for one number with a keypad. kind: "amount" (rupiah),
  // "qty" (decimal comma) or "percent". Resolves to the number or null.
  function numberDialog({ title, label, kind = "amount", value = "", id = "number-input", extra = null, okId = "number-ok" }) {
    return new Promise((resolve) => {
      let result = null;
      const f = kind === "amount" ? amountField({ id, label, value: Number(value) || 0 }) : qtyField({ id, label, value: String(value) });
      const pad = numPad({ target: () => f.input, decimal: kind !== "amount" });
      const ok = () => {
        const v = kind === "amount" ? f.value() : Fmt.parseQty(f.input.value);
        if (Number.isNaN(v) || f.input.value.trim() === "") {
          toast(I18n.t("pay.amount_missing"), { kind: "error" });
          return;
        }
        result = v;
        m.close();
      };
      f.input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); ok(); } });
      const m = modal({
        title, cls: "modal-keypad",
        body: el("div", { class: "keypad-form" }, f.root, extra ? extra.root : null, pad),
        onClose: () => resolve(result),
        actions: [
          { label: I18n.t("btn.cancel"), onClick: () => m.close() },
          { label: I18n.t("btn.ok"), cls: "btn-primary", id: okId, onClick: ok },
        ],
      });
      f.input.focus();
    });
  }

  // textDialog asks for one line of text. Resolves to the text or null.
  function textDialog({ title, label, placeholder = "", required = false, okLabel = I18n.t("btn.ok"), text = "", id = "text-input" }) {
    return new Promise((resolve) => {
      let result = null;
      const f = textField({ id, label, placeholder });
      const ok = () => {
        const v = f.input.value.trim();
        if (required && !v) {
          toast(I18n.t("shift.reason_missing"), { kind: "error" });
          f.input.focus();
          return;
        }
        result = v;
        m.close();
      };
      f.input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); ok(); } });
      const m = modal({
        title, cls: "modal-narrow",
        body: el("div", { class: "form" }, text ? el("p", { text }) : null, f.root),
        onClose: () => resolve(result),
        actions: [
          { label: I18n.t("btn.cancel"), onClick: () => m.close() },
          { label: okLabel, cls: "btn-primary", id: id + "-ok", onClick: ok },
        ],
      });
      f.input.focus();
    });
  }

  return {
    el, button, $, toast, hideToast, showError, run, Hooks,
    modal, topModal, blocking, closeAll, confirm, textField,
    onKeys, isTextField, pinPad, approvalPad, numPad, amountField, qtyField, numberDialog, textDialog,
  };
})();

// Beep gives the cashier an ear for the scanner: a short high tone when a
// code was found, a low double tone when it was not.
const Beep = (() => {
  let ctx = null;

  function tone(freq, start, dur) {
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.type = "square";
    o.frequency.value = freq;
    g.gain.setValueAtTime(0.08, ctx.currentTime + start);
    g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + start + dur);
    o.connect(g).connect(ctx.destination);
    o.start(ctx.currentTime + start);
    o.stop(ctx.currentTime + start + dur + 0.02);
  }

  function play(tones) {
    // Browsers refuse audio before the first tap or key press; stay silent.
    if (navigator.userActivation && !navigator.userActivation.hasBeenActive) return;
    try {
      ctx = ctx || new (window.AudioContext || window.webkitAudioContext)();
      if (ctx.state === "suspended") ctx.resume();
      for (const [f, s, d] of tones) tone(f, s, d);
    } catch {
      // No audio device: the toast still says what happened.
    }
  }

  return {
    ok: () => play([[1760, 0, 0.08]]),
    bad: () => play([[220, 0, 0.15], [180, 0.2, 0.25]]),
  };
})();
