// Models: the list; a model's versions, aliases (promote), features, classes, sha256; the try-it form.

import { api, can } from "./api.js";
import { rerender } from "./app.js";
import { at, fill, h, num, when } from "./dom.js";
import { guard } from "./job.js";
import { tryIt } from "./tryit.js";

const SHA_SHOWN = 12;  // characters of a sha256 shown (all of it on hover)

export async function modelsView(ctx) {
  const { models } = await api("GET", "/v1/models");
  const head = ["Model", "Task", "Latest", "Versions", "Aliases", "Updated"];
  const rows = models.map((m) => h("tr", {}, [h("a", { href: `#/models/${m.name}` }, m.name), m.task,
    `v${m.latest_version}`, num(m.versions), aliases(m.aliases), when(m.updated_at)]
    .map((c, i) => h("td", { "data-label": head[i] }, c))));
  fill(ctx.view, h("section", {}, h("div", { className: "head" }, h("h1", {}, "Models")), h("div",
    { className: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colSpan: 6, className: "muted empty" },
      "No models. Register one with `batchsvc models register NAME FILE.joblib`.")))))));
}

function aliases(map) {
  const names = Object.entries(map);
  return names.length ? names.map(([a, v]) => h("span", { className: "chip" }, `${a} → v${v}`)) : "–";
}

export async function modelPage(ctx, refText) {
  const [name, chosen] = refText.split("@");
  const model = await api("GET", `/v1/models/${encodeURIComponent(name)}`);
  const version = model.versions.find((v) => String(v.version) === chosen) || model.versions.at(-1);
  fill(ctx.view, h("section", {}, h("p", {}, h("a", { href: "#/models" }, "← All models")),
    h("div", { className: "head" }, h("h1", {}, model.name),
      Object.keys(model.aliases).length ? h("span", {}, aliases(model.aliases)) : null),
    h("div", { className: "card" }, h("h2", {}, "Versions"), versionsTable(model, version)),
    can("admin") ? promoteForm(model, version) : null,
    h("div", { className: "grid2" }, h("div", { className: "card" }, h("h2", {}, `Version ${version.version}`),
      h("dl", { className: "facts" }, versionFacts(version)), featureList(version)), tryIt(version))));
}

function versionsTable(model, shown) {
  const head = ["Version", "Aliases", "Created", "Task", "Features", "sha256", ""];
  const rows = model.versions.slice().reverse().map((v) => h("tr", { className: v === shown ? "on" : "" }, [
    `v${v.version}`, aliases(Object.fromEntries(Object.entries(model.aliases).filter(([, n]) => n === v.version))),
    when(v.created_at), v.task, num(v.features.length), sha(v.sha256),
    v === shown ? "shown" : h("a", { href: `#/models/${model.name}@${v.version}` }, "show")]
    .map((c, i) => h("td", { "data-label": head[i] }, c))));
  return h("div", { className: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows)));
}

const sha = (digest) => h("code", { title: digest }, `${digest.slice(0, SHA_SHOWN)}…`);

function versionFacts(v) {
  const rows = [["Task", v.task], ["Classes", v.classes ? v.classes.join(", ") : "–"], ["Created", at(v.created_at)],
    ["sha256", h("code", { className: "wrap" }, v.sha256)], ["Description", v.description || "–"],
    ["Tags", v.tags.length ? v.tags.join(", ") : "–"]];
  return rows.flatMap(([k, val]) => [h("dt", {}, k), h("dd", {}, val)]);
}

function featureList(v) {
  const items = v.features.map((f) => h("li", {}, h("code", {}, f), h("span", { className: "muted" },
    v.categories?.[f] ? ` one of ${num(v.categories[f].length)}: ${v.categories[f].join(", ")}` : " number")));
  return [h("h3", {}, `Features (${num(v.features.length)})`), h("ul", { className: "features" }, items)];
}

function promoteForm(model, version) {
  const alias = h("input", { name: "alias", value: "production", required: true, ariaLabel: "alias",
    pattern: "[A-Za-z][A-Za-z0-9_.\\-]*" });
  const pick = h("select", { name: "version", ariaLabel: "version" }, model.versions.slice().reverse().map((v) =>
    h("option", { value: v.version, selected: v === version }, `v${v.version}`)));
  const submit = async (event) => {
    event.preventDefault();
    const body = { version: Number(pick.value) };
    if (await guard(() => api("PUT", `/v1/models/${model.name}/aliases/${alias.value.trim()}`, body))) rerender();
  };
  return h("form", { className: "card row promote", onsubmit: submit }, h("h2", {}, "Promote"),
    h("label", {}, "alias ", alias), h("label", {}, "→ ", pick), h("button", { type: "submit" }, "Point alias"));
}
