"use strict";
// status.js: the strip at the top that always tells the cashier how the till
// is doing: connection, unsynced sales and their age, printer, catalog,
// shift, user and clock.
//
// Status arrives through a source. Today that is polling GET /api/v1/status
// every 5 s; a later server-sent-events source only has to call
// Status.update(status) on each event and Status.unreachable() on error.

const Status = (() => {
  let last = null; // the last status the till sent
  let reachable = true;
  let user = null;
  let source = null;

  function item(cls, text, title) {
    return UI.el("span", { class: "st " + cls, title: title || null }, text);
  }

  function devState(d) {
    if (!d || !d.state) return "";
    const key = "dev." + d.state;
    const text = I18n.t(key);
    return text === key ? d.state : text;
  }

  // ackItem says when head office last acknowledged this till's records,
  // measured against the till's own clock when the status carries it.
  // On a crowded strip it switches to a shorter text (data-short).
  function ackItem(s) {
    const at = s.last_ack ? Date.parse(s.last_ack) : NaN;
    let e;
    if (!(at > 0)) {
      // A missing, empty, unreadable or zero time (0001-01-01) means never.
      e = item("st-ack st-dim", I18n.t("st.ack_never"), I18n.t("st.ack_never"));
      e.dataset.short = I18n.t("st.ack_short", "–");
      return e;
    }
    const now = Date.parse(s.time) || Date.now();
    const secs = Math.max(0, (now - at) / 1000);
    const tz = (App.config || {}).time_zone || s.time_zone;
    e = item("st-ack", secs < 60 ? I18n.t("st.ack_now") : I18n.t("st.ack", Fmt.age(secs)), I18n.t("st.ack_title", Fmt.dateTime(s.last_ack, tz)));
    e.dataset.short = I18n.t("st.ack_short", secs < 60 ? I18n.t("age.now") : Fmt.age(secs));
    return e;
  }

  // fit makes the ack give way when the strip is still too wide after the
  // till code and catalog have shrunk: a shorter text, then truncation.
  function fit(strip) {
    const ack = strip.querySelector(".st-ack");
    if (!ack || strip.scrollWidth <= strip.clientWidth) return;
    ack.textContent = ack.dataset.short;
    if (strip.scrollWidth > strip.clientWidth) ack.classList.add("st-shrink");
  }

  function render() {
    const strip = UI.$("#status-strip");
    const cfg = App.config || {};
    const out = [];
    const s = last || {};
    const code = [s.store || cfg.store, s.till || cfg.till].filter(Boolean).join(" · ");
    if (code) out.push(item("st-till", code, code));

    if (!reachable) {
      out.push(item("st-conn st-bad", "● " + I18n.t("st.no_till")));
    } else if (last) {
      out.push(item("st-conn " + (s.online ? "st-on" : "st-off"), "● " + I18n.t(s.online ? "st.online" : "st.offline")));
      const level = ["ok", "amber", "red"].includes(s.sync_level) ? s.sync_level : "ok";
      const dbOK = !s.database || s.database === "ok";
      if (s.unsynced > 0) {
        out.push(item("st-sync sync-" + level, I18n.t("st.unsynced", s.unsynced, Fmt.age(s.oldest_unsynced_seconds))));
      } else if (dbOK) {
        out.push(item("st-sync sync-" + level, I18n.t("st.synced")));
      } else {
        // The database could not be read: whether everything was sent is unknown.
        out.push(item("st-sync st-warn", I18n.t("st.sync_unknown"), I18n.t("st.sync_unknown_title")));
      }
      if (dbOK || s.last_ack) out.push(ackItem(s));
      if (s.printer) {
        const ok = s.printer.state === "ok";
        out.push(item("st-printer" + (ok ? "" : " st-warn"), I18n.t("st.printer") + (ok ? " " : ": ") + devState(s.printer), s.printer.detail || s.printer.name));
      }
      const q = s.print_queue;
      if (q && q.pending > 0) {
        // Receipts that wait for the printer: they print by themselves.
        out.push(item("st-print-queue st-warn", I18n.t("st.print_queue", q.pending), q.last_error || ""));
      }
      if (s.drawer && s.drawer.state && s.drawer.state !== "ok") {
        out.push(item("st-drawer st-warn", I18n.t("st.drawer") + ": " + devState(s.drawer), s.drawer.detail || s.drawer.name));
      }
      for (const d of s.devices || []) {
        // A pole display or scanner that is missing or unplugged: the till
        // sells on, the strip says which.
        if (d.state !== "ok") out.push(item("st-device st-warn", d.name + ": " + devState(d), d.detail || d.name));
      }
      if (s.catalog) {
        const key = s.catalog.stale ? "st.catalog_stale" : "st.catalog";
        const text = I18n.t(key, s.catalog.version || "–", Fmt.age(s.catalog.age_seconds));
        out.push(item("st-catalog" + (s.catalog.stale ? " st-warn" : ""), text, text));
      }
      out.push(item("st-shift" + (s.shift_open ? "" : " st-dim"), I18n.t(s.shift_open ? "st.shift_open" : "st.shift_closed")));
      if (s.clock_behind) out.push(item("st-clock-behind st-warn", I18n.t("st.clock_behind")));
      if (s.clock_untrusted) out.push(item("st-clock-untrusted st-warn", I18n.t("st.clock_untrusted")));
      if (s.database && s.database !== "ok") out.push(item("st-db st-bad", I18n.t("st.database", s.database)));
    }
    const right = UI.el("span", { class: "st-right" });
    if (user) right.append(item("st-user", user.name || user.id));
    right.append(item("st-time", Fmt.clock(new Date(), cfg.time_zone)));
    strip.replaceChildren(...out, right);
    fit(strip);
    // A till that must not sell (damaged database) says so over everything.
    const fatal = UI.$("#fatal");
    const blocked = reachable && s.database && s.database !== "ok" && s.message;
    fatal.hidden = !blocked;
    if (blocked) fatal.textContent = s.message;
    strip.classList.toggle("strip-red", reachable && s.sync_level === "red");
  }

  // update takes a status from whatever source delivers it.
  function update(s) {
    last = s;
    reachable = true;
    render();
  }

  function unreachable() {
    reachable = false;
    render();
  }

  // pollingSource fetches the status every interval ms. It returns a stop
  // function, like an EventSource's close.
  function pollingSource(interval) {
    let timer = 0;
    let stopped = false;
    async function tick() {
      try {
        update(await Api.get("/status"));
      } catch {
        unreachable();
      }
      if (!stopped) timer = setTimeout(tick, interval);
    }
    tick();
    return () => { stopped = true; clearTimeout(timer); };
  }

  // eventSource follows the till's server-sent events: the strip changes
  // the moment the till goes offline or a sale is acknowledged. The browser
  // reconnects by itself; while it cannot, the strip says so.
  function eventSource() {
    const es = new EventSource("/api/v1/events");
    es.addEventListener("status", (ev) => {
      try { update(JSON.parse(ev.data)); } catch { /* a torn event: the next one comes */ }
    });
    // A serial barcode scanner's codes come over the same channel and take
    // the same path as the keyboard-wedge field.
    es.addEventListener("scan", (ev) => {
      let code = "";
      try { code = JSON.parse(ev.data).code; } catch { return; }
      if (code && scanHandler) scanHandler(code);
    });
    es.onerror = () => { if (es.readyState !== EventSource.OPEN) unreachable(); };
    return () => es.close();
  }

  function start() {
    if (!source) source = typeof EventSource === "function" ? eventSource() : pollingSource(5000);
    // The clock ticks on its own so that it never looks frozen.
    setInterval(render, 15000);
  }

  // refresh asks for a fresh status now (after a sale, a shift change…).
  async function refresh() {
    try {
      update(await Api.get("/status"));
    } catch {
      unreachable();
    }
  }

  let scanHandler = null;

  return {
    start, update, unreachable, refresh, render,
    onScan(fn) { scanHandler = fn; },
    setUser(u) { user = u; render(); },
    get current() { return last; },
  };
})();
