// One key: its value (or a masked secret with its fingerprint and an explicit, audited reveal),
// the effective source of an inherited value, edit with compare-and-set, history with a diff
// between any two versions, and rollback with confirmation.
import { api, ApiError, capabilities, keyPath } from './api.js';
import { confirmDialog, h, mount, pretty, toast, when } from './dom.js';
import { diffView } from './diff.js';

export function keyView(root, { ns, env, key, item, onChanged, onCreated }) {
  const query = { ns, env };
  let disposed = false;
  let current = null; // the GET answer (plain keys) or the list item (secrets)
  let can = { write: false, rollback: false, remove: false, history: false, read: false };
  let tab = 'value';
  let editing = null; // { baseVersion, textarea, notice }
  let editors = 0; // editors opened so far: a load begun before the newest one must not replace it
  let lastChange = null; // the newest live change of this key, for an editor opened before the view caught up
  const body = h('div', { class: 'key-body' });

  if (key === null) {
    renderEditor({ creating: true });
    return { dispose() { disposed = true; }, changed() {}, reload() {} };
  }

  const path = `/config/${keyPath(key)}`;

  async function probe() {
    const mine = await capabilities(ns, env, key);
    const has = name => mine?.capabilities.includes(name) ?? false;
    return { read: has('read'), write: has('write'), rollback: has('rollback'), remove: has('delete'), history: has('history') };
  }

  async function load() {
    const openedEditors = editors;
    const listed = item();
    const secret = listed?.secret;
    // A secret's value is fetched only by "reveal": its metadata comes from the listing.
    can = await probe();
    const [answer, history] = await Promise.all([
      secret || !can.read ? Promise.resolve(null) : api('GET', path, { query, expect: [404] }),
      // An inherited value's history is its source environment's.
      can.history ? api('GET', `/config/history/${keyPath(key)}`, { query: { ns, env: listed?.source ?? env }, expect: [404] }) : Promise.resolve(null),
    ]);
    // Left, or an editor was opened while this load was in flight (a live change's reload racing a
    // click on Edit): rendering now would throw away the editor and the text typed into it.
    if (disposed || openedEditors !== editors || editing) return;
    if (answer instanceof ApiError && answer.status === 404 && !listed) {
      mount(root, h('h2', { class: 'key-name' }, key), h('p', { class: 'help' }, 'This key does not exist (or was deleted).'));
      return;
    }
    current = answer instanceof ApiError || !answer ? { ...listed, environment: env } : answer;
    const versions = !history || history instanceof ApiError ? [] : history.versions;
    const head = versions.at(-1);
    current.author ??= head?.author;
    current.updatedAt ??= head?.updatedAt;
    render(versions);
  }

  function meta() {
    const source = current.source ?? env;
    return h('dl', { class: 'meta' },
      h('dt', null, 'Version'), h('dd', { id: 'key-version' }, current.version),
      h('dt', null, 'Revision'), h('dd', null, current.revision),
      h('dt', null, 'Source'), h('dd', { id: 'key-source' }, source === env ? `${env} (set here)` : `inherited from ${source}`),
      current.author ? [h('dt', null, 'Author'), h('dd', { id: 'key-author' }, current.author)] : null,
      current.updatedAt ? [h('dt', null, 'Updated'), h('dd', null, when(current.updatedAt))] : null);
  }

  function valueBlock() {
    if (current.secret) {
      const reveal = h('button', { type: 'button', id: 'reveal', onclick: () => doReveal(holder, reveal) }, 'Reveal');
      const holder = h('div', { class: 'secret-holder' });
      return h('div', { class: 'secret-box' },
        h('p', null, h('span', { class: 'mask', 'aria-label': 'secret value hidden' }, '••••••••'), ' ',
          h('span', { class: 'badge secret' }, 'secret')),
        h('p', { class: 'help' }, 'Fingerprint ', h('code', { id: 'fingerprint' }, current.fingerprint ?? '')),
        can.read ? reveal : h('p', { class: 'help' }, 'This token cannot read this key.'),
        holder);
    }
    if (!can.read && current.value === undefined) return h('p', { class: 'help' }, 'This token cannot read this key.');
    return h('pre', { class: 'value', id: 'value', tabindex: '0' }, pretty(current.value));
  }

  async function doReveal(holder, button) {
    const answer = await api('GET', path, { query, expect: [403, 404, 503] });
    if (answer instanceof ApiError) return toast(answer.message);
    button.hidden = true;
    const hide = h('button', { type: 'button', id: 'hide', onclick: () => { mount(holder); button.hidden = false; button.focus(); } }, 'Hide');
    mount(holder, h('pre', { class: 'value revealed', id: 'revealed' }, pretty(answer.value)), hide,
      h('p', { class: 'help' }, 'Revealed by an explicit read; the server audited it.'));
    hide.focus();
  }

  function render(versions) {
    const tabs = [['value', 'Value'], can.history ? ['history', 'History'] : null].filter(Boolean);
    mount(root,
      h('div', { class: 'key-head' },
        h('h2', { class: 'key-name', id: 'key-name' }, key),
        h('div', { class: 'actions' },
          can.write ? h('button', { type: 'button', id: 'edit', onclick: () => renderEditor({}) }, current.source && current.source !== env ? `Override in ${env}` : 'Edit') : null,
          can.remove && (current.source ?? env) === env ? h('button', { type: 'button', id: 'delete', class: 'danger', onclick: doDelete }, 'Delete') : null)),
      h('div', { class: 'tabs', role: 'tablist' }, tabs.map(([id, label]) => h('button', {
        type: 'button', role: 'tab', id: `tab-${id}`, 'aria-selected': String(tab === id),
        onclick: () => { tab = id; render(versions); },
      }, label))),
      meta(),
      body);
    if (tab === 'history' && can.history) mount(body, historyBlock(versions));
    else mount(body, valueBlock());
  }

  function historyBlock(versions) {
    const newest = [...versions].reverse();
    const text = v => v.operation === 'delete' ? '(deleted)' : v.secret ? `(secret, fingerprint ${v.fingerprint})` : pretty(v.value);
    const options = () => newest.map(v => h('option', { value: String(v.version) }, `v${v.version} · ${v.operation} · ${v.author}`));
    const from = h('select', { id: 'diff-from', 'aria-label': 'Compare from version' }, options());
    const to = h('select', { id: 'diff-to', 'aria-label': 'Compare to version' }, options());
    if (newest.length > 1) from.value = String(newest[1].version);
    const out = h('div', { id: 'diff-out' });
    const compare = () => {
      const a = versions.find(v => String(v.version) === from.value);
      const b = versions.find(v => String(v.version) === to.value);
      if (a && b) mount(out, diffView(text(a), text(b), `changes from v${a.version} to v${b.version}`));
    };
    from.addEventListener('change', compare);
    to.addEventListener('change', compare);
    compare();
    const headVersion = versions.at(-1)?.version;
    return h('div', null,
      h('table', { class: 'grid', id: 'history' },
        h('thead', null, h('tr', null, ['Version', 'Operation', 'Author', 'When', 'Revision', 'Value', ''].map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', null, newest.map(v => h('tr', { dataset: { version: v.version } },
          h('td', null, `v${v.version}`),
          h('td', null, v.operation + (v.rolledBackFrom ? ` (to v${v.rolledBackFrom})` : '')),
          h('td', null, v.author),
          h('td', null, when(v.updatedAt)),
          h('td', null, v.revision),
          h('td', null, h('code', { class: 'clip' }, text(v))),
          h('td', null, can.rollback && (current.source ?? env) === env && v.version !== headVersion && v.operation !== 'delete'
            ? h('button', { type: 'button', class: 'rollback', dataset: { version: v.version }, onclick: () => doRollback(v.version) }, `Roll back to v${v.version}`) : null))))),
      h('h3', null, 'Compare versions'),
      h('div', { class: 'toolbar' }, from, h('span', null, '→'), to),
      out);
  }

  async function doRollback(version) {
    if (!await confirmDialog('Roll back', `Roll back ${key} in ${ns}/${env} to version ${version}? This writes a new version holding version ${version}'s value.`, 'Roll back')) return;
    const answer = await api('POST', `/config/rollback/${keyPath(key)}`, { query: { ...query, version }, expect: [403, 404, 409] });
    if (answer instanceof ApiError) return toast(answer.message);
    toast(`Rolled back: ${key} is now version ${answer.version}`, 'ok');
    await load();
    onChanged();
  }

  async function doDelete() {
    if (!await confirmDialog('Delete key', `Delete ${key} in ${ns}/${env}? Its history is kept.`, 'Delete')) return;
    const answer = await api('DELETE', path, { query: { ...query, expectedVersion: current.version }, expect: [403, 404, 409] });
    if (answer instanceof ApiError) return toast(answer.message);
    toast(`Deleted ${key}`, 'ok');
    onChanged();
    mount(root, h('p', { class: 'help' }, `${key} was deleted.`));
  }

  function renderEditor({ creating = false, conflict = null, text = null }) {
    const inherited = !creating && current.source && current.source !== env;
    // CAS: the version this edit starts from (0: the key must not exist here yet).
    const baseVersion = creating || inherited ? 0 : current.version;
    const keyInput = creating ? h('input', { id: 'new-key-name', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'service.setting' }) : null;
    const textarea = h('textarea', { id: 'editor', rows: '10', spellcheck: 'false', 'aria-label': 'Value (JSON)', 'aria-describedby': 'editor-help' });
    textarea.value = text ?? (creating || current.secret ? '' : pretty(current.value));
    if (!creating && current.secret) textarea.placeholder = 'New secret value (JSON); the current value is not loaded';
    const secretBox = creating ? h('input', { type: 'checkbox', id: 'new-secret' }) : null;
    const error = h('p', { class: 'error', id: 'editor-error', role: 'alert' });
    const notice = h('p', { class: 'notice', id: 'editor-notice', role: 'status' });
    editing = { notice };
    editors++;
    if (!creating && !inherited && lastChange && lastChange.version > baseVersion) changedMeanwhile(lastChange);
    const form = h('form', { class: 'card editor', onsubmit: async event => {
      event.preventDefault();
      let value;
      try { value = JSON.parse(textarea.value); } catch (e) {
        error.textContent = `Not valid JSON (${e.message}). Strings need quotes: "text".`;
        return;
      }
      const name = creating ? keyInput.value.trim() : key;
      const secret = creating ? secretBox.checked : current.secret;
      const answer = await api('PUT', `/config/${keyPath(name)}`, { query, body: { value, secret: secret || undefined, expectedVersion: baseVersion }, expect: [400, 403, 409, 413, 503, 504] });
      if (answer instanceof ApiError) {
        if (answer.status === 409 && !creating) return showConflict(answer.body.currentVersion, textarea.value);
        error.textContent = answer.message;
        return;
      }
      editing = null;
      toast(`Saved ${name}: version ${answer.version}`, 'ok');
      if (creating) { onChanged(); onCreated?.(name); return; }
      tab = 'value';
      await load();
      onChanged();
    } },
    h('h2', null, creating ? 'New key' : `Edit ${key}`),
    creating ? [h('label', { for: 'new-key-name' }, 'Key'), keyInput] : null,
    inherited ? h('p', { class: 'help' }, `The value is inherited from ${current.source}; saving creates an override in ${env}.`) : null,
    conflict,
    h('label', { for: 'editor' }, 'Value (JSON)'),
    textarea,
    h('p', { class: 'help', id: 'editor-help' }, baseVersion ? `Saved only if the key is still at version ${baseVersion} (compare-and-set).` : 'Saved only if the key does not exist here yet.'),
    creating ? h('label', { class: 'check' }, secretBox, ' Secret (encrypted; shown masked; cannot be undone)') : null,
    notice, error,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'save' }, 'Save'),
      h('button', { type: 'button', id: 'cancel', onclick: () => { editing = null; if (creating) mount(root, h('p', { class: 'help' }, 'Pick a key.')); else load(); } }, 'Cancel')));
    mount(root, form);
    (keyInput ?? textarea).focus();
  }

  async function showConflict(currentVersion, mine) {
    const newer = current.secret ? null : await api('GET', path, { query, expect: [403, 404] });
    if (newer && !(newer instanceof ApiError)) current = newer;
    else current = { ...current, version: currentVersion };
    const box = h('div', { class: 'conflict', id: 'conflict', role: 'alert' },
      h('h3', null, 'Conflict: the key changed while you were editing'),
      h('p', null, `It is now at version ${currentVersion}`, newer && !(newer instanceof ApiError) ? ` (by ${newer.author}, ${when(newer.updatedAt)})` : '', '. Its value:'),
      newer && !(newer instanceof ApiError) ? h('pre', { class: 'value', id: 'conflict-value' }, pretty(newer.value)) : h('p', { class: 'help' }, '(secret: not shown)'),
      h('p', null, 'Your text is kept below; saving again writes it over version ', String(currentVersion), '.'));
    renderEditor({ conflict: box, text: mine });
  }

  function changedMeanwhile(event) {
    editing.notice.textContent = `Changed meanwhile: now version ${event.version} by ${event.author}.`;
  }

  // A failed load (node unreachable, no leader for the read barrier) is shown here with a retry.
  async function loadOrShow() {
    try {
      await load();
    } catch (error) {
      if (disposed || !(error instanceof ApiError)) throw error;
      const retry = h('button', { type: 'button', id: 'retry', onclick: () => loadOrShow() }, 'Retry');
      mount(root, h('h2', { class: 'key-name' }, key), h('p', { class: 'error', role: 'alert' }, `Could not load this key: ${error.message}`), retry);
    }
  }

  loadOrShow();

  return {
    dispose() { disposed = true; },
    changed(event) {
      if (event.key !== key) return;
      lastChange = event;
      if (editing) changedMeanwhile(event);
    },
    reload() { if (!editing && !disposed) loadOrShow(); },
  };
}
