'use strict';
const KINDS = {sale: 'penjualan', void: 'pembatalan', refund: 'retur'};
const form = document.getElementById('q');
const params = new URLSearchParams(location.search);
for (const k of ['store', 'till', 'day', 'kind']) if (params.get(k)) form.elements[k].value = params.get(k);
if (!form.elements.day.value) {
  // Today in WIB, the default zone of a store.
  form.elements.day.value = new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10);
}

// reconcile: a sale paid by static QRIS that only the cashier confirmed,
// to match against the acquirer's settlement.
const reconcile = r => !!(r.doc && r.doc.reconcile);

async function load() {
  const q = new URLSearchParams();
  for (const k of ['store', 'till', 'day', 'kind']) if (form.elements[k].value) q.set(k, form.elements[k].value);
  history.replaceState(null, '', '/sales?' + q);
  try {
    const rows = await getJSON('/api/v1/sales?' + q);
    const per = {};
    for (const r of rows) {
      const s = per[r.store] || (per[r.store] = {n: 0, net: 0});
      s.n++;
      s.net += r.kind === 'sale' ? r.total : -r.total;
    }
    document.getElementById('stores').replaceChildren(...Object.entries(per).map(([store, s]) =>
      el('div', {}, el('span', {class: 'muted'}, `${store} · ${s.n} dokumen`), el('b', {}, rupiah(s.net)))));
    document.getElementById('rows').replaceChildren(...(rows.length ? rows.map(r => el('tr', {},
      el('td', {}, r.time.slice(11, 19)), el('td', {}, r.store), el('td', {}, r.till),
      el('td', {}, r.number), el('td', {class: r.kind === 'sale' && !reconcile(r) ? '' : 'warn'},
        KINDS[r.kind] || r.kind, reconcile(r) ? ' · ' : null,
        reconcile(r) ? el('a', {href: '/qris?' + new URLSearchParams({store: r.store, from: r.day, to: r.day, state: 'all'})}, 'cek QRIS') : null),
      el('td', {}, r.user || ''), el('td', {}, r.ref || ''),
      el('td', {class: 'num'}, rupiah(r.kind === 'sale' ? r.total : -r.total)))) :
      [el('tr', {}, el('td', {colspan: 8, class: 'muted'}, 'Tidak ada penjualan pada tanggal ini.'))]));
    document.getElementById('updated').textContent = rows.length + ' dokumen';
    showError('');
  } catch (e) {
    showError(e.message);
  }
}
form.addEventListener('submit', ev => { ev.preventDefault(); load(); });
load();
