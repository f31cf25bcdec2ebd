// The console's only way to the server: the public HTTP API and the WebSocket watch, with the
// signed-in user's token. The token lives in sessionStorage (gone when the tab closes); nothing
// else is ever stored in the browser, least of all a secret's value.

const TOKEN_KEY = 'configcluster.token';

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** A refused or failed API call: status and the server's JSON error body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? (status ? `the server answered ${status}` : 'the node could not be reached'));
    this.status = status;
    this.body = body ?? {};
  }
}

/** Called when the token stops working (401): the app signs out. */
export const hooks = { unauthorized: () => {} };

/** Builds a path with a query string; empty parameters are left out. */
export function url(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Encodes a key for a route segment. */
export function keyPath(key) {
  return encodeURIComponent(key);
}

/**
 * Calls the API: returns the parsed JSON (or text for text answers); throws ApiError on a non-2xx
 * answer. `expect` lists statuses that are answers rather than failures (returned as ApiError).
 */
export async function api(method, path, { query, body, text, expect = [] } = {}) {
  const headers = { Accept: 'application/json' };
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, query), { method, headers, body: payload, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError(0, null);
  }
  const type = response.headers.get('Content-Type') ?? '';
  let data = null;
  if (text || !type.includes('json')) data = await response.text();
  else {
    try { data = await response.json(); } catch { data = null; }
  }
  if (response.ok) return data;
  const error = new ApiError(response.status, typeof data === 'object' ? data : { error: data || undefined });
  if (response.status === 401 && token) hooks.unauthorized(error);
  if (expect.includes(response.status)) return error;
  throw error;
}

/** What the token may do in ns/env (on key, if given), from GET /acl/capabilities; null when it may list nothing at all. */
export async function capabilities(ns, env, key) {
  const answer = await api('GET', '/acl/capabilities', { query: { ns, env, key }, expect: [403] });
  return answer instanceof ApiError ? null : answer;
}

function base64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

/**
 * A WebSocket watch of a namespace/environment that reconnects by itself from the last revision
 * it saw. onState receives 'connecting', 'live' or 'reconnecting'.
 */
export class Watch {
  constructor({ ns, env, prefix = '', fromRevision, onEvent, onState }) {
    Object.assign(this, { ns, env, prefix, revision: fromRevision, onEvent, onState });
    this.stopped = false;
    this.delay = 250;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const target = scheme + '//' + location.host + url('/ws/watch', { ns: this.ns, env: this.env, prefix: this.prefix, fromRevision: this.revision });
    // The token travels as a sub-protocol (a browser cannot set headers on a WebSocket).
    const socket = new WebSocket(target, ['configcluster.watch.v1', 'configcluster.bearer.' + base64Url(session.token ?? '')]);
    this.socket = socket;
    this.onState?.(this.everLive ? 'reconnecting' : 'connecting');
    socket.onopen = () => {
      this.delay = 250;
      this.everLive = true;
      this.onState?.('live');
    };
    socket.onmessage = message => {
      let item;
      try { item = JSON.parse(message.data); } catch { return; }
      if (typeof item.revision === 'number') this.revision = Math.max(this.revision ?? 0, item.revision);
      if (item.type === 'event') this.onEvent?.(item);
    };
    socket.onerror = () => {}; // onclose follows and reconnects
    socket.onclose = () => {
      if (this.stopped) return;
      this.onState?.('reconnecting');
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 4000);
    };
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close();
  }
}
