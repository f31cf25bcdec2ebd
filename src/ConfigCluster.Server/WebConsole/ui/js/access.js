// Access (admin tokens only): tokens (create shows the secret once; revoke), policies (edit with
// validation) and this node's audit log with filters and chain verification.
import { api, ApiError } from './api.js';
import { confirmDialog, h, mount, pretty, toast, when } from './dom.js';

const CAPABILITIES = ['read', 'list', 'write', 'delete', 'history', 'rollback', 'watch', 'admin'];

export function accessPage(root) {
  const sections = { tokens: tokensSection, policies: policiesSection, audit: auditSection };
  let tab = 'tokens';
  const body = h('div', { id: 'access-body' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  function show(name) {
    tab = name;
    mount(tabs, Object.keys(sections).map(id => h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-selected': String(tab === id), onclick: () => show(id) }, id[0].toUpperCase() + id.slice(1))));
    mount(body);
    sections[name](body);
  }
  mount(root, h('h1', null, 'Access'), tabs, body);
  show('tokens');
  return { dispose() {} };
}

async function tokensSection(root) {
  const list = h('div', { id: 'token-list' });
  const secret = h('div', { id: 'token-secret' });
  const name = h('input', { id: 'token-name', required: true, autocomplete: 'off' });
  const policies = h('input', { id: 'token-policies', placeholder: 'policy-a, policy-b', autocomplete: 'off' });
  const ttl = h('input', { id: 'token-ttl', placeholder: '24h', autocomplete: 'off' });
  const form = h('form', { class: 'toolbar', onsubmit: async event => {
    event.preventDefault();
    const body = { name: name.value.trim(), policies: policies.value.split(',').map(p => p.trim()).filter(Boolean), ttl: ttl.value.trim() || undefined };
    const answer = await api('POST', '/acl/tokens', { body, expect: [400, 403, 409] });
    if (answer instanceof ApiError) return toast(answer.message);
    name.value = policies.value = ttl.value = '';
    // The secret is shown once, here, and dropped from the page when dismissed.
    const done = h('button', { type: 'button', id: 'token-secret-done', onclick: () => mount(secret) }, 'I have copied it');
    mount(secret, h('div', { class: 'card notice-box', role: 'alert' },
      h('p', null, `Token for ${answer.name} (accessor `, h('code', { id: 'new-accessor' }, answer.accessor), '). It is shown once:'),
      h('pre', { class: 'value', id: 'new-token' }, answer.token),
      done));
    done.focus();
    await refresh();
  } },
  h('label', { for: 'token-name' }, 'Name'), name,
  h('label', { for: 'token-policies' }, 'Policies'), policies,
  h('label', { for: 'token-ttl' }, 'TTL'), ttl,
  h('button', { type: 'submit', class: 'primary', id: 'token-create' }, 'Create token'));

  async function refresh() {
    const answer = await api('GET', '/acl/tokens');
    mount(list, h('table', { class: 'grid', id: 'token-table' },
      h('thead', null, h('tr', null, ['Accessor', 'Name', 'Policies', 'Created', 'Expires', 'State', ''].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', null, answer.tokens.map(t => h('tr', { dataset: { accessor: t.accessor, name: t.name } },
        h('td', null, h('code', null, t.accessor)),
        h('td', null, t.name),
        h('td', null, (t.policies ?? []).join(', ')),
        h('td', null, when(t.createdAt)),
        h('td', null, t.expiresAt ? when(t.expiresAt) : 'never'),
        h('td', { class: 'state' }, t.revoked ? 'revoked' : 'active'),
        h('td', null, t.revoked ? null : h('button', { type: 'button', class: 'danger revoke', dataset: { accessor: t.accessor }, onclick: () => revoke(t) }, 'Revoke')))))));
  }

  async function revoke(t) {
    if (!await confirmDialog('Revoke token', `Revoke ${t.name} (${t.accessor})? It stops working on every node.`, 'Revoke')) return;
    const answer = await api('DELETE', `/acl/tokens/${encodeURIComponent(t.accessor)}`, { expect: [403, 404] });
    if (answer instanceof ApiError) return toast(answer.message);
    toast(`Revoked ${t.name}`, 'ok');
    await refresh();
  }

  mount(root, h('h2', null, 'Tokens'), form, secret, list);
  await refresh();
}

/** Checks a policy's rules as the server will; returns the problems found. */
export function validateRules(rules) {
  const problems = [];
  if (!Array.isArray(rules)) return ['rules must be a JSON array of rule objects'];
  rules.forEach((rule, i) => {
    const at = `rule ${i + 1}`;
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) { problems.push(`${at} must be an object`); return; }
    for (const field of ['path', 'namespace', 'environment']) {
      if (field in rule && typeof rule[field] !== 'string') problems.push(`${at}: ${field} must be a string pattern like "auth.*"`);
    }
    if ('deny' in rule && typeof rule.deny !== 'boolean') problems.push(`${at}: deny must be true or false`);
    if (!Array.isArray(rule.capabilities) || rule.capabilities.length === 0) problems.push(`${at}: capabilities must be a non-empty array`);
    else for (const c of rule.capabilities) if (!CAPABILITIES.includes(c)) problems.push(`${at}: unknown capability "${c}" (one of ${CAPABILITIES.join(', ')})`);
    for (const field of Object.keys(rule)) if (!['path', 'namespace', 'environment', 'deny', 'capabilities'].includes(field)) problems.push(`${at}: unknown field "${field}"`);
  });
  return problems;
}

async function policiesSection(root) {
  const name = h('input', { id: 'policy-name', required: true, autocomplete: 'off', list: 'policy-names' });
  const rules = h('textarea', { id: 'policy-rules', rows: '10', spellcheck: 'false', 'aria-label': 'Rules (JSON)' });
  rules.value = pretty([{ path: 'app.*', namespace: '*', environment: '*', capabilities: ['read', 'list', 'watch'] }]);
  const problems = h('ul', { id: 'policy-problems', class: 'error', role: 'alert' });
  const check = () => {
    let parsed;
    try { parsed = JSON.parse(rules.value); } catch (e) { mount(problems, h('li', null, `Not valid JSON: ${e.message}`)); return null; }
    const found = validateRules(parsed);
    mount(problems, found.map(p => h('li', null, p)));
    return found.length ? null : parsed;
  };
  rules.addEventListener('input', check);
  const tokens = await api('GET', '/acl/tokens');
  const names = [...new Set(tokens.tokens.flatMap(t => t.policies ?? []))].sort();
  mount(root, h('h2', null, 'Policies'),
    h('p', { class: 'help' }, 'Policies in use: ', names.length ? names.map((n, i) => [i ? ', ' : '', h('code', null, n)]) : 'none', '. Load one by name to view it; saving replaces the named policy\'s rules (default deny; deny rules win).'),
    h('form', { class: 'card', onsubmit: async event => {
      event.preventDefault();
      const parsed = check();
      if (!parsed) return;
      const answer = await api('PUT', `/acl/policies/${encodeURIComponent(name.value.trim())}`, { body: { rules: parsed }, expect: [400, 403] });
      if (answer instanceof ApiError) return mount(problems, h('li', null, answer.message));
      toast(`Saved policy ${answer.name} (${answer.rules} rules)`, 'ok');
    } },
    h('label', { for: 'policy-name' }, 'Name'), name,
    h('datalist', { id: 'policy-names' }, names.map(n => h('option', { value: n }))),
    h('label', { for: 'policy-rules' }, 'Rules (JSON)'), rules, problems,
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'policy-load', onclick: async () => {
        const policy = await api('GET', `/acl/policies/${encodeURIComponent(name.value.trim())}`, { expect: [400, 404] });
        if (policy instanceof ApiError) return mount(problems, h('li', null, policy.message));
        rules.value = pretty(policy.rules.map(r => ({ path: r.path, namespace: r.namespace, environment: r.environment, capabilities: r.capabilities, ...(r.deny ? { deny: true } : {}) })));
        check();
      } }, 'Load policy'),
      h('button', { type: 'submit', class: 'primary', id: 'policy-save' }, 'Save policy'))));
}

async function auditSection(root) {
  const since = h('input', { id: 'audit-since', type: 'datetime-local' });
  const filter = h('input', { id: 'audit-filter', type: 'search', placeholder: 'token, key, operation…', autocomplete: 'off', 'aria-label': 'Filter audit lines' });
  const decision = h('select', { id: 'audit-decision', 'aria-label': 'Decision' }, ['', 'allow', 'deny', 'unauthenticated'].map(d => h('option', { value: d }, d || 'any decision')));
  const out = h('div', { id: 'audit-lines' });
  const verdict = h('div', { id: 'audit-verify', role: 'status' });
  let lines = [];

  async function load() {
    const text = await api('GET', '/audit', { query: { since: since.value ? new Date(since.value).toISOString() : undefined }, text: true });
    lines = text.split('\n').filter(Boolean).map((raw, i) => { try { return JSON.parse(raw); } catch { return { damaged: raw, seq: i }; } });
    render();
  }

  function render() {
    const needle = filter.value.trim().toLowerCase();
    const wanted = decision.value;
    const shown = lines.filter(l => (!needle || JSON.stringify(l).toLowerCase().includes(needle))
      && (!wanted || l.decision === wanted)).slice(-300).reverse();
    mount(out, h('p', { class: 'help' }, `${shown.length} of ${lines.length} lines (newest first, at most 300 shown)`),
      h('table', { class: 'grid', id: 'audit-table' },
        h('thead', null, h('tr', null, ['Time', 'Token', 'Operation', 'Key', 'Scope', 'Decision', 'Version'].map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', null, shown.map(l => l.damaged ? h('tr', { class: 'unhealthy' }, h('td', { colspan: '7' }, 'damaged line: ', l.damaged)) : h('tr', { dataset: { key: l.key ?? '', operation: l.operation ?? '' } },
          h('td', null, when(l.time)), h('td', null, l.tokenName ?? ''), h('td', null, l.operation ?? ''), h('td', null, l.key ?? ''),
          h('td', null, [l.namespace, l.environment].filter(Boolean).join('/')), h('td', null, String(l.decision ?? '')), h('td', null, l.version ?? ''))))));
  }

  filter.addEventListener('input', render);
  decision.addEventListener('change', render);
  mount(root, h('h2', null, 'Audit log (this node)'),
    h('form', { class: 'toolbar', onsubmit: event => { event.preventDefault(); load(); } },
      h('label', { for: 'audit-since' }, 'Since'), since, filter, decision,
      h('button', { type: 'submit', id: 'audit-load' }, 'Load'),
      h('button', { type: 'button', id: 'audit-verify-button', onclick: async () => {
        const report = await api('GET', '/audit/verify');
        mount(verdict, h('p', { class: report.ok ? 'ok' : 'bad' }, report.ok
          ? `Chain verified: ${report.lines} lines in ${report.files} file(s)${report.checkpoint ? `, checkpoint at line ${report.checkpoint.lines} holds` : ''}.`
          : `Chain BROKEN at line ${report.firstBadLine} of ${report.file}: ${report.reason}`));
      } }, 'Verify chain')),
    verdict, out);
  await load();
}
