// Deployments: the list (state, served versions with their weights, counters, scoring URL, a create form for
// admins); a deployment's page: state and why it failed, served version, scoring URL with a curl line, its rollout
// (rollout.js: traffic, shadow, drift, keys), recent requests with their errors (polled), and a try-it form that
// scores through the deployment's own URL.

import { api, can } from "./api.js";
import { rerender } from "./app.js";
import { action, at, fill, h, num, when } from "./dom.js";
import { guard } from "./job.js";
import { rolloutCards, weights } from "./rollout.js";
import { tryIt } from "./tryit.js";

const POLL_MS = 2000;
const LOG_ROWS = 25;
const STATE_CLASS = { ready: "s-completed", failed: "s-failed" };
const STATE_MARK = { ready: "✓", failed: "✕" };

/** A state badge: ready or failed, with a mark, so it reads without colour too. */
function stateBadge(state) {
  return h("span", { className: `badge ${STATE_CLASS[state] || ""}` }, h("span", { ariaHidden: "true" },
    STATE_MARK[state] || "•"), ` ${state}`);
}

const served = (d) => (d.serving ? h("a", { href: `#/models/${d.serving.name}@${d.serving.version}` },
  h("span", { className: "ref" }, `${d.serving.name}@${d.serving.version}`)) : h("span", { className: "muted" }, "–"));

export async function deploymentsView(ctx) {
  const { deployments } = await api("GET", "/v1/deployments");
  const head = ["State", "Deployment", "Serving", "Model", "Requests", "Errors", "Scoring URL"];
  const rows = deployments.map((d) => h("tr", { id: `deployment-${d.name}` }, [stateBadge(d.state),
    h("a", { href: `#/deployments/${d.name}` }, d.name), served(d), split(d), num(d.counters.requests),
    num(d.counters.errors), h("code", { className: "wrap" }, d.scoring_url)]
    .map((c, i) => h("td", { "data-label": head[i] }, c))));
  fill(ctx.view, h("section", {}, h("div", { className: "head" }, h("h1", {}, "Deployments")),
    can("admin") ? createForm() : null,
    h("div", { className: "scroll" }, h("table", { className: "deployments" }, h("thead", {}, h("tr", {},
      head.map((c) => h("th", {}, c)))), h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colSpan: 7,
      className: "muted empty" }, "No deployments. Create one here or with `batchsvc deployments create NAME "
      + "--model MODEL@ALIAS`.")))))));
}

function createForm() {
  const name = h("input", { name: "name", placeholder: "name", required: true, ariaLabel: "deployment name",
    pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]*" });
  const model = h("input", { name: "model", placeholder: "model@alias", required: true, ariaLabel: "model" });
  const submit = async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), model: model.value.trim() };
    const made = await guard(() => api("POST", "/v1/deployments", body));
    if (made) location.hash = `#/deployments/${made.name}`;
  };
  return h("form", { className: "card row", onsubmit: submit }, h("h2", {}, "Deploy"), name, model,
    h("button", { type: "submit", className: "primary" }, "Create deployment"));
}

/** Its model, or each ref of its traffic split with the weight. */
const split = (d) => h("span", {}, weights(d).map(([ref, weight], i) => [i ? ", " : "", h("code", {}, ref),
  d.traffic ? ` ${weight}%` : ""]));

export async function deploymentPage(ctx, name) {
  const d = await api("GET", `/v1/deployments/${encodeURIComponent(name)}`);
  const logs = h("tbody");
  const version = d.serving ? await servingVersion(d.serving) : null;
  const rollout = rolloutCards(d);
  const refresh = async () => {
    await rollout.refresh();
    const answer = await api("GET", `/v1/deployments/${encodeURIComponent(name)}/logs?limit=${LOG_ROWS}`);
    if (!ctx.alive) return false;
    fill(logs, answer.logs.length ? answer.logs.map(logRow) : h("tr", {}, h("td", { colSpan: 7, className:
      "muted empty" }, "No requests yet: score a row below, or call the scoring URL.")));
  };
  fill(ctx.view, h("section", { className: "deployment" }, h("p", {}, h("a", { href: "#/deployments" },
    "← All deployments")), h("div", { className: "head" }, h("h1", {}, d.name), stateBadge(d.state),
    can("admin") ? action("Delete", () => remove(d), { className: "danger ghost" }) : null),
  d.state === "failed" ? h("div", { className: "card errorbox", role: "alert" }, h("h2", {}, "✕ Failed"),
    h("p", { className: "message" }, d.reason)) : null,
  h("div", { className: "grid2" }, h("div", { className: "card" }, h("h2", {}, "Deployment"),
    h("dl", { className: "facts" }, facts(d))), version ? tryIt(version, `/v1/deployments/${d.name}/predictions`,
    () => ctx.alive && refresh()) : h("div", { className: "card muted" }, "Nothing to try: it serves no version.")),
  rollout.cards, h("div", { className: "card" }, h("h2", {}, "Recent requests"), h("div", { className: "scroll" },
    h("table", { className: "logs" }, h("thead", {}, h("tr", {}, LOG_HEAD.map((c) => h("th", {}, c)))), logs)))));
  ctx.repeat(refresh, POLL_MS);
}

async function servingVersion(serving) {
  return api("GET", `/v1/models/${encodeURIComponent(serving.name)}/versions/${serving.version}`);
}

function facts(d) {
  const c = d.counters;
  const curl = `curl -s -X POST ${d.scoring_url} -H 'Content-Type: application/json' -d '{"records": [{...}]}'`;
  const rows = [["Id", h("code", {}, d.id)], ["Model", h("code", {}, d.model)], ["Serving", served(d)],
    ["Engine", d.engine || "auto"], ["Scoring URL", h("code", { className: "wrap scoring-url" }, d.scoring_url)],
    ["Call it", h("code", { className: "wrap" }, curl)], ["Requests", `${num(c.requests)} (${num(c.rows)} rows, `
    + `${num(c.errors)} errors)`], ["Created", at(d.created_at)], ["Description", d.description || "–"]];
  return rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]);
}

const LOG_HEAD = ["Time", "Status", "Rows", "ms", "Version", "Engine", "Error"];

function logRow(entry) {
  const ok = entry.status === 200;
  const cells = [when(entry.time), h("span", { className: `badge ${ok ? "s-completed" : "s-failed"}` },
    String(entry.status)), num(entry.rows), entry.ms.toFixed(1), entry.version ? `v${entry.version}` : "–",
  entry.engine || "–", entry.error ? h("span", { className: "err", title: entry.error }, entry.error) : ""];
  return h("tr", { className: ok ? "" : "s-failed" }, cells.map((c, i) => h("td", { "data-label": LOG_HEAD[i] }, c)));
}

async function remove(d) {
  if (!confirm(`Delete deployment ${d.name}? Its model stays registered.`)) return;
  if ((await guard(() => api("DELETE", `/v1/deployments/${d.name}`))) !== undefined) location.hash = "#/deployments";
  else rerender();
}
