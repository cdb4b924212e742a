'use strict';
// Shared by the head-office pages: DOM building without innerHTML (every
// value comes from a till and is shown as text), rupiah and age formatting.
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k instanceof Node ? k : String(k));
  return e;
}
function rupiah(n) {
  const s = Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return (n < 0 ? '-Rp ' : 'Rp ') + s;
}
function age(sec) {
  if (sec == null) return '–';
  if (sec < 60) return sec + ' dtk lalu';
  if (sec < 3600) return Math.floor(sec / 60) + ' mnt lalu';
  if (sec < 86400) return Math.floor(sec / 3600) + ' jam ' + Math.floor(sec % 3600 / 60) + ' mnt lalu';
  return Math.floor(sec / 86400) + ' hari ' + Math.floor(sec % 86400 / 3600) + ' jam lalu';
}
async function getJSON(url) {
  const r = await fetch(url, {headers: {'Accept': 'application/json'}});
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + r.status));
  return body;
}
function showError(msg) {
  const e = document.getElementById('error');
  e.textContent = msg || '';
  e.classList.toggle('hidden', !msg);
}
