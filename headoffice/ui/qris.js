'use strict';
const KIND = {static: 'QRIS statis', late: 'QRIS terlambat'};
const STATE = {open: 'terbuka', done: 'selesai'};
const DECISION = {refunded: 'dikembalikan', attached: 'dilampirkan ke'};
const form = document.getElementById('q');
const params = new URLSearchParams(location.search);
for (const k of ['store', 'from', 'to', 'state']) if (params.get(k)) form.elements[k].value = params.get(k);
form.elements.by.value = localStorage.getItem('kasir-hq-by') || '';

const when = t => t ? t.slice(0, 10) + ' ' + t.slice(11, 19) : '';

function status(r) {
  if (r.ack) {
    return el('span', {}, 'kasir: ' + (DECISION[r.ack.decision] || r.ack.decision) + (r.ack.sale ? ' ' + r.ack.sale : '') +
      ' · ' + r.ack.supervisor_name + ' · ' + when(r.ack.time));
  }
  if (r.checked_at) return el('span', {}, (r.kind === 'static' ? 'dicek ' : 'diselesaikan ') + r.checked_by + ' · ' + when(r.checked_at));
  return el('span', {class: 'warn'}, STATE.open);
}

async function mark(r) {
  const by = form.elements.by.value.trim();
  if (!by) { showError('Isi nama pemeriksa dulu.'); return; }
  localStorage.setItem('kasir-hq-by', by);
  try {
    const resp = await fetch('/api/v1/qris/reconcile/mark', {method: 'POST',
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json'}, body: JSON.stringify({id: r.id, by})});
    const body = await resp.json().catch(() => null);
    if (!resp.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + resp.status));
    load();
  } catch (e) {
    showError(e.message);
  }
}

async function load() {
  const q = new URLSearchParams();
  for (const k of ['store', 'from', 'to', 'state']) if (form.elements[k].value) q.set(k, form.elements[k].value);
  history.replaceState(null, '', '/qris?' + q);
  try {
    const rep = await getJSON('/api/v1/qris/reconcile?' + q);
    const tot = [];
    for (const kind of ['static', 'late']) for (const st of ['open', 'done']) {
      const t = rep.totals[kind][st];
      tot.push(el('div', {}, el('span', {class: 'muted'}, `${KIND[kind]} · ${STATE[st]} · ${t.count}`), el('b', {}, rupiah(t.amount))));
    }
    document.getElementById('totals').replaceChildren(...tot);
    const rows = [];
    let group = '';
    for (const r of rep.items) {
      if (r.store + '/' + r.till !== group) {
        group = r.store + '/' + r.till;
        rows.push(el('tr', {}, el('th', {colspan: 8}, `Toko ${r.store} · Kasir ${r.till}`)));
      }
      const open = r.state === 'open';
      rows.push(el('tr', {},
        el('td', {class: r.kind === 'late' ? 'warn' : ''}, KIND[r.kind] || r.kind),
        el('td', {class: 'nowrap'}, when(r.time)),
        el('td', {}, r.kind === 'static' ? r.number : (r.charge_id || '')),
        el('td', {}, r.reference || ''), el('td', {}, r.user || ''),
        el('td', {class: 'num'}, rupiah(r.amount)), el('td', {}, status(r)),
        el('td', {}, open ? (() => {
          const b = el('button', {type: 'button'}, r.kind === 'static' ? 'Tandai dicek' : 'Tandai selesai');
          b.addEventListener('click', () => mark(r));
          return b;
        })() : null)));
    }
    document.getElementById('rows').replaceChildren(...(rows.length ? rows :
      [el('tr', {}, el('td', {colspan: 8, class: 'muted'}, 'Tidak ada pembayaran QRIS untuk diperiksa.'))]));
    document.getElementById('updated').textContent = rep.items.length + ' pembayaran' + (rep.truncated ? ' (terpotong)' : '');
    showError('');
  } catch (e) {
    showError(e.message);
  }
}
form.addEventListener('submit', ev => { ev.preventDefault(); load(); });
load();
