// The console shell: sign-in, capability probing, navigation between pages (hash routes).
import { api, ApiError, capabilities, hooks, session } from './api.js';
import { h, mount, toast } from './dom.js';
import { keysPage } from './keys.js';
import { environmentsPage } from './environments.js';
import { clusterPage } from './cluster.js';
import { accessPage } from './access.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signOutButton = document.getElementById('signout');

/** What the signed-in token may do, probed through the API (a 403 hides a page or an action). */
export const caps = { admin: false, metrics: false, name: '' };

const pages = { keys: keysPage, environments: environmentsPage, cluster: clusterPage, access: accessPage };
let current = null; // { dispose() } of the page shown

function signInForm(message) {
  nav.hidden = true;
  signOutButton.hidden = true;
  document.getElementById('who').textContent = '';
  document.getElementById('live').hidden = true;
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-help' });
  const form = h('form', { class: 'card signin', onsubmit: async event => {
    event.preventDefault();
    session.token = input.value.trim();
    input.value = '';
    await start();
  } },
  h('h1', null, 'Sign in'),
  h('label', { for: 'token' }, 'Token'),
  input,
  h('p', { id: 'token-help', class: 'help' }, 'Your ConfigCluster token. It is kept in this tab only (session storage) and sent as a bearer token.'),
  message ? h('p', { class: 'error', role: 'alert' }, message) : null,
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  mount(main, form);
  input.focus();
}

async function probe() {
  // A token the server does not know answers 401 on the status route too.
  await api('GET', '/cluster/status');
  const mine = await capabilities('default', 'default');
  caps.admin = mine?.admin ?? false;
  caps.name = mine?.name ?? '';
  // /metrics needs admin unless the node opened it; only admins are offered the chart.
  caps.metrics = caps.admin;
  for (const link of nav.querySelectorAll('[data-admin]')) link.hidden = !caps.admin;
}

async function start() {
  if (!session.token) return signInForm();
  try {
    await probe();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.token = null;
      return signInForm('That token was refused (unknown, revoked or expired).');
    }
    return signInForm(error.message);
  }
  nav.hidden = false;
  signOutButton.hidden = false;
  document.getElementById('who').textContent = caps.name ? `${caps.name}${caps.admin ? ' (admin)' : ''}` : 'signed in';
  route();
}

function route() {
  if (!session.token) return;
  const [, name = 'keys', ...rest] = location.hash.split('/');
  const page = pages[name] && (name !== 'access' || caps.admin) ? name : 'keys';
  current?.dispose?.();
  document.getElementById('live').hidden = true;
  for (const link of nav.querySelectorAll('a')) link.toggleAttribute('aria-current', link.dataset.page === page);
  mount(main);
  current = pages[page](main, rest.map(decodeURIComponent), caps);
}

function signOut(message) {
  current?.dispose?.();
  current = null;
  session.token = null;
  signInForm(message);
}

hooks.unauthorized = () => signOut('The token stopped working (revoked or expired). Sign in again.');
signOutButton.addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', event => {
  // API failures not handled by a page are shown, not left in the console.
  if (event.reason instanceof ApiError) {
    event.preventDefault();
    toast(event.reason.message);
  }
});
start();
