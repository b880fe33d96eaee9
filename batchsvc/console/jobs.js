// The jobs table: filters, paging, newest first, live from one compact endpoint (GET /v1/console/summary).

import { api, query } from "./api.js";
import { learn, rerender } from "./app.js";
import { badge, bar, duration, elapsed, fill, h, num, ref, when } from "./dom.js";

const POLL_MS = 2000;
const PAGE_ROWS = 25;
const STATUSES = ["", "queued", "running", "completed", "failed", "canceled"];
const filters = { status: "", model: "", schedule_id: "" };
let cursors = [""];  // the cursor of each page seen, so "newer" can go back

export async function jobsView(ctx) {
  const body = h("tbody");
  const pager = h("div", { className: "pager" });
  const table = h("table", { className: "jobs" }, h("thead", {}, h("tr", {}, ...jobColumns())), body);
  fill(ctx.view, h("section", {}, h("div", { className: "head" }, h("h1", {}, "Jobs"), filterForm()),
    h("div", { className: "scroll" }, table), pager));
  ctx.repeat(() => refresh(ctx, body, pager), POLL_MS);
}

function jobColumns() {
  return ["Status", "Job", "Model", "Rows", "Rows/s", "Started", "Duration", "Error"].map((c) => h("th", {}, c));
}

async function refresh(ctx, body, pager) {
  const cursor = cursors.at(-1);
  const summary = await api("GET", `/v1/console/summary${query({ ...filters, limit: PAGE_ROWS, cursor })}`);
  if (!ctx.alive) return false;
  learn(summary);
  fill(body, summary.jobs.length ? summary.jobs.map(jobRow) : emptyRow());
  fill(pager, pagerButtons(summary.next_cursor), h("span", { className: "muted" },
    `${num(summary.workers)} worker${summary.workers === 1 ? "" : "s"} alive`));
}

function emptyRow() {
  return h("tr", {}, h("td", { colSpan: 8, className: "muted empty" },
    "No jobs yet. Submit one with `batchsvc submit`, POST /v1/jobs, or a model's Try it form."));
}

/** One job as a table row; every cell is labelled for the phone layout. */
export function jobRow(job) {
  const p = job.progress;
  const cells = [badge(job.status), jobLink(job), ref(job.model), bar(p.rows_done, p.rows_total),
    rate(job), when(job.started_at), duration(elapsed(job.started_at, job.finished_at)), errorLine(job.error)];
  const labels = jobColumns().map((th) => th.textContent);
  return h("tr", { className: `s-${job.status}`, id: `job-${job.id}` },
    cells.map((cell, i) => h("td", { "data-label": labels[i] }, cell)));
}

function jobLink(job) {
  return h("a", { href: `#/jobs/${job.id}`, title: job.id }, job.name || job.id.slice(0, 12));
}

/** Rows per second over the run so far (as the CLI counts them); "–" before a row is done. */
export function rate(job) {
  const seconds = elapsed(job.started_at, job.finished_at);
  if (!seconds || seconds <= 0 || !job.progress.rows_done) return "–";
  return `${num(Math.round(job.progress.rows_done / seconds))}/s`;
}

export function errorLine(error) {
  if (!error) return "";
  return h("span", { className: "err", title: error.message }, error.message);
}

function filterForm() {
  const status = h("select", { name: "status", ariaLabel: "status" },
    STATUSES.map((s) => h("option", { value: s, selected: s === filters.status }, s || "any status")));
  const model = h("input", { name: "model", placeholder: "model name", value: filters.model, ariaLabel: "model" });
  const schedule = h("input", { name: "schedule_id", placeholder: "schedule id", value: filters.schedule_id,
    ariaLabel: "schedule id" });
  const apply = (event) => {
    event.preventDefault();
    Object.assign(filters, { status: status.value, model: model.value.trim(), schedule_id: schedule.value.trim() });
    cursors = [""];
    rerender();
  };
  status.addEventListener("change", apply);
  return h("form", { className: "filters", onsubmit: apply }, status, model, schedule,
    h("button", { type: "submit" }, "Filter"));
}

function pagerButtons(next) {
  const newer = h("button", { type: "button", disabled: cursors.length < 2 }, "← Newer");
  const older = h("button", { type: "button", disabled: !next }, "Older →");
  newer.onclick = () => { cursors.pop(); rerender(); };
  older.onclick = () => { cursors.push(next); rerender(); };
  return [newer, older];
}
