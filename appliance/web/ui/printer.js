"use strict";
// printer.js: the virtual printer page. It shows what GET /api/v1/printer
// says was printed, newest first, and looks again every 3 seconds.

const Printer = (() => {
  let shown = ""; // ids of the receipts on screen, to redraw only on change
  let timeZone = "Asia/Jakarta";
  const seen = new Set();

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function setState(text, bad = false) {
    const s = document.getElementById("printer-state");
    s.textContent = text;
    s.classList.toggle("state-bad", bad);
  }

  function message(text) {
    shown = "";
    document.getElementById("paper-roll").replaceChildren(el("p", "message", text));
  }

  function draw(receipts) {
    const key = receipts.map((r) => r.id).join(",");
    if (key === shown) return;
    shown = key;
    const roll = document.getElementById("paper-roll");
    if (!receipts.length) {
      message(I18n.t("printer.empty"));
      return;
    }
    const first = seen.size === 0;
    roll.replaceChildren(...receipts.map((r) => {
      const paper = el("article", "paper" + (first || seen.has(r.id) ? "" : " paper-new"));
      const head = el("div", "paper-head");
      head.append(el("span", "", r.title || ""), el("span", "", Fmt.dateTime(r.time, timeZone)));
      paper.append(head, el("pre", "paper-text", r.text || ""));
      seen.add(r.id);
      return paper;
    }));
  }

  async function poll() {
    try {
      const res = await fetch("/api/v1/printer", {
        credentials: "same-origin", cache: "no-store",
        headers: { Accept: "application/json", "Accept-Language": I18n.lang() },
      });
      const data = await res.json().catch(() => null);
      if (res.status === 401) {
        message(I18n.t("printer.login"));
        setState("");
      } else if (!res.ok) {
        setState((data && data.error && data.error.message) || I18n.t("err.http", res.status), true);
      } else {
        draw((data && data.receipts) || []);
        setState(I18n.t("printer.updated", Fmt.time(new Date().toISOString(), timeZone)));
      }
    } catch {
      setState(I18n.t("st.no_till"), true);
    }
    setTimeout(poll, 3000);
  }

  // loadZone takes the shop's time zone from the till's config, so that times
  // read as they do on the receipts.
  async function loadZone() {
    try {
      const res = await fetch("/api/v1/config", { credentials: "same-origin", headers: { Accept: "application/json" } });
      const cfg = await res.json();
      if (cfg && cfg.time_zone) timeZone = cfg.time_zone;
    } catch {
      // Jakarta time until the till answers.
    }
  }

  async function start() {
    I18n.apply(document);
    document.title = I18n.t("printer.title") + " · Kasir";
    await loadZone();
    poll();
  }

  return { start };
})();

document.addEventListener("DOMContentLoaded", () => Printer.start());
