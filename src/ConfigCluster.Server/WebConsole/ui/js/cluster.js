// Cluster: members with role, term, indexes, lag and health (as the serving node sees them),
// leader transfer and membership changes for admins, and a chart of write rate and apply lag
// read from /metrics.
import { api, ApiError } from './api.js';
import { confirmDialog, h, mount, toast } from './dom.js';

const SAMPLES = 60;

export function clusterPage(root, args, caps) {
  const summary = h('p', { id: 'cluster-summary', class: 'summary', role: 'status', 'aria-live': 'polite' });
  const members = h('div', { id: 'members' });
  const admin = h('div', { id: 'cluster-admin' });
  const charts = h('div', { id: 'charts', class: 'charts' });
  const samples = [];
  let timer = 0;
  let disposed = false;
  let status = null;

  mount(root, h('h1', null, 'Cluster'), summary, members, admin, caps.metrics ? charts : null);

  async function poll() {
    const answer = await api('GET', '/cluster/status', { expect: [403, 503] });
    if (disposed) return;
    if (answer instanceof ApiError) summary.textContent = answer.message;
    else { status = answer; render(); }
    if (caps.metrics) await sample();
    if (!disposed) timer = setTimeout(poll, 1000);
  }

  function render() {
    const s = status;
    const leader = s.leaderId ?? null;
    summary.textContent = leader ? `Leader: ${leader} · term ${s.term} · served by ${s.nodeId} (${s.role})` : `No leader · term ${s.term} · served by ${s.nodeId} (${s.role})`;
    summary.dataset.leader = leader ?? '';
    const lag = (s.commitIndex ?? 0) - (s.appliedIndex ?? 0);
    const rows = (s.members ?? []).map(m => {
      const local = m.nodeId === s.nodeId;
      return h('tr', { dataset: { node: m.nodeId ?? m.raft, healthy: String(m.healthy) }, class: m.healthy ? '' : 'unhealthy' },
        h('th', { scope: 'row' }, m.nodeId ?? '?', local ? h('span', { class: 'badge' }, 'this node') : null),
        h('td', { class: 'role' }, m.leader ? 'leader' : local ? s.role : 'follower'),
        h('td', { class: 'health' }, m.healthy ? h('span', { class: 'ok' }, 'healthy') : h('span', { class: 'bad' }, 'unhealthy')),
        h('td', null, local ? s.term : '—'),
        h('td', null, local ? s.commitIndex : '—'),
        h('td', null, local ? s.appliedIndex : '—'),
        h('td', null, local ? lag : '—'),
        h('td', null, h('code', null, m.raft)),
        h('td', null, m.http ? h('a', { href: `${m.http}/ui/` }, m.http) : ''),
        caps.admin ? h('td', null, m.leader ? null : h('button', { type: 'button', class: 'transfer', dataset: { node: m.nodeId }, onclick: () => transfer(m.nodeId) }, 'Make leader'),
          h('button', { type: 'button', class: 'danger remove', dataset: { node: m.nodeId }, onclick: () => remove(m.nodeId) }, 'Remove')) : null);
    });
    mount(members, h('table', { class: 'grid', id: 'member-table' },
      h('thead', null, h('tr', null, ['Node', 'Role', 'Health', 'Term', 'Commit', 'Applied', 'Apply lag', 'Raft', 'HTTP', caps.admin ? 'Actions' : null].filter(Boolean).map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows)),
    h('p', { class: 'help' }, 'Term and indexes are this node\'s; health is as this node sees each member.'));
    if (caps.admin && !admin.childElementCount) renderAdmin();
  }

  function renderAdmin() {
    const raft = h('input', { id: 'member-raft', placeholder: 'HOST:PORT', autocomplete: 'off', required: true });
    mount(admin, h('form', { class: 'toolbar', onsubmit: async event => {
      event.preventDefault();
      const answer = await api('POST', '/cluster/members', { body: { raft: raft.value.trim() }, expect: [400, 409, 503, 504] });
      if (answer instanceof ApiError) return toast(answer.message);
      toast(`Added ${raft.value.trim()}`, 'ok');
      raft.value = '';
    } }, h('label', { for: 'member-raft' }, 'Add member (Raft address of a node started with --join)'), raft, h('button', { type: 'submit' }, 'Add member'),
    h('button', { type: 'button', id: 'transfer-any', onclick: () => transfer(null) }, 'Transfer leadership')));
  }

  async function transfer(to) {
    if (!await confirmDialog('Transfer leadership', to ? `Make ${to} the leader?` : 'Hand leadership to another member?', 'Transfer')) return;
    const answer = await api('POST', '/cluster/leader/transfer', { query: { to }, expect: [400, 409, 503] });
    if (answer instanceof ApiError) return toast(answer.message);
    toast(`Leader: ${answer.leader} (term ${answer.term})`, 'ok');
  }

  async function remove(nodeId) {
    if (!await confirmDialog('Remove member', `Remove ${nodeId} from the cluster? It stops voting and receiving the log.`, 'Remove')) return;
    const answer = await api('DELETE', `/cluster/members/${encodeURIComponent(nodeId)}`, { expect: [400, 404, 409, 503] });
    if (answer instanceof ApiError) return toast(answer.message);
    toast(`Removed ${nodeId}`, 'ok');
  }

  async function sample() {
    const text = await api('GET', '/metrics', { text: true, expect: [403, 404] });
    if (text instanceof ApiError || disposed) return;
    const read = name => {
      const line = text.split('\n').find(l => l.startsWith(name + ' ') || l.startsWith(name + '{'));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
    };
    const now = performance.now();
    samples.push({ t: now, revision: read('configcluster_store_revision'), lag: read('configcluster_raft_apply_lag') });
    if (samples.length > SAMPLES) samples.shift();
    const rates = samples.slice(1).map((s, i) => Math.max(0, (s.revision - samples[i].revision) / ((s.t - samples[i].t) / 1000)));
    mount(charts,
      chart('Writes/s (revisions applied here)', rates, 'chart-writes'),
      chart('Apply lag (committed, not applied)', samples.map(s => s.lag), 'chart-lag'));
  }

  function chart(title, values, id) {
    const ns = 'http://www.w3.org/2000/svg';
    const width = 300;
    const height = 80;
    const finite = values.filter(Number.isFinite);
    const max = Math.max(1, ...finite);
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `${title}: latest ${finite.at(-1)?.toFixed(1) ?? 'n/a'}`);
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', finite.map((v, i) => `${(i / (SAMPLES - 1)) * width},${height - (v / max) * (height - 4) - 2}`).join(' '));
    line.setAttribute('class', 'line');
    svg.append(line);
    return h('figure', { class: 'chart', id },
      h('figcaption', null, title, ': ', h('strong', null, finite.length ? finite.at(-1).toFixed(1) : '—'), ` (max ${max.toFixed(1)})`), svg);
  }

  poll();
  return { dispose() { disposed = true; clearTimeout(timer); } };
}
