// Try it: a form generated from a version's features (selects for encoded columns, numbers for the rest),
// filled with its sample row; it scores one row online where the API has that route, else as a one-row job.
// On a deployment's page it scores through the deployment's own scoring URL, so the request is in its log.

import { api, can, hasRoute } from "./api.js";
import { fill, h } from "./dom.js";

const ONLINE = "/v1/models/{ref}/predictions";
const JOB_WAIT_S = 30;

export function tryIt(version, scoringPath = null, onScored = null) {
  const out = h("div", { className: "answer", ariaLive: "polite" });
  const inputs = version.features.map((f) => field(f, version));
  const submit = (event) => score(event, { version, scoringPath, onScored }, inputs, out);
  const form = h("form", { className: "tryit", onsubmit: submit },
    h("div", { className: "fields" }, inputs.map(([label]) => label)),
    can("submitter") ? h("button", { type: "submit", className: "primary" }, "Score this row")
      : h("p", { className: "muted" }, "Scoring needs a submitter or admin key."));
  return h("div", { className: "card" }, h("h2", {}, "Try it"), form, out);
}

/** A labelled input for one feature: a select of the model's categories, else a number. */
function field(name, version) {
  const sample = version.sample?.[name];
  const categories = version.categories?.[name];
  const input = categories
    ? h("select", { name }, categories.map((c) => h("option", { value: c, selected: c === sample }, String(c))))
    : h("input", { name, type: "number", step: "any", required: true, value: sample ?? 0 });
  return [h("label", {}, h("span", {}, name), input), input, Boolean(categories)];
}

async function score(event, { version, scoringPath, onScored }, inputs, out) {
  event.preventDefault();
  const button = event.target.querySelector("button");
  button.disabled = true;
  fill(out, h("p", { className: "muted" }, "Scoring…"));
  try {
    const fields = inputs.map(([, input]) => input.name);
    const row = inputs.map(([, input, text]) => (text ? input.value : Number(input.value)));
    const answer = scoringPath ? await predictAt(scoringPath, fields, row)
      : await predict(`${version.name}@${version.version}`, fields, row);
    show(out, answer, version.classes);
  } catch (error) {
    fill(out, h("p", { className: "err" }, error.message));
  } finally {
    button.disabled = false;
    if (onScored) onScored();
  }
}

/** {fields, values} of one row scored at a scoring URL (a deployment's). */
async function predictAt(path, fields, row) {
  return (await api("POST", path, { input_data: [{ fields, values: [row] }] })).predictions[0];
}

/** {fields, values} of one scored row: online when the route exists, else a one-row job waited on. */
async function predict(ref, fields, row) {
  const input = { fields, values: [row] };
  if (await hasRoute("POST", ONLINE)) {
    const answer = await api("POST", `/v1/models/${encodeURIComponent(ref)}/predictions`, { input_data: [input] });
    return answer.predictions[0];
  }
  const job = await api("POST", "/v1/jobs", { model: ref, input, name: "try-it", output: { format: "jsonl" } });
  const done = await api("GET", `/v1/jobs/${job.id}?wait=${JOB_WAIT_S}`);
  if (done.status !== "completed") throw new Error(done.error?.message || `the job is ${done.status}`);
  return done.result.predictions;
}

function show(out, predictions, classes) {
  const at = (name) => predictions.fields.indexOf(name);
  const first = predictions.values[0];
  const label = first[at("prediction")];
  const probabilities = at("probability") >= 0 ? first[at("probability")] : null;
  fill(out, h("p", { className: "label" }, h("span", { className: "muted" }, "prediction "),
    h("strong", { className: "predicted" }, String(label))),
  probabilities && classes ? h("ul", { className: "bars" }, classes.map((c, i) => probability(c, probabilities[i],
    c === label))) : null);
}

function probability(name, p, top) {
  return h("li", { className: top ? "top" : "" }, h("span", { className: "cls" }, String(name)),
    h("span", { className: "pbar" }, h("span", { style: `width:${(p * 100).toFixed(1)}%` })),
    h("span", { className: "pval", title: String(p) }, `${(p * 100).toFixed(1)} %`));
}
