"use strict";
// sale.js: the sale screen: the scan field that always has the focus, the
// category tabs and product grid, and the cart with its line and order
// actions (discounts, park, recall, clear).

// Scan keeps #scan focused so that a keyboard-wedge barcode scanner works at
// any moment, unless the cashier is typing elsewhere or a dialog is open.
const Scan = (() => {
  let input = null;

  function init(onCode) {
    input = UI.$("#scan");
    input.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      const code = input.value.trim();
      input.value = "";
      onCode(code);
    });
    // Whatever took the focus away, give it back once the dust settles.
    document.addEventListener("focusout", () => setTimeout(focus, 0));
    document.addEventListener("pointerup", () => setTimeout(focus, 0));
    UI.Hooks.afterAction = () => setTimeout(focus, 0);
  }

  function focus() {
    if (!input || App.screen !== "sale" || UI.blocking()) return;
    const a = document.activeElement;
    if (a && a !== input && UI.isTextField(a)) return;
    if (a !== input) input.focus({ preventScroll: true });
  }

  return { init, focus };
})();

const Sale = (() => {
  let cart = null;
  let queue = Promise.resolve();
  let category = "";
  let query = "";
  let searchTimer = 0;
  let productsToken = 0;
  let products = [];

  function init() {
    Scan.init(scanCode);
    // Pay waits for cart changes still on their way, so a quick tap after a
    // scan pays for what was scanned.
    UI.$("#btn-pay").addEventListener("click", () => queue.then(() => Pay.open(cart)));
    UI.$("#btn-park").addEventListener("click", park);
    UI.$("#btn-recall").addEventListener("click", recallList);
    UI.$("#btn-clear").addEventListener("click", clearCart);
    UI.$("#btn-discount").addEventListener("click", () => orderDiscount());
    UI.$("#btn-menu").addEventListener("click", () => App.menu());
    const search = UI.$("#search");
    search.addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => { query = search.value.trim(); loadProducts(); }, 300);
    });
    search.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      const v = search.value.trim();
      // A scanner firing into the search box still rings the item up.
      if (/^\d{6,14}$/.test(v)) {
        search.value = "";
        query = "";
        loadProducts();
        scanCode(v);
        search.blur();
      }
    });
  }

  // load fetches everything the sale screen shows.
  async function load() {
    await Promise.all([UI.run(loadCategories), refreshCart()]);
  }

  function refreshCart() {
    return mutate(() => Api.get("/cart"));
  }

  // ---- Catalog ---------------------------------------------------------------

  async function loadCategories() {
    const data = await Api.get("/categories");
    const cats = (data && data.categories) || [];
    if (!cats.some((c) => c.name === category)) category = cats.length ? cats[0].name : "";
    const tabs = UI.$("#category-tabs");
    tabs.replaceChildren(...cats.map((c) => UI.button(c.name, {
      class: "tab" + (c.name === category && !query ? " tab-on" : ""), data: { category: c.name }, role: "tab",
    }, () => pickCategory(c.name))));
    await loadProducts();
  }

  function pickCategory(name) {
    clearTimeout(searchTimer);
    category = name;
    query = "";
    UI.$("#search").value = "";
    UI.$("#category-tabs").querySelectorAll(".tab").forEach((t) => t.classList.toggle("tab-on", t.dataset.category === name));
    UI.run(loadProducts);
    UI.$("#product-grid").scrollTop = 0;
  }

  async function loadProducts() {
    const token = ++productsToken;
    const path = query
      ? "/products?q=" + encodeURIComponent(query) + "&limit=60"
      : "/products?category=" + encodeURIComponent(category) + "&limit=300";
    UI.$("#category-tabs").classList.toggle("tabs-search", !!query);
    const data = await Api.get(path);
    if (token !== productsToken) return; // a newer search answered first
    products = ((data && data.products) || []).filter((p) => p.active !== false);
    renderProducts();
  }

  function renderProducts() {
    const grid = UI.$("#product-grid");
    if (!products.length) {
      grid.replaceChildren(UI.el("p", { class: "empty", text: I18n.t("catalog.empty") }));
      return;
    }
    grid.replaceChildren(...products.map((p) => {
      const price = p.price_now ?? p.price;
      const unit = p.unit && p.unit !== "pcs" ? " / " + p.unit : "";
      return UI.button([
        UI.el("span", { class: "product-name", text: p.name }),
        UI.el("span", { class: "product-price", text: Fmt.rp(price) + unit }),
      ], { class: "product", data: { sku: p.sku } }, () => tapProduct(p));
    }));
  }

  async function tapProduct(p) {
    if (p.weighed) {
      const qty = await UI.numberDialog({ title: I18n.t("weighed.title", p.name, p.unit || "kg"), label: p.unit || "kg", kind: "qty", id: "weight-input" });
      if (!qty) return;
      addCode(p.sku, qty);
      return;
    }
    addCode(p.sku);
  }

  // ---- Cart ------------------------------------------------------------------

  // mutate runs cart changes one after another, so that quick taps apply in
  // order and the screen shows the till's answer to the last one.
  function mutate(fn, onError = null) {
    queue = queue.then(async () => {
      try {
        const c = await fn();
        if (c && Array.isArray(c.lines)) setCart(c);
        return c;
      } catch (err) {
        if (onError && onError(err)) return undefined;
        handleError(err, () => mutate(fn, onError));
        return undefined;
      } finally {
        UI.Hooks.afterAction();
      }
    });
    return queue;
  }

  function handleError(err, retry) {
    if (err instanceof ApiError && err.code === "no_shift") {
      UI.showError(err);
      Shift.promptOpen();
      return;
    }
    UI.showError(err, retry);
  }

  // scanCode rings up a scanned code. On the sale-complete screen a scan
  // starts the next sale, and a bare Enter closes it.
  function scanCode(code) {
    const top = UI.topModal();
    if (top && top.scan) top.close();
    if (code) addCode(code, undefined, true);
  }

  function addCode(code, qty, scanned = false) {
    const body = { code };
    if (qty !== undefined) body.qty = qty;
    return mutate(async () => {
      const c = await Api.post("/cart/lines", body);
      if (scanned) Beep.ok();
      return c;
    }, (err) => {
      if (scanned && (err.code === "not_found" || err.code === "invalid")) Beep.bad();
      return false;
    });
  }

  function setCart(c) {
    const before = cart;
    cart = c;
    renderCart(changedLine(before, c));
  }

  // changedLine finds the line a change touched, to highlight it.
  function changedLine(a, b) {
    if (!a || !b || a.id !== b.id) return null;
    const old = new Map(a.lines.map((l) => [l.id, l]));
    for (const l of b.lines) {
      const o = old.get(l.id);
      if (!o || o.qty !== l.qty || o.net !== l.net) return l.id;
    }
    return null;
  }

  function renderCart(highlight) {
    const c = cart || { lines: [], total: 0 };
    const list = UI.$("#cart-lines");
    if (!c.lines.length) {
      list.replaceChildren(UI.el("li", { class: "cart-empty", text: I18n.t("cart.empty") }));
    } else {
      list.replaceChildren(...c.lines.map(lineRow));
    }
    UI.$("#cart-count").textContent = c.lines.length ? I18n.t("cart.items", Fmt.qty(c.items || 0)) : "";
    const discount = (c.line_discounts || 0) + (c.order_discount || 0);
    UI.$("#cart-subtotal").textContent = Fmt.rp(c.subtotal || 0);
    UI.$("#cart-discount").textContent = discount ? "-" + Fmt.rp(discount) : Fmt.rp(0);
    UI.$("#cart-discount-row").hidden = !discount;
    UI.$("#cart-total").textContent = Fmt.rp(c.total || 0);
    UI.$("#btn-pay").disabled = !c.lines.length;
    const parked = UI.$("#parked-count");
    parked.textContent = c.parked ? String(c.parked) : "";
    parked.hidden = !c.parked;
    if (highlight !== null && highlight !== undefined) {
      const row = list.querySelector(`.cart-line[data-id="${highlight}"]`);
      if (row) {
        row.classList.add("cart-line-new");
        row.scrollIntoView({ block: "nearest" });
      }
    } else if (c.lines.length && !highlight) {
      list.scrollTop = list.scrollHeight;
    }
  }

  function lineRow(l) {
    const details = [UI.el("span", { class: "line-qty", text: Fmt.qty(l.qty) + (l.unit && l.unit !== "pcs" ? " " + l.unit : "") + " × " + Fmt.rp(l.unit_price) })];
    if (l.discount) {
      const what = l.discount_pct ? Fmt.qty(l.discount_pct) + "%" : Fmt.rp(l.discount);
      details.push(UI.el("span", { class: "line-disc", text: I18n.t("cart.line_discount", what) + " -" + Fmt.rp(l.discount) }));
    }
    if (l.override_by || (l.list_price && l.list_price !== l.unit_price)) {
      details.push(UI.el("span", { class: "line-override", text: I18n.t("cart.override", Fmt.rp(l.list_price)) }));
    }
    const fixed = l.weighed || l.fixed_price;
    return UI.el("li", { class: "cart-line", data: { id: String(l.id) } },
      UI.button([
        UI.el("span", { class: "line-name", text: l.name }),
        UI.el("span", { class: "line-detail" }, details),
      ], { class: "line-main" }, () => lineMenu(l)),
      UI.button("−", { class: "btn btn-qty line-minus", disabled: fixed, "aria-label": I18n.t("cart.less") }, () => stepQty(l, -1)),
      UI.button("+", { class: "btn btn-qty line-plus", disabled: fixed, "aria-label": I18n.t("cart.more") }, () => stepQty(l, +1)),
      UI.el("span", { class: "line-total", text: Fmt.rp((l.gross || 0) - (l.discount || 0)) }),
      UI.button("×", { class: "btn btn-qty line-remove", "aria-label": I18n.t("cart.remove") }, () => removeLine(l)),
    );
  }

  function stepQty(l, d) {
    const qty = Math.max(0, Math.round((l.qty + d) * 1000) / 1000);
    mutate(() => Api.patch("/cart/lines/" + l.id, { qty }));
  }

  function removeLine(l) {
    mutate(() => Api.del("/cart/lines/" + l.id));
  }

  function lineMenu(l) {
    const fixed = l.weighed || l.fixed_price;
    const act = (fn) => () => { m.close(); fn(); };
    const body = UI.el("div", { class: "menu-grid" },
      UI.button(I18n.t("line.qty"), { class: "btn btn-menu", id: "line-qty", disabled: l.fixed_price }, act(() => setQty(l))),
      UI.button(I18n.t("btn.discount"), { class: "btn btn-menu", id: "line-discount" }, act(() => lineDiscount(l))),
      UI.button(I18n.t("line.price"), { class: "btn btn-menu", id: "line-price", disabled: l.fixed_price }, act(() => overridePrice(l))),
      UI.button(I18n.t("line.remove"), { class: "btn btn-menu btn-danger", id: "line-remove" }, act(() => removeLine(l))),
    );
    const info = UI.el("p", { class: "line-info" }, Fmt.qty(l.qty) + " × " + Fmt.rp(l.unit_price) + " = " + Fmt.rp(l.gross), fixed ? " · " + (l.unit || "") : "");
    const m = UI.modal({ title: l.name, cls: "modal-narrow", body: UI.el("div", {}, info, body) });
  }

  async function setQty(l) {
    const qty = await UI.numberDialog({ title: I18n.t("line.qty_title", l.name), label: l.unit || "pcs", kind: "qty", value: Fmt.qty(l.qty), id: "qty-input" });
    if (qty === null) return;
    mutate(() => Api.patch("/cart/lines/" + l.id, { qty }));
  }

  async function overridePrice(l) {
    const price = await UI.numberDialog({ title: I18n.t("line.price_title", l.unit || "pcs"), label: l.name, kind: "amount", value: l.unit_price, id: "price-input" });
    if (price === null) return;
    mutate(() => Api.approved("POST", "/cart/lines/" + l.id + "/price", { price }));
  }

  function lineDiscount(l) {
    discountDialog(l.name, (body) => Api.approved("POST", "/cart/lines/" + l.id + "/discount", body), !!l.discount);
  }

  function orderDiscount() {
    if (!cart || !cart.lines.length) {
      UI.toast(I18n.t("pay.empty_cart"));
      return;
    }
    discountDialog(I18n.t("disc.order_title"), (body) => Api.approved("POST", "/cart/discount", body), !!cart.order_discount);
  }

  // discountDialog asks for a discount as a percentage or an amount, with an
  // optional reason, and sends it through apply (which handles approval).
  function discountDialog(title, apply, hasDiscount) {
    let mode = "percent";
    const pct = UI.qtyField({ id: "discount-percent", label: I18n.t("disc.pct") });
    const amt = UI.amountField({ id: "discount-amount", label: I18n.t("disc.amt") });
    const reason = UI.textField({ id: "discount-reason", label: I18n.t("disc.reason") });
    const target = () => (mode === "percent" ? pct.input : amt.input);
    const toggle = UI.el("div", { class: "segmented" },
      UI.button(I18n.t("disc.pct"), { class: "btn seg seg-on", data: { mode: "percent" } }, () => setMode("percent")),
      UI.button(I18n.t("disc.amt"), { class: "btn seg", data: { mode: "amount" } }, () => setMode("amount")));
    function setMode(m2) {
      mode = m2;
      toggle.querySelectorAll(".seg").forEach((b) => b.classList.toggle("seg-on", b.dataset.mode === mode));
      pct.root.hidden = mode !== "percent";
      amt.root.hidden = mode !== "amount";
      target().focus();
    }
    const send = (body) => {
      m.close();
      mutate(() => apply(body));
    };
    const ok = () => {
      const r = reason.input.value.trim();
      const body = mode === "percent" ? { percent: Fmt.parseQty(pct.input.value) } : { amount: amt.value() };
      const v = mode === "percent" ? body.percent : body.amount;
      if (!v || Number.isNaN(v)) {
        UI.toast(I18n.t("pay.amount_missing"), { kind: "error" });
        return;
      }
      if (r) body.reason = r;
      send(body);
    };
    const actions = [{ label: I18n.t("btn.cancel"), onClick: () => m.close() }];
    if (hasDiscount) actions.push({ label: I18n.t("disc.remove"), cls: "btn-danger", id: "discount-remove", onClick: () => send({ percent: 0 }) });
    actions.push({ label: I18n.t("btn.ok"), cls: "btn-primary", id: "discount-ok", onClick: ok });
    const m = UI.modal({
      title, cls: "modal-keypad",
      body: UI.el("div", { class: "keypad-form" }, toggle, pct.root, amt.root, UI.numPad({ target, decimal: true }), reason.root),
      actions,
    });
    amt.root.hidden = true;
    pct.input.focus();
  }

  // ---- Park, recall, clear ---------------------------------------------------

  async function park() {
    if (!cart || !cart.lines.length) {
      UI.toast(I18n.t("pay.empty_cart"));
      return;
    }
    const note = await UI.textDialog({ title: I18n.t("park.title"), label: I18n.t("park.note"), placeholder: I18n.t("park.note_placeholder"), id: "park-note" });
    if (note === null) return;
    await mutate(async () => {
      const c = await Api.post("/cart/park", { note });
      UI.toast(I18n.t("park.done"), { kind: "ok" });
      return c;
    });
  }

  async function recallList() {
    const data = await UI.run(() => Api.get("/carts/parked"));
    if (!data) return;
    const carts = data.carts || [];
    const tz = (App.config || {}).time_zone;
    const list = UI.el("ul", { class: "pick-list", id: "parked-list" });
    if (!carts.length) list.append(UI.el("li", { class: "empty", text: I18n.t("recall.empty") }));
    for (const p of carts) {
      list.append(UI.el("li", {}, UI.button([
        UI.el("span", { class: "pick-main", text: p.note || Fmt.time(p.parked_at, tz) }),
        UI.el("span", { class: "pick-sub", text: [Fmt.dateTime(p.parked_at, tz), p.user, I18n.t("recall.lines", p.lines)].filter(Boolean).join(" · ") }),
        UI.el("span", { class: "pick-amount", text: Fmt.rp(p.total) }),
      ], { class: "pick", data: { id: p.id } }, () => recall(p.id))));
    }
    const m = UI.modal({ title: I18n.t("recall.title"), cls: "modal-wide", body: list, actions: [{ label: I18n.t("btn.close"), onClick: () => m.close() }] });

    function recall(id) {
      mutate(async () => {
        const c = await Api.post("/carts/" + encodeURIComponent(id) + "/recall", {});
        m.close();
        UI.toast(I18n.t("recall.done"), { kind: "ok" });
        return c;
      });
    }
  }

  async function clearCart() {
    if (!cart || !cart.lines.length) return;
    if (!(await UI.confirm(I18n.t("clear.confirm"), I18n.t("clear.yes")))) return;
    mutate(() => Api.del("/cart"));
  }

  function rerender() {
    renderProducts();
    renderCart(null);
  }

  return {
    init, load, refreshCart, rerender, setCart, scanCode,
    get cart() { return cart; },
  };
})();
