// Schedules: cron or interval with its timezone, next and last run in local time (UTC on hover),
// pause/resume, run now, delete, and each schedule's fire history with the jobs it submitted.

import { api, can } from "./api.js";
import { rerender } from "./app.js";
import { action, at, duration, fill, h, when } from "./dom.js";
import { guard } from "./job.js";
import { jobRow } from "./jobs.js";

const POLL_MS = 5000;

export async function schedulesView(ctx) {
  const body = h("tbody");
  const head = ["Schedule", "When", "Next run", "Last run", "Last job", "State", ""].map((c) => h("th", {}, c));
  fill(ctx.view, h("section", {}, h("div", { className: "head" }, h("h1", {}, "Schedules")),
    h("div", { className: "scroll" }, h("table", { className: "schedules" }, h("thead", {}, h("tr", {}, head)),
      body))));
  const labels = head.map((th) => th.textContent);
  ctx.repeat(async () => {
    const { schedules } = await api("GET", "/v1/schedules");
    if (!ctx.alive) return false;
    fill(body, schedules.length ? schedules.map((s) => scheduleRow(s, labels)) : h("tr", {}, h("td",
      { colSpan: 7, className: "muted empty" }, "No schedules. Declare them in jobs/ and run "
        + "`batchsvc schedules apply jobs/`, or POST /v1/schedules.")));
  }, POLL_MS);
}

function scheduleRow(s, labels) {
  const cells = [h("a", { href: `#/schedules/${s.id}` }, s.name), cadence(s), at(s.next_run_at), when(s.last_run_at),
    s.last_job_id ? h("a", { href: `#/jobs/${s.last_job_id}` }, s.last_job_id.slice(0, 12)) : "–", state(s),
    h("div", { className: "actions" }, controls(s))];
  return h("tr", { id: `schedule-${s.id}` }, cells.map((c, i) => h("td", { "data-label": labels[i] }, c)));
}

/** "0 2 * * * (Europe/Berlin)" or "every 15 min (UTC)". */
function cadence(s) {
  const rule = s.cron ? h("code", {}, s.cron) : `every ${every(s.interval_s)}`;
  return h("span", {}, rule, h("span", { className: "muted" }, ` ${s.timezone}`));
}

/** An interval in its largest whole unit: "1 h", "15 min", "90 s". */
function every(seconds) {
  const [unit, size] = [["d", 86400], ["h", 3600], ["min", 60]].find(([, n]) => seconds % n === 0) || ["s", 1];
  return size === 1 ? duration(seconds) : `${seconds / size} ${unit}`;
}

function state(s) {
  if (!s.enabled) return h("span", { className: "badge s-paused" }, "❚❚ paused");
  return s.last_error ? h("span", { className: "badge s-failed", title: s.last_error.message }, "✕ last fire failed")
    : h("span", { className: "badge s-active" }, "● active");
}

function controls(s) {
  if (!can("admin")) return [];
  const toggle = s.enabled ? action("Pause", () => patch(s, false)) : action("Resume", () => patch(s, true),
    { className: "primary" });
  return [toggle, action("Run now", () => runNow(s))];
}

async function patch(s, enabled) {
  await guard(() => api("PATCH", `/v1/schedules/${s.id}`, { enabled }));
  rerender();
}

async function runNow(s) {
  const job = await guard(() => api("POST", `/v1/schedules/${s.id}/run`));
  if (job) location.hash = `#/jobs/${job.id}`;
}

export async function schedulePage(ctx, id) {
  const s = await api("GET", `/v1/schedules/${id}`);
  const [{ events }, { jobs }] = await Promise.all([api("GET", `/v1/schedules/${id}/events`),
    api("GET", `/v1/jobs?schedule_id=${encodeURIComponent(id)}&limit=20`)]);
  const del = can("admin") ? action("Delete schedule", () => remove(s), { className: "danger ghost" }) : null;
  fill(ctx.view, h("section", {}, h("p", {}, h("a", { href: "#/schedules" }, "← All schedules")),
    h("div", { className: "head" }, h("h1", {}, s.name), state(s)),
    h("div", { className: "card" }, h("dl", { className: "facts" }, facts(s)), h("div", { className: "actions" },
      controls(s), del)),
    h("div", { className: "grid2" }, h("div", { className: "card" }, h("h2", {}, "Fire history"),
      h("ol", { className: "timeline" }, events.slice().reverse().map(historyItem))),
    h("div", { className: "card" }, h("h2", {}, "Its jobs"), jobsTable(jobs)))));
}

function facts(s) {
  const rows = [["When", cadence(s)], ["Next run", at(s.next_run_at)], ["Last run", at(s.last_run_at)],
    ["Model", h("code", {}, s.job.model)], ["Input", h("code", {}, JSON.stringify(s.job.input))],
    ["Source", s.source], ["Created", at(s.created_at)]];
  return rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]);
}

function historyItem(e) {
  const job = e.job_id ? h("a", { href: `#/jobs/${e.job_id}` }, e.job_id.slice(0, 12)) : null;
  return h("li", { className: `ev ev-${e.event}` }, h("span", { className: "evkind" }, e.event.replaceAll("_", " ")),
    when(e.at), e.fire_time ? h("span", { className: "muted" }, "for ", at(e.fire_time)) : null, job,
    e.error ? h("span", { className: "err" }, e.error.message) : null);
}

function jobsTable(jobs) {
  if (!jobs.length) return h("p", { className: "muted" }, "No jobs yet.");
  return h("div", { className: "scroll" }, h("table", { className: "jobs compact" }, h("tbody", {},
    jobs.map(jobRow))));
}

async function remove(s) {
  if (!confirm(`Delete schedule ${s.name}? Its jobs stay.`)) return;
  if ((await guard(() => api("DELETE", `/v1/schedules/${s.id}`))) !== undefined) location.hash = "#/schedules";
}

