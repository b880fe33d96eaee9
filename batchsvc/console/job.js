// A job's page: record, progress with ETA, events timeline, error, bad rows, downloads, cancel, run again, delete.

import { api, can, download, text } from "./api.js";
import { notice, rerender } from "./app.js";
import { action, at, badge, bar, duration, elapsed, fill, h, num, ref, when } from "./dom.js";
import { rate } from "./jobs.js";

const POLL_MS = 1000;
const FORMATS = ["parquet", "csv", "jsonl"];
const BAD_ROWS_SHOWN = 100;
const FINISHED = new Set(["completed", "failed", "canceled"]);

export async function jobPage(ctx, id) {
  const parts = { head: h("div"), progress: h("div"), actions: h("div", { className: "actions" }),
    facts: h("dl", { className: "facts" }), error: h("div"), bad: h("div"), events: h("ol", { className: "timeline" }) };
  fill(ctx.view, h("section", { className: "job" }, h("p", {}, h("a", { href: "#/jobs" }, "← All jobs")),
    parts.head, h("div", { className: "card" }, parts.progress, parts.actions), parts.error, h("div", { className:
    "grid2" }, h("div", { className: "card" }, h("h2", {}, "Record"), parts.facts), h("div", { className: "card" },
    h("h2", {}, "Events"), parts.events)), parts.bad));
  let shown = "";
  ctx.repeat(async () => {
    const job = await api("GET", `/v1/jobs/${id}`);
    const events = await api("GET", `/v1/jobs/${id}/events`);
    if (!ctx.alive) return false;
    draw(parts, job, events.events, shown !== job.status);
    shown = job.status;
    if (FINISHED.has(job.status)) return false;
  }, POLL_MS);
}

function draw(parts, job, events, changed) {
  fill(parts.head, h("div", { className: "head" }, h("h1", {}, job.name || `Job ${job.id.slice(0, 12)}`),
    badge(job.status)));
  fill(parts.progress, progress(job));
  fill(parts.facts, facts(job));
  fill(parts.events, events.slice().reverse().map(eventItem));
  fill(parts.error, job.error ? errorBox(job.error) : null);
  if (changed) {
    fill(parts.actions, actions(job));
    if (job.result?.bad_rows) badRows(parts.bad, job);
  }
}

function progress(job) {
  const p = job.progress;
  const chunks = `chunk ${num(p.chunks_done)} of ${p.chunks_total === null ? "?" : num(p.chunks_total)}`;
  return [bar(p.rows_done, p.rows_total, `${num(p.rows_done)} / ${p.rows_total === null ? "?" : num(p.rows_total)}
    rows`), h("p", { className: "muted" }, `${chunks} · ${rate(job)} · ${eta(job)}`)];
}

/** The time left at the rate so far, while it runs. */
function eta(job) {
  if (job.status !== "running") return job.finished_at ? `took ${duration(elapsed(job.started_at,
    job.finished_at))}` : "not started";
  const p = job.progress, seconds = elapsed(job.started_at);
  if (!p.rows_total || !p.rows_done || !seconds) return "ETA –";
  return `ETA ${duration(((p.rows_total - p.rows_done) * seconds) / p.rows_done)}`;
}

function facts(job) {
  const r = job.result || {};
  const rows = [["Id", h("code", {}, job.id)], ["Model", h("a", { href: `#/models/${job.model.name}` },
    ref(job.model))], ["Created", at(job.created_at)], ["Started", at(job.started_at)],
  ["Finished", at(job.finished_at)], ["Input", input(job.input)], ["Engine", job.engine || "–"],
  ["Attempts", num(job.attempts)], ["Submitted by", job.created_by || "–"],
  ["Schedule", job.schedule_id ? h("a", { href: `#/schedules/${job.schedule_id}` }, job.schedule_id) : "–"],
  ["Result", r.rows === undefined ? "–" : `${num(r.rows)} rows, ${num(r.bad_rows)} bad, ${r.format}`]];
  return rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]);
}

/** Where the rows came from: a file (or a folder's files), an upload, or inline rows. */
function input(source) {
  if (!source) return "–";
  if (source.kind === "upload") return [`upload `, h("code", {}, source.upload), ` (${source.format})`];
  if (source.kind === "inline") return `inline: ${num(source.rows)} row${source.rows === 1 ? "" : "s"}`;
  const files = source.files === null || source.files === undefined ? "" : `, ${num(source.files)} files`;
  return [h("code", { className: "wrap" }, source.path), ` (${source.format}${files})`];
}

function errorBox(error) {
  const where = ["column", "line", "row"].filter((k) => error[k] !== undefined && error[k] !== null)
    .map((k) => h("span", { className: "chip" }, `${k} ${typeof error[k] === "number" ? num(error[k]) : error[k]}`));
  return h("div", { className: "card errorbox", role: "alert" }, h("h2", {}, `✕ ${error.type || "Error"}`),
    h("p", { className: "message" }, error.message), where.length ? h("p", {}, where) : null);
}

function actions(job) {
  const buttons = [];
  if (job.status === "completed") buttons.push(...downloads(job));
  if (!can("submitter")) return buttons;
  if (!FINISHED.has(job.status)) buttons.push(action("Cancel job", () => cancel(job), { className: "danger" }));
  buttons.push(action("Run again", () => runAgain(job)));
  if (FINISHED.has(job.status)) buttons.push(action("Delete", () => remove(job), { className: "danger ghost" }));
  return buttons;
}

function downloads(job) {
  const base = `/v1/jobs/${job.id}/results`;
  const files = FORMATS.map((f) => action(`Download ${f}`, () => download(`${base}?format=${f}`, `${job.id}.${f}`),
    { className: f === job.result.format ? "primary" : "" }));
  if (job.result.bad_rows) files.push(action("Bad rows (jsonl)", () => download(`${base}?errors=true`,
    `${job.id}-errors.jsonl`)));
  return files;
}

async function cancel(job) {
  if (!confirm(`Cancel job ${job.name || job.id}? Rows already scored are discarded.`)) return;
  await guard(() => api("POST", `/v1/jobs/${job.id}/cancel`));
  rerender();
}

async function runAgain(job) {
  const fresh = await guard(() => api("POST", `/v1/jobs/${job.id}/rerun`));
  if (fresh) location.hash = `#/jobs/${fresh.id}`;
}

async function remove(job) {
  if (!confirm(`Delete job ${job.name || job.id} and its result files?`)) return;
  if ((await guard(() => api("DELETE", `/v1/jobs/${job.id}`))) !== undefined) location.hash = "#/jobs";
}

/** Run an API call; its error becomes a notice (undefined returned). */
export async function guard(call) {
  try { return await call(); } catch (error) { notice(error.message); return undefined; }
}

async function badRows(box, job) {
  const lines = (await text(`/v1/jobs/${job.id}/results?errors=true`)).split("\n").filter(Boolean);
  const rows = lines.slice(0, BAD_ROWS_SHOWN).map((line) => JSON.parse(line));
  const head = ["row", "line", "column", "value", "error"];
  fill(box, h("div", { className: "card" }, h("h2", {}, `Bad rows (${num(lines.length)})`), h("div",
    { className: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, head.map((k) => h("th", {}, k)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, head.map((k) => h("td", { "data-label": k },
      r[k] === undefined || r[k] === null ? "–" : String(r[k]))))))))));
}

function eventItem(event) {
  const { at: time, event: kind, ...details } = event;
  const shown = Object.entries(details).filter(([k]) => k !== "error")
    .map(([k, v]) => `${k} ${typeof v === "number" ? num(v) : typeof v === "object" ? JSON.stringify(v) : v}`);
  return h("li", { className: `ev ev-${kind}` }, h("span", { className: "evkind" }, kind.replaceAll("_", " ")),
    when(time), shown.length ? h("span", { className: "muted evdetail" }, shown.join(" · ")) : null,
    details.error ? h("span", { className: "err" }, details.error.message) : null);
}
