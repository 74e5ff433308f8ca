// Shared helpers of the console pages: element building, the two APIs, the signed-in user.

/** Builds an element: h('p', { class: 'x' }, 'text', child). Strings become text, never HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export class RequestError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'RequestError';
    this.status = status;
  }
}

async function answer(response, what) {
  const text = await response.text();
  let body = text;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {}
  if (!response.ok) {
    const message =
      typeof body === 'object' && body && body.message ? body.message : String(text).slice(0, 300);
    throw new RequestError(response.status, `${what} answered ${response.status}: ${message}`);
  }
  return body;
}

/** The console's own JSON API. */
export async function consoleApi(path, init) {
  return answer(await fetch(`/api/${path}`, init), path);
}

let config;
export async function getConfig() {
  config ??= await consoleApi('config');
  return config;
}

const SESSION_KEY = 'happy-path-console-session';

/** The signed-in user: { userId, token } minted by this console, kept for this tab only. */
export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
}

export async function signIn(userId) {
  const minted = await consoleApi('session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(minted));
  document.dispatchEvent(new CustomEvent('session'));
  return minted;
}

export function signOut() {
  sessionStorage.removeItem(SESSION_KEY);
  document.dispatchEvent(new CustomEvent('session'));
}

/** The application's HTTP API (cross-origin: the API's CORS settings decide), as the signed-in user. */
export async function appApi(method, path, body) {
  const { apiUrl } = await getConfig();
  const current = session();
  const headers = {};
  if (current) headers.authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return answer(response, `${method} ${path}`);
}

/**
 * Runs `tick` now and every `ms` until it returns true or the page is left; returns the stopper,
 * whose `ready` promise settles after the first tick (so a page can paint with its data).
 */
export function poll(tick, ms) {
  let stopped = false;
  let timer;
  const run = async () => {
    if (stopped) return;
    let done = false;
    try {
      done = await tick();
    } catch (error) {
      console.warn(error);
    }
    if (!done && !stopped) timer = setTimeout(run, ms);
  };
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  stop.ready = run();
  return stop;
}

/** A status as words and a symbol, so it reads without colour. */
const SYMBOLS = {
  PENDING: '…',
  PROCESSING: '…',
  RUNNING: '…',
  PROCESSED: '✓',
  SUCCEEDED: '✓',
  COMPLETED: '✓',
  REJECTED: '✗',
  FAILED: '✗',
  TIMED_OUT: '✗',
  ABORTED: '✗',
};
export function statusBadge(status) {
  const word = String(status ?? 'UNKNOWN');
  const kind = word.split(' ')[0];
  return h('span', { class: `badge badge-${kind.toLowerCase()}` }, `${SYMBOLS[kind] ?? '•'} ${word}`);
}

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return h('time', { datetime: date.toISOString() }, date.toISOString().replace('T', ' ').slice(0, 19));
}

export function took(start, stop) {
  if (!stop) return 'running';
  const ms = Date.parse(stop) - Date.parse(start);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function json(value) {
  return h('pre', { class: 'json' }, value === undefined ? '(none)' : JSON.stringify(value, null, 2));
}

export function errorNote(error) {
  return h('p', { class: 'error', role: 'alert' }, `⚠ ${error.message ?? error}`);
}

/** An email's HTML in a sandboxed frame: no scripts, links open a new tab (the approval page refuses frames). */
export function emailFrame(message) {
  const html = message.html ?? `<pre>${escapeHtml(message.text ?? '')}</pre>`;
  return h('iframe', {
    class: 'email',
    title: `Email: ${message.subject}`,
    sandbox: 'allow-popups allow-popups-to-escape-sandbox',
    srcdoc: `<base target="_blank">${html}`,
  });
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
