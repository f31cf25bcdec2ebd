// Environments: a side-by-side diff of two environments' effective views, and promote of a
// prefix from one to the other after a preview of the change-set.
import { api, ApiError } from './api.js';
import { confirmDialog, h, mount, pretty, toast } from './dom.js';

export function environmentsPage(root) {
  const field = (id, label, value) => [h('label', { for: id }, label), h('input', { id, value, autocomplete: 'off', spellcheck: 'false', list: id === 'diff-from-env' || id === 'diff-to-env' ? 'env-names' : null })];
  const [nsLabel, ns] = field('diff-ns', 'Namespace', 'default');
  const [fromLabel, from] = field('diff-from-env', 'From', 'staging');
  const [toLabel, to] = field('diff-to-env', 'To', 'prod');
  const [prefixLabel, prefix] = field('diff-prefix', 'Prefix', '');
  const out = h('div', { id: 'env-diff' });
  let last = null;

  async function compare() {
    const query = { ns: ns.value.trim(), from: from.value.trim(), to: to.value.trim(), prefix: prefix.value.trim() };
    const diff = await api('GET', '/diff', { query, expect: [400, 403] });
    if (diff instanceof ApiError) { mount(out, h('p', { class: 'error' }, diff.message)); return; }
    last = { query, diff };
    render();
  }

  const shown = entry => entry ? (entry.secret ? `secret · ${entry.fingerprint}` : pretty(entry.value)) : '—';
  function render() {
    const { query, diff } = last;
    const rows = [
      // The API's "added" is only in `to`, "removed" only in `from`.
      ...diff.removed.map(e => ({ key: e.key, kind: 'only-from', from: e, to: null })),
      ...diff.changed.map(c => ({ key: c.key, kind: 'changed', from: c.from, to: c.to })),
      ...diff.added.map(e => ({ key: e.key, kind: 'only-to', from: null, to: e })),
    ].sort((a, b) => a.key.localeCompare(b.key));
    // What a promote writes: every key of `from` that is missing or different in `to`.
    const promotable = rows.filter(r => r.from);
    const boxes = new Map(promotable.map(r => [r.key, h('input', { type: 'checkbox', checked: true, 'aria-label': `promote ${r.key}`, dataset: { key: r.key } })]));
    const table = h('table', { class: 'grid side', id: 'diff-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Promote'), h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, query.from), h('th', { scope: 'col' }, query.to))),
      h('tbody', null, rows.map(r => h('tr', { class: r.kind, dataset: { key: r.key } },
        h('td', null, boxes.get(r.key) ?? ''),
        h('th', { scope: 'row' }, r.key, h('span', { class: 'badge' }, r.kind === 'changed' ? 'differs' : r.kind === 'only-from' ? `only in ${query.from}` : `only in ${query.to}`)),
        h('td', null, h('pre', { class: 'cell' }, shown(r.from), r.from && r.from.source !== query.from ? ` (from ${r.from.source})` : '')),
        h('td', null, h('pre', { class: 'cell' }, shown(r.to), r.to && r.to.source !== query.to ? ` (from ${r.to.source})` : ''))))));
    const preview = h('div', { id: 'promote-preview' });
    const message = h('input', { id: 'promote-message', placeholder: `promote ${query.from} -> ${query.to}`, autocomplete: 'off' });
    const previewButton = h('button', { type: 'button', id: 'promote-preview-button', onclick: () => {
      const keys = [...boxes].filter(([, box]) => box.checked).map(([key]) => key);
      if (!keys.length) { mount(preview, h('p', { class: 'help' }, 'Nothing selected.')); return; }
      mount(preview, h('div', { class: 'card' },
        h('h3', null, `Change-set: ${keys.length} write${keys.length === 1 ? '' : 's'} to ${query.to}, one revision`),
        h('ul', { id: 'changeset' }, keys.map(k => h('li', { dataset: { key: k } }, h('code', null, k), ' ← ', h('code', { class: 'clip' }, shown(promotable.find(r => r.key === k).from))))),
        h('label', { for: 'promote-message' }, 'Message'), message,
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'promote', onclick: () => promote(keys) }, `Promote to ${query.to}`))));
    } }, 'Preview promote');
    mount(out,
      rows.length ? table : h('p', { class: 'help', id: 'no-diff' }, `${query.from} and ${query.to} hold the same keys${query.prefix ? ` under ${query.prefix}` : ''}.`),
      promotable.length ? h('div', { class: 'actions' }, previewButton) : null,
      preview);
  }

  async function promote(keys) {
    const { query } = last;
    if (!await confirmDialog('Promote', `Write ${keys.length} key(s) from ${query.from} to ${query.to} in ${query.ns} as one change?`, 'Promote')) return;
    const answer = await api('POST', '/promote', { query: { ...query, keys: keys.join(','), message: document.getElementById('promote-message')?.value.trim() }, expect: [400, 403, 409, 503, 504] });
    if (answer instanceof ApiError) return toast(answer.message);
    toast(`Promoted ${answer.promoted?.length ?? keys.length} key(s) at revision ${answer.revision ?? '—'}`, 'ok');
    await compare();
  }

  mount(root,
    h('h1', null, 'Environments'),
    h('form', { class: 'toolbar', onsubmit: event => { event.preventDefault(); compare(); } },
      nsLabel, ns, fromLabel, from, toLabel, to, prefixLabel, prefix,
      h('datalist', { id: 'env-names' }, ['default', 'dev', 'staging', 'prod'].map(e => h('option', { value: e }))),
      h('button', { type: 'submit', class: 'primary', id: 'compare' }, 'Compare')),
    out);
  return { dispose() {} };
}
