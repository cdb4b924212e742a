'use strict';
// Unsynced age thresholds as the till's status strip uses them by default.
const AMBER = 4 * 3600, RED = 24 * 3600;

function row(t) {
  const versions = [t.software || '–', t.catalog_version || '–', t.config_version || '–'].join(' · ');
  let rej = el('span', {class: 'muted'}, '–');
  if (t.last_rejection) {
    const r = t.last_rejection;
    rej = el('span', {class: 'bad'}, `${r.kind} v${r.version}: ${r.reason || 'ditolak'}`);
  }
  const gap = t.gap ? el('span', {class: 'bad'}, `seq ${t.gap.from}–${t.gap.to} hilang (${t.pending} tertahan)`) : el('span', {class: 'muted'}, '–');
  const oldest = t.oldest_unsynced_seconds;
  const oldCls = oldest == null ? 'muted' : oldest >= RED ? 'bad' : oldest >= AMBER ? 'warn' : '';
  return el('tr', {},
    el('td', {}, t.store), el('td', {}, t.till),
    el('td', {class: 'nowrap'}, el('span', {class: 'dot ' + (t.online ? 'on' : 'off')}), t.online ? 'online' : 'offline'),
    el('td', {}, age(t.last_seen_seconds)),
    el('td', {class: 'num'}, t.acked_seq),
    el('td', {class: 'num'}, t.reported_backlog),
    el('td', {class: oldCls}, oldest == null ? '–' : age(oldest)),
    el('td', {}, versions), el('td', {}, rej), el('td', {}, gap));
}

async function refresh() {
  try {
    const tills = await getJSON('/api/v1/fleet');
    const body = document.getElementById('tills');
    body.replaceChildren(...(tills.length ? tills.map(row) : [el('tr', {}, el('td', {colspan: 10, class: 'muted'}, 'Belum ada kasir.'))]));
    document.getElementById('n-tills').textContent = tills.length;
    document.getElementById('n-online').textContent = tills.filter(t => t.online).length;
    document.getElementById('n-backlog').textContent = tills.reduce((s, t) => s + (t.reported_backlog || 0), 0);
    document.getElementById('n-gaps').textContent = tills.filter(t => t.gap).length;
    document.getElementById('updated').textContent = 'diperbarui ' + new Date().toLocaleTimeString('id-ID');
    showError('');
  } catch (e) {
    showError('Gagal memuat data armada: ' + e.message);
  }
}
refresh();
setInterval(refresh, 5000);
