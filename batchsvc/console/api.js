// Calls to the JSON API with the tab's key (typed once, kept in sessionStorage), and what its role may do.

const KEY_STORE = "batchsvc.key";
const RANK = { reader: 1, submitter: 2, admin: 3 };

export const session = { key: sessionStorage.getItem(KEY_STORE) || "", role: null, name: null, auth: false };

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body?.error || {};
  }
}

export function setKey(key) {
  session.key = key.trim();
  if (session.key) sessionStorage.setItem(KEY_STORE, session.key);
  else sessionStorage.removeItem(KEY_STORE);
  session.role = null;
}

/** True when the tab's key (or auth off: admin) may do what `role` needs. */
export const can = (role) => (RANK[session.role] || 0) >= RANK[role];

function headers(extra = {}) {
  return session.key ? { ...extra, Authorization: `Bearer ${session.key}` } : extra;
}

async function send(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response;
}

let loads = 0;
/** A GET's JSON while the page is still loading, read as a JSON module: a browser's load event waits for module
 * scripts, so a headless screenshot (or --dump-dom) shows the first view drawn, not "Loading…". null when it
 * cannot be had that way (a key to send, an error answer, the page loaded): the caller fetches as usual. */
function duringLoad(path) {
  if (session.key || document.readyState === "complete") return Promise.resolve(null);
  return new Promise((resolve) => {
    const id = `__batchsvcLoad${++loads}`;
    const script = Object.assign(document.createElement("script"), { type: "module",
      textContent: `import data from ${JSON.stringify(path)} with { type: "json" }; window.${id}(data);` });
    const done = (data) => { delete window[id]; script.remove(); resolve(data); };
    window[id] = done;
    script.addEventListener("error", () => done(null));
    document.head.append(script);
  });
}

/** The JSON answer of a request (null for 204); an error answer throws ApiError with its message. */
export async function api(method, path, body) {
  if (method === "GET") {
    const early = await duringLoad(path);
    if (early !== null) return early;
  }
  const response = await send(method, path, body);
  return response.status === 204 ? null : response.json();
}

/** A response body as text (results, errors files). */
export async function text(path) {
  return (await send("GET", path)).text();
}

/** Download a file with the key in a header (a plain link could not carry it). */
export async function download(path, filename) {
  const blob = await (await send("GET", path)).blob();
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** A query string of the non-empty values. */
export function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined);
  return pairs.length ? `?${new URLSearchParams(pairs)}` : "";
}

let spec = null;
/** True when the API documents a route (e.g. online predictions, once that branch is merged). */
export async function hasRoute(method, path) {
  spec = spec || (await api("GET", "/openapi.json"));
  return Boolean(spec.paths?.[path]?.[method.toLowerCase()]);
}
