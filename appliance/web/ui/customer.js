"use strict";
// customer.js: the customer-facing screen. It follows GET
// /api/v1/customer/events: the items as the cashier scans them with the
// total, the QRIS code while the customer pays by QRIS, then what was paid
// and the change, and a greeting when idle.

const Customer = (() => {
  const $ = (id) => document.getElementById(id);

  function show(which) {
    for (const s of ["idle", "cart", "paying", "paid"]) $("cust-" + s).hidden = s !== which;
  }

  function line(l) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = l.name;
    const qty = document.createElement("span");
    qty.className = "qty";
    qty.textContent = Fmt.qty(l.qty) + " × " + Fmt.plain(l.unit_price);
    const net = document.createElement("span");
    net.className = "net";
    net.textContent = Fmt.plain(l.net);
    li.append(name, qty, net);
    return li;
  }

  function render(v) {
    $("cust-store").textContent = v.store_name || "";
    $("cust-offline").hidden = true;
    if (v.state === "cart") {
      const list = $("cust-lines");
      list.replaceChildren(...v.lines.map(line));
      list.scrollTop = list.scrollHeight;
      $("cust-last").textContent = v.last ? v.last.name + "  " + Fmt.rp(v.last.net) : "";
      $("cust-total").textContent = Fmt.rp(v.total);
      show("cart");
    } else if (v.state === "paying" && v.qr_svg) {
      const qr = $("cust-qr");
      if (qr.dataset.payload !== v.qr) {
        qr.innerHTML = v.qr_svg; // drawn by the till from the payload: no outside markup
        qr.dataset.payload = v.qr;
      }
      $("cust-qr-amount").textContent = Fmt.rp(v.qr_amount);
      show("paying");
    } else if (v.state === "paid") {
      $("cust-paid-total").textContent = Fmt.rp(v.total);
      $("cust-paid-amount").textContent = Fmt.rp(v.paid);
      $("cust-change").textContent = Fmt.rp(v.change);
      show("paid");
    } else {
      show("idle");
    }
  }

  function start() {
    I18n.apply(document);
    const es = new EventSource("/api/v1/customer/events");
    es.addEventListener("customer", (ev) => {
      try { render(JSON.parse(ev.data)); } catch { /* a torn event: the next one comes */ }
    });
    es.onerror = () => { if (es.readyState !== EventSource.OPEN) $("cust-offline").hidden = false; };
  }

  return { start, render };
})();

document.addEventListener("DOMContentLoaded", Customer.start);
