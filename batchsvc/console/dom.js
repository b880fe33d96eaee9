// DOM building and the formats every view shares: numbers, times, durations, status badges.

const NUMBER = new Intl.NumberFormat();
const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const UNITS = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
const LOCAL_FORMAT = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  timeZoneName: "short" };
const STATUS_MARK = { queued: "◷", running: "▶", completed: "✓", failed: "✕", canceled: "⊘" };

/** An element: h("a", {href: "#"}, "text", child…); attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) setAttr(node, name, value);
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function setAttr(node, name, value) {
  if (value === null || value === undefined || value === false) return;
  if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
  else if (name in node && name !== "list") node[name] = value;
  else node.setAttribute(name, value === true ? "" : value);
}

/** Replace a node's children. */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export const num = (n) => (n === null || n === undefined ? "–" : NUMBER.format(n));

/** "3 minutes ago", "in 2 hours". */
export function relative(iso) {
  if (!iso) return "–";
  const seconds = (new Date(iso) - Date.now()) / 1000;
  const [unit, size] = UNITS.find(([, s]) => Math.abs(seconds) >= s) || ["second", 1];
  return RELATIVE.format(Math.round(seconds / size), unit);
}

/** The viewer's local date and time with its zone, e.g. "12 Mar 2025, 14:02 CET". */
export function local(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleString(undefined, LOCAL_FORMAT);
}

/** A time as relative text, the local time and UTC on hover. */
export function when(iso) {
  if (!iso) return h("span", { className: "muted" }, "–");
  return h("time", { dateTime: iso, title: `${local(iso)}\n${iso.replace("+00:00", "Z")} (UTC)` }, relative(iso));
}

/** A local time, UTC on hover. */
export function at(iso) {
  if (!iso) return h("span", { className: "muted" }, "–");
  return h("time", { dateTime: iso, title: `${iso.replace("+00:00", "Z")} (UTC)` }, local(iso));
}

/** "1 h 02 min", "3.4 s", "34 ms" (a small job takes less than a tenth of a second). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Seconds between two ISO times (the second defaults to now). */
export function elapsed(from, to) {
  return from ? ((to ? new Date(to) : new Date()) - new Date(from)) / 1000 : null;
}

/** A status badge: a mark and the word, so it reads without colour too. */
export function badge(status) {
  return h("span", { className: `badge s-${status}` }, h("span", { ariaHidden: "true" }, STATUS_MARK[status] || "•"),
    ` ${status}`);
}

/** A progress bar with its text, e.g. "1,200 / 3,000". */
export function bar(done, total, label) {
  const share = total ? Math.min(1, done / total) : 0;
  return h("div", { className: "progress", role: "progressbar", ariaValueNow: Math.round(share * 100),
    ariaValueMin: 0, ariaValueMax: 100 },
  h("div", { className: "fill", style: `width:${(share * 100).toFixed(1)}%` }),
  h("span", { className: "ptext" }, label ?? `${num(done)} / ${total === null ? "?" : num(total)}`));
}

export const ref = (model) => h("span", { className: "ref" }, `${model.name}@${model.version}`);

/** A button that runs an async action, disabled while it runs; errors go to onError. */
export function action(text, run, attrs = {}) {
  const button = h("button", { type: "button", ...attrs }, text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { await run(); } finally { button.disabled = false; }
  });
  return button;
}
