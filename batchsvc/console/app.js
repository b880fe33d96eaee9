// The console: a router over #/jobs, #/jobs/ID, #/schedules, #/schedules/ID, #/models, #/models/NAME,
// #/deployments, #/deployments/NAME, the key bar, notices and the polling that each view starts and the next stops.

import { ApiError, api, session, setKey } from "./api.js";
import { deploymentPage, deploymentsView } from "./deployments.js";
import { fill, h } from "./dom.js";
import { jobPage } from "./job.js";
import { jobsView } from "./jobs.js";
import { modelPage, modelsView } from "./models.js";
import { schedulePage, schedulesView } from "./schedules.js";

const ROUTES = [
  [/^#\/jobs\/([\w-]+)$/, jobPage], [/^#\/schedules\/([\w-]+)$/, schedulePage],
  [/^#\/models\/(.+)$/, modelPage], [/^#\/deployments\/(.+)$/, deploymentPage], [/^#\/schedules$/, schedulesView],
  [/^#\/models$/, modelsView], [/^#\/deployments$/, deploymentsView], [/^#\/jobs$/, jobsView],
];
let current = { timers: [], alive: false };

/** What a view gets: where to draw, repeat(fn, ms) polling that stops with the view, and report(error). */
function context() {
  const ctx = { timers: [], alive: true, view: document.getElementById("view") };
  ctx.repeat = (fn, ms) => repeat(ctx, fn, ms);
  ctx.report = (error) => report(ctx, error);
  return ctx;
}

async function repeat(ctx, fn, ms) {
  while (ctx.alive) {
    try { if ((await fn()) === false) return; } catch (error) { ctx.report(error); }
    await new Promise((resolve) => ctx.timers.push(setTimeout(resolve, document.hidden ? ms * 5 : ms)));
  }
}

function report(ctx, error) {
  if (error instanceof ApiError && error.status === 401) {
    ctx.alive = false;
    return askForKey(error.message);
  }
  notice(error.message || String(error));
}

/** A line at the top of the page; empty hides it. */
export function notice(message, kind = "error") {
  const box = document.getElementById("notice");
  box.hidden = !message;
  box.className = `notice ${kind}`;
  fill(box, message || "", message ? h("button", { type: "button", className: "link", onclick: () => notice("") },
    "dismiss") : null);
}

/** Draw the current view again (new filters, after an action). */
export const rerender = () => route();

function stop() {
  current.alive = false;
  current.timers.forEach(clearTimeout);
}

async function route() {
  stop();
  notice("");
  const hash = location.hash || "#/jobs";
  const [pattern, view] = ROUTES.find(([p]) => p.test(hash)) || ROUTES.at(-1);
  const ctx = (current = context());
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("on", hash.startsWith(a.hash)));
  try {
    await whoami();
    await view(ctx, ...(hash.match(pattern) || []).slice(1).map(decodeURIComponent));
  } catch (error) { ctx.report(error); }
}

/** Learn the key's name and role (auth off: admin) from the summary's principal. */
async function whoami() {
  if (session.role) return;
  const answer = await api("GET", "/v1/console/summary?limit=1");
  learn(answer);
}

/** Remember who the summary says we are and redraw the key bar. */
export function learn(summary) {
  Object.assign(session, { role: summary.principal.role, name: summary.principal.name, auth: summary.auth });
  drawWho();
}

function drawWho() {
  const who = document.getElementById("who");
  const label = session.auth ? `${session.name} · ${session.role}` : "auth off · admin";
  fill(who, h("span", { className: `role r-${session.role}`, title: "the role of the key this tab uses" }, label),
    session.auth ? h("button", { type: "button", className: "link", onclick: forget }, "change key") : null);
}

function forget() {
  setKey("");
  askForKey("Type an API key for this tab.");
}

function askForKey(message) {
  stop();
  session.role = null;
  fill(document.getElementById("who"));
  const input = h("input", { type: "password", name: "key", placeholder: "API key", autocomplete: "off",
    required: true, ariaLabel: "API key" });
  const form = h("form", { className: "card keyform", onsubmit: (event) => useKey(event, input) },
    h("h2", {}, "This service needs an API key"), h("p", { className: "muted" }, message),
    h("p", { className: "muted" }, "It is kept for this tab only (sessionStorage) and sent with each request."),
    h("div", { className: "row" }, input, h("button", { type: "submit" }, "Use key")));
  fill(document.getElementById("view"), form);
  input.focus();
}

function useKey(event, input) {
  event.preventDefault();
  setKey(input.value);
  route();
}

window.addEventListener("hashchange", route);
route();
