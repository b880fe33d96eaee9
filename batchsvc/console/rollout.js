// A deployment's rollout, on its page: the versions it serves with their weights and a traffic slider (admin,
// confirmed before it is sent), the shadow's live comparison, the drift of the last window per feature as bars
// (with the figures beside them, so it reads without the chart), and the rotation of its keys (admin).

import { api, can } from "./api.js";
import { notice, rerender } from "./app.js";
import { action, fill, h, num } from "./dom.js";
import { guard } from "./job.js";

const WINDOWS = ["1h", "6h", "24h", "7d"];
const CHART_WIDTH_PX = 220;
const CHART_MAX_PSI = 0.5; // a bar's full width: PSI past this is drawn full and marked by its figure
const path = (d, tail = "") => `/v1/deployments/${encodeURIComponent(d.name)}${tail}`;

/** The rollout cards of a deployment; `refresh` redraws the live parts (called by the page's poll). */
export function rolloutCards(d) {
  const shadow = h("div", { className: "card shadow" });
  const drift = h("div", { className: "card drift" });
  const windowPick = h("select", { ariaLabel: "drift window", onchange: () => showDrift(d, drift, windowPick) },
    WINDOWS.map((w) => h("option", { value: w }, w)));
  const refresh = async () => Promise.all([showShadow(d, shadow), showDrift(d, drift, windowPick)]);
  const cards = h("div", { className: "grid2 rollout" }, trafficCard(d), shadow, drift,
    can("admin") ? keysCard(d) : null);
  return { cards, refresh };
}

/** The refs a deployment serves and their weights: its traffic split, else its one model at 100%. */
export function weights(d) {
  return d.traffic ? Object.entries(d.traffic) : [[d.model, 100]];
}

function trafficCard(d) {
  const rows = weights(d).map(([ref, weight]) => h("tr", {}, h("td", {}, h("code", {}, ref)),
    h("td", { className: "num" }, `${weight}%`)));
  return h("div", { className: "card traffic" }, h("h2", {}, "Traffic"),
    h("table", { className: "weights" }, h("thead", {}, h("tr", {}, h("th", {}, "Version"), h("th", {}, "Weight"))),
      h("tbody", {}, rows)),
    can("admin") ? slider(d) : null);
}

/** A canary slider: the share of traffic to the second ref (the shadow's model or the split's second one). */
function slider(d) {
  const [first, second] = canaryPair(d);
  const input = h("input", { type: "text", name: "canary", placeholder: "model@version", value: second || "",
    ariaLabel: "canary version" });
  const start = d.traffic && second ? d.traffic[second] : 0;
  const share = h("input", { type: "range", min: 0, max: 100, step: 5, value: start, ariaLabel: "canary weight" });
  const shown = h("output", {}, `${start}%`);
  share.addEventListener("input", () => { shown.value = `${share.value}%`; });
  const apply = async (event) => {
    event.preventDefault();
    const canary = input.value.trim();
    const traffic = split(first, canary, Number(share.value));
    if (!confirm(`Send ${share.value}% of ${d.name}'s requests to ${canary}, ${100 - share.value}% to ${first}?`)) return;
    if ((await guard(() => api("PATCH", path(d), { traffic }))) !== undefined) rerender();
  };
  return h("form", { className: "canary", onsubmit: apply }, h("label", {}, h("span", {}, "Canary"), input),
    h("label", {}, h("span", {}, "Share"), share, shown),
    h("button", { type: "submit", className: "primary" }, "Apply traffic"));
}

/** The stable ref and the canary: a two-way split's refs, else the model and the shadow's model (if any). */
function canaryPair(d) {
  const refs = d.traffic ? Object.keys(d.traffic) : [d.model];
  return refs.length === 2 ? refs : [refs[0], d.shadow?.model || null];
}

/** A traffic body: all to the stable ref at 0%, all to the canary at 100%, else both with their weights. */
function split(stable, canary, percent) {
  if (!canary || percent === 0) return { [stable]: 100 };
  if (percent === 100) return { [canary]: 100 };
  return { [stable]: 100 - percent, [canary]: percent };
}

async function showShadow(d, card) {
  if (!d.shadow) {
    fill(card, h("h2", {}, "Shadow"), h("p", { className: "muted" }, "No shadow: PATCH the deployment with "
      + "{\"shadow\": {\"model\": \"name@version\", \"percent\": 100}} to compare a version on live traffic."));
    return;
  }
  const s = await api("GET", path(d, "/shadow"));
  const classes = Object.entries(s.abs_delta_p || {}).map(([label, delta]) => h("tr", {}, h("td", {}, label),
    h("td", { className: "num" }, delta.mean.toFixed(4)), h("td", { className: "num" }, delta.max.toFixed(4))));
  const agreement = s.label_agreement === null ? "–" : `${(s.label_agreement * 100).toFixed(2)}%`;
  const latency = s.latency_ms ? `${s.latency_ms.mean.toFixed(2)} ms mean, ${(s.latency_ms.max ?? 0).toFixed(2)} ms max`
    : "–";
  fill(card, h("h2", {}, "Shadow ", h("code", {}, s.model), ` at ${s.percent}%`), h("dl", { className: "facts" },
    [["Compared", `${num(s.compared)} requests (${num(s.rows)} rows)`], ["Label agreement", agreement],
      ["Latency", latency], ["Errors", num(s.errors)], ["Dropped", num(s.dropped)]]
      .flatMap(([k, v]) => [h("dt", {}, k), h("dd", { className: `shadow-${k.toLowerCase().replace(" ", "-")}` }, v)])),
  classes.length ? h("table", { className: "deltas" }, h("thead", {}, h("tr", {}, h("th", {}, "Class"),
    h("th", {}, "mean |Δp|"), h("th", {}, "max |Δp|"))), h("tbody", {}, classes)) : null);
}

async function showDrift(d, card, windowPick) {
  const answer = await api("GET", path(d, `/drift?window=${windowPick.value}`));
  const parts = driftParts(answer);
  fill(card, h("div", { className: "head" }, h("h2", {}, "Drift"), windowPick),
    parts.length ? parts.map(([label, compared]) => driftChart(label, compared))
      : h("p", { className: "muted empty" }, "No captured requests in this window: turn capture on "
        + "({\"capture\": {\"percent\": 10}}) to watch the data this deployment sees."));
}

/** [label, comparison] per version that answered in the window; one without a baseline says so. */
function driftParts(answer) {
  return (answer.versions || []).map((v) => [`${v.model}@${v.version} · ${num(v.rows)} rows`, v]);
}

/** Per feature a bar of its PSI with the threshold marked, the figure beside it, drifted ones named. */
function driftChart(label, compared) {
  if (!compared.features) {
    return h("p", {}, h("strong", {}, label), " — no baseline for this version: register it with one to compare");
  }
  const limit = compared.thresholds?.psi ?? 0.2;
  const x = (psi) => Math.min(1, psi / CHART_MAX_PSI) * CHART_WIDTH_PX;
  const rows = Object.entries(compared.features).map(([name, f]) => h("tr", { className: f.drifted ? "drifted" : "" },
    h("td", { className: "feature" }, name), h("td", {}, psiBar(f.psi ?? 0, x, limit)),
    h("td", { className: "num" }, f.psi === null ? "–" : f.psi.toFixed(3)),
    h("td", {}, f.drifted ? h("span", { className: "badge s-failed" }, "✕ drifted") : h("span", { className: "muted" },
      "ok"))));
  const drifted = compared.judged === false ? "too few rows to call any feature drifted"
    : compared.drifted?.length ? `drifted: ${compared.drifted.join(", ")}` : "nothing drifted";
  return h("div", { className: "driftchart" }, h("p", {}, h("strong", {}, label), ` — PSI over ${limit} is drift; `,
    drifted), h("table", { className: "psi" }, h("tbody", {}, rows)));
}

function psiBar(psi, x, limit) {
  const svg = (tag, attrs) => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  };
  const chart = svg("svg", { width: CHART_WIDTH_PX, height: 12, role: "img", "aria-label": `PSI ${psi.toFixed(3)}` });
  chart.append(svg("rect", { x: 0, y: 1, width: Math.max(1, x(psi)), height: 10,
    class: psi > limit ? "bar over" : "bar" }), svg("line", { x1: x(limit), x2: x(limit), y1: 0, y2: 12,
    class: "limit" }));
  return chart;
}

function keysCard(d) {
  const rotate = (slot) => action(`Rotate ${slot.toLowerCase()} key`, async () => {
    if (!confirm(`Replace ${d.name}'s ${slot.toLowerCase()} key? Clients using it are refused from now on.`)) return;
    const done = await guard(() => api("POST", path(d, "/regenerateKeys"), { keyType: slot }));
    if (done !== undefined) notice(`${d.name}: ${slot.toLowerCase()} key replaced`, "info");
  }, { className: "ghost" });
  return h("div", { className: "card keys" }, h("h2", {}, "Keys"), h("p", { className: "muted" },
    "Rotate one key while clients move to the other (Azure ML's primary and secondary keys)."),
  h("div", { className: "row" }, rotate("Primary"), rotate("Secondary")));
}
