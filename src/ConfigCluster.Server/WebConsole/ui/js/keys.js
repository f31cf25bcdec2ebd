// The keys page: namespace/environment pickers, the key tree with search, and the open key
// (js/keyview.js). The tree and the open key follow the WebSocket watch.
import { api, ApiError, capabilities, Watch } from './api.js';
import { h, mount } from './dom.js';
import { keyView } from './keyview.js';
import { setLive } from './live.js';

export function keysPage(root, args) {
  const state = { ns: args[0] || 'default', env: args[1] || 'default', open: args[2] || null, items: new Map(), revision: 0, search: '', closed: new Set() };
  let watch = null;
  let view = null;
  let refreshTimer = 0;
  let disposed = false;
  let generation = 0; // the newest load(true): an older one still in flight must not start its watch
  const changed = new Set();

  const nsInput = h('input', { id: 'ns', value: state.ns, list: 'ns-list', autocomplete: 'off', spellcheck: 'false' });
  const envInput = h('input', { id: 'env', value: state.env, list: 'env-list', autocomplete: 'off', spellcheck: 'false' });
  const chain = h('span', { class: 'chain', id: 'chain' });
  const search = h('input', { id: 'search', type: 'search', placeholder: 'Search keys', 'aria-label': 'Search keys', autocomplete: 'off' });
  const tree = h('div', { id: 'tree', class: 'tree', role: 'navigation', 'aria-label': 'Keys' });
  const count = h('p', { class: 'help', id: 'key-count' });
  const detail = h('section', { id: 'detail', class: 'detail', 'aria-label': 'Key' });
  const newKeyButton = h('button', { type: 'button', id: 'new-key', hidden: true, onclick: () => newKey() }, 'New key');

  mount(root,
    h('form', { class: 'toolbar', onsubmit: event => { event.preventDefault(); select(nsInput.value.trim() || 'default', envInput.value.trim() || 'default'); } },
      h('label', { for: 'ns' }, 'Namespace'), nsInput,
      h('label', { for: 'env' }, 'Environment'), envInput,
      h('datalist', { id: 'ns-list' }, h('option', { value: 'default' })),
      h('datalist', { id: 'env-list' }, ['default', 'dev', 'staging', 'prod'].map(e => h('option', { value: e }))),
      h('button', { type: 'submit' }, 'Open'),
      chain,
      newKeyButton),
    h('div', { class: 'split' },
      h('aside', { class: 'pane' }, search, count, tree),
      detail));

  search.addEventListener('input', () => { state.search = search.value.trim(); renderTree(); });

  function updateHash() {
    const parts = ['#', 'keys', state.ns, state.env].concat(state.open ? [state.open] : []).map((p, i) => i < 2 ? p : encodeURIComponent(p));
    history.replaceState(null, '', parts.join('/'));
  }

  async function select(ns, env) {
    state.ns = ns;
    state.env = env;
    state.open = null;
    view?.dispose();
    view = null;
    mount(detail, h('p', { class: 'help' }, 'Pick a key.'));
    updateHash();
    await load(true);
  }

  async function load(restartWatch) {
    let mine = null;
    const mineGeneration = restartWatch ? ++generation : generation;
    const stale = () => disposed || mineGeneration !== generation;
    if (restartWatch) {
      mine = await capabilities(state.ns, state.env);
      if (stale()) return;
      newKeyButton.hidden = !mine?.capabilities.includes('write');
      if (!mine?.capabilities.includes('list')) {
        state.items = new Map();
        mount(tree, h('p', { class: 'error' }, `This token cannot list keys in ${state.ns}/${state.env}.`));
        count.textContent = '';
        watch?.stop();
        watch = null;
        setLive(null);
        return;
      }
    }
    const answer = await api('GET', '/config', { query: { ns: state.ns, env: state.env, effective: true }, expect: [403, 400] });
    if (stale()) return; // the page was left, or another scope opened, while the list was loading
    if (answer instanceof ApiError) {
      state.items = new Map();
      mount(tree, h('p', { class: 'error' }, answer.status === 403 ? `This token cannot list keys in ${state.ns}/${state.env}.` : answer.message));
      count.textContent = '';
      watch?.stop();
      watch = null;
      setLive(null);
      return;
    }
    state.items = new Map(answer.items.map(item => [item.key, item]));
    state.revision = answer.revision;
    renderTree();
    if (restartWatch) {
      watch?.stop();
      watch = null;
      if (mine.capabilities.includes('watch')) watch = new Watch({ ns: state.ns, env: state.env, fromRevision: answer.revision, onEvent, onState: setLive });
      else setLive(null);
      const info = await api('GET', `/environments/${encodeURIComponent(state.env)}`, { query: { ns: state.ns } });
      chain.textContent = `inherits: ${info.chain.join(' → ')}`;
    }
  }

  function onEvent(event) {
    changed.add(event.key);
    view?.changed(event);
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      await load(false);
      for (const key of changed) tree.querySelector(`[data-key="${CSS.escape(key)}"]`)?.classList.add('flash');
      if (state.open && changed.has(state.open)) view?.reload();
      changed.clear();
    }, 100);
  }

  function leaf(key, label) {
    const item = state.items.get(key);
    const inherited = item.source && item.source !== state.env;
    return h('li', null, h('button', {
      type: 'button', class: 'leaf', dataset: { key }, title: key,
      'aria-current': state.open === key ? 'true' : null,
      onclick: () => open(key),
    }, label, item.secret ? h('span', { class: 'badge secret' }, 'secret') : null, inherited ? h('span', { class: 'badge inherited', title: `inherited from ${item.source}` }, item.source) : null));
  }

  function renderTree() {
    const keys = [...state.items.keys()].sort();
    const needle = state.search.toLowerCase();
    const shown = needle ? keys.filter(k => k.toLowerCase().includes(needle)) : keys;
    count.textContent = `${shown.length} of ${keys.length} keys`;
    if (needle || keys.length === 0) {
      mount(tree, shown.length ? h('ul', { class: 'flat' }, shown.map(k => leaf(k, k))) : h('p', { class: 'help' }, keys.length ? 'No key matches.' : 'No keys here yet.'));
      return;
    }
    // Nested by segment ('.' or '/').
    const top = new Map();
    for (const key of keys) {
      const parts = key.split(/[./]/);
      let level = top;
      let path = '';
      for (let i = 0; i < parts.length - 1; i++) {
        path += (i ? '.' : '') + parts[i];
        if (!level.has('/' + parts[i])) level.set('/' + parts[i], { folder: new Map(), path });
        level = level.get('/' + parts[i]).folder;
      }
      level.set(parts[parts.length - 1], { key });
    }
    const render = level => h('ul', null, [...level.entries()].map(([name, entry]) => entry.key
      ? leaf(entry.key, name)
      : h('li', null, h('details', { open: !state.closed.has(entry.path), ontoggle: e => { if (e.target.open) state.closed.delete(entry.path); else state.closed.add(entry.path); } },
        h('summary', null, name.slice(1)), render(entry.folder)))));
    mount(tree, render(top));
  }

  function open(key) {
    state.open = key;
    updateHash();
    for (const button of tree.querySelectorAll('.leaf')) button.toggleAttribute('aria-current', button.dataset.key === key);
    view?.dispose();
    view = keyView(detail, { ns: state.ns, env: state.env, key, item: () => state.items.get(key), onChanged: () => load(false) });
  }

  function newKey() {
    state.open = null;
    updateHash();
    view?.dispose();
    view = keyView(detail, { ns: state.ns, env: state.env, key: null, item: () => null, onChanged: () => load(false), onCreated: key => open(key) });
  }

  (async () => {
    const before = generation;
    await load(true);
    if (disposed || generation !== before + 1) return; // another scope was opened meanwhile
    if (state.open) open(state.open);
    else mount(detail, h('p', { class: 'help' }, 'Pick a key.'));
  })();

  return {
    dispose() {
      disposed = true;
      watch?.stop();
      view?.dispose();
      clearTimeout(refreshTimer);
      setLive(null);
    },
  };
}

