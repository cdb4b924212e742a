"use strict";
// app.js: starts the till screen, logs the cashier in and out, and holds the
// menu. The screens themselves live in sale.js, pay.js, shift.js and sales.js.

const App = (() => {
  let screen = "boot"; // "login" or "sale"
  let config = null;
  let user = null;
  let loginPad = null;
  let lockTimer = 0;

  async function boot() {
    // A till without users, or without its provisioning, needs the
    // technician's setup screen first: nobody could log in here.
    try {
      const st = await Api.get("/setup");
      if (st && (st.mode === "first_user" || st.mode === "provision")) {
        location.replace("/setup");
        return;
      }
    } catch {
      // No setup endpoint (an older till) or no answer: carry on.
    }
    I18n.apply(document);
    Api.setSessionLost(sessionLost);
    Sale.init();
    Status.start();
    // Codes from a serial scanner ring up only while a cashier is logged in.
    Status.onScan((code) => { if (user && screen === "sale") Sale.scanCode(code); });
    loadConfig();
    try {
      const me = await Api.request("GET", "/me", undefined, { session: false });
      startSession((me && me.user) || me);
    } catch (err) {
      if (err.code === "network") UI.showError(err, () => location.reload());
      showLogin();
    }
  }

  // loadConfig fetches what the screen needs to know about the till (payment
  // methods, rounding, time zone) and keeps trying until it has it.
  async function loadConfig() {
    try {
      config = await Api.get("/config");
      document.title = (config.store_name ? config.store_name + " · " : "") + I18n.t("app.title");
      const name = UI.$("#login-store");
      if (name) name.textContent = config.store_name || "";
      Status.render();
    } catch {
      setTimeout(loadConfig, 10000);
    }
  }

  function show(name) {
    screen = name;
    UI.$("#screen-login").hidden = name !== "login";
    UI.$("#screen-sale").hidden = name !== "sale";
  }

  // ---- Login -----------------------------------------------------------------

  function showLogin() {
    UI.closeAll();
    user = null;
    Status.setUser(null);
    show("login");
    if (loginPad) loginPad.destroy();
    loginPad = UI.pinPad({ id: "pin-pad", okId: "pin-ok", onSubmit: login });
    UI.$("#login-pad").replaceChildren(loginPad.root);
    if (document.activeElement) document.activeElement.blur();
  }

  async function login(pin) {
    clearInterval(lockTimer);
    try {
      const res = await Api.request("POST", "/login", { pin }, { session: false });
      loginPad.destroy();
      loginPad = null;
      UI.$("#login-pad").replaceChildren();
      startSession(res && res.user);
    } catch (err) {
      loginPad.error(err instanceof ApiError ? err.message : I18n.t("err.unexpected"));
      if (err instanceof ApiError && err.code === "locked" && err.retryAfter) countdown(err.message, err.retryAfter);
    }
  }

  // countdown shows how long the lockout still lasts, to the second.
  function countdown(message, seconds) {
    const until = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      if (loginPad) loginPad.message(message + " " + I18n.t("locked.retry", Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0")));
      if (!left) {
        clearInterval(lockTimer);
        if (loginPad) loginPad.message("");
      }
    };
    tick();
    lockTimer = setInterval(tick, 1000);
  }

  function startSession(u) {
    user = u || null;
    Status.setUser(user);
    show("sale");
    Sale.load();
    Shift.check();
    Status.refresh();
    Scan.focus();
  }

  function sessionLost() {
    if (screen !== "sale") return;
    showLogin();
    UI.toast(I18n.t("err.session"), { kind: "info" });
  }

  async function logout() {
    try {
      await Api.post("/logout", {});
    } catch (err) {
      if (err.code === "network") {
        UI.showError(err, logout);
        return;
      }
    }
    showLogin();
  }

  // ---- Menu ------------------------------------------------------------------

  function menu() {
    const s = Status.current;
    const shiftOpen = !s || s.shift_open !== false;
    const item = (key, id, fn, cls = "") => UI.button(I18n.t(key), { class: "btn btn-menu " + cls, id }, () => { m.close(); fn(); });
    const shiftItems = shiftOpen
      ? [item("menu.cash_in", "menu-cash-in", () => Shift.cashMove("in")),
        item("menu.cash_out", "menu-cash-out", () => Shift.cashMove("out")),
        item("menu.x", "menu-x", Shift.xReport),
        item("menu.close_shift", "menu-close-shift", Shift.close, "btn-danger")]
      : [item("menu.open_shift", "menu-open-shift", Shift.promptOpen, "btn-primary")];
    const printer = UI.el("a", { class: "btn btn-menu", id: "menu-printer", href: "/printer" }, I18n.t("menu.printer"));
    const m = UI.modal({
      title: I18n.t("menu.title"), cls: "modal-wide", id: "menu",
      body: UI.el("div", { class: "menu" },
        UI.el("h3", { class: "menu-section", text: I18n.t("menu.shift") }),
        UI.el("div", { class: "menu-grid" }, shiftItems),
        UI.el("h3", { class: "menu-section", text: I18n.t("menu.sales") }),
        UI.el("div", { class: "menu-grid" },
          item("menu.sales", "menu-sales", Sales.open),
          item("menu.reprint", "menu-reprint", Sales.reprintLast),
          item("menu.drawer", "menu-drawer", openDrawer)),
        UI.el("h3", { class: "menu-section", text: I18n.t("menu.other") }),
        UI.el("div", { class: "menu-grid" },
          printer,
          item("menu.lang", "menu-lang", toggleLanguage),
          item("menu.logout", "menu-logout", logout),
          ...demoItems(item, s))),
    });
  }

  // demoItems: in demo mode the link to head office can be cut and restored,
  // to watch the backlog grow while selling goes on, and then drain.
  function demoItems(item, s) {
    if (!(App.config && App.config.demo_uplink)) return [];
    const online = s && s.online;
    return [item(online ? "menu.uplink_off" : "menu.uplink_on", "menu-demo-uplink", async () => {
      await UI.run(() => Api.post("/demo/uplink", { enabled: !online }));
      Status.refresh();
    })];
  }

  async function openDrawer() {
    const reason = await UI.textDialog({ title: I18n.t("drawer.title"), label: I18n.t("drawer.reason"), placeholder: I18n.t("drawer.reason_placeholder"), required: true, id: "drawer-reason" });
    if (reason === null) return;
    const ok = await UI.run(() => Api.approved("POST", "/drawer/open", { reason }));
    if (ok !== undefined) UI.toast(I18n.t("drawer.done"), { kind: "ok" });
  }

  function toggleLanguage() {
    I18n.setLang(I18n.lang() === "en" ? "id" : "en");
    Status.render();
    Sale.rerender();
    Sale.load(); // product names stay, but server messages now come in the new language
  }

  return {
    boot, menu,
    get screen() { return screen; },
    get config() { return config; },
    get user() { return user; },
  };
})();

document.addEventListener("DOMContentLoaded", () => App.boot());
