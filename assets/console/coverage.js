// Coverage 覆盖率: the division tree with each child's figures, sortable, coloured against the
// targets, drill-down to villages; a village lists its households without a location (CSV).
import { api, all, download } from "./api.js";
import { csvText } from "./csv.js";
import { label, t } from "./i18n.js";
import { division, el, go } from "./main.js";

/// Targets: located and complete photo sets (share of households).
const TARGET_GOOD = 0.95;
const TARGET_WARN = 0.8;

const COLUMNS = [
  ["name", "col.name"], ["households", "col.households"], ["located_pct", "col.located"], ["stale", "col.stale"],
  ["low_accuracy", "col.low"], ["pending_moves", "col.moves"], ["sets_pct", "col.sets"], ["files_pct", "col.files"],
  ["photos_flagged", "col.flagged"], ["open_problems", "col.problems"],
];

function share(part, whole) { return whole > 0 ? part / whole : 0; }
function pctClass(v) { return v >= TARGET_GOOD ? "good" : v >= TARGET_WARN ? "warn" : "bad"; }
function countClass(v) { return v > 0 ? "warn" : "good"; }

function cell(row, key) {
  const v = row[key];
  if (key === "name") return el("td", {}, el("a", { href: `#/coverage?division=${row.code}` }, row.name || row.code));
  // A division without households has no shares to colour.
  if (row.households === 0 && key !== "households") return el("td", { class: "num muted" }, "—");
  if (key === "located_pct" || key === "sets_pct" || key === "files_pct") return el("td", { class: `num ${pctClass(v)}` }, `${(v * 100).toFixed(1)}%`);
  if (key === "households") return el("td", { class: "num" }, String(v));
  return el("td", { class: `num ${countClass(v)}` }, String(v));
}

function table(rows, sort, onSort) {
  const sorted = [...rows].sort((a, b) => {
    // Divisions without households have nothing to compare: always last.
    if ((a.households === 0) !== (b.households === 0)) return a.households === 0 ? 1 : -1;
    const x = a[sort.key], y = b[sort.key];
    const c = typeof x === "string" ? x.localeCompare(y, "zh") : x - y;
    return sort.asc ? c : -c;
  });
  const head = el("tr", {}, COLUMNS.map(([key, label]) => el("th", {
    class: `${key === "name" ? "" : "num"} ${sort.key === key ? `sorted ${sort.asc ? "asc" : ""}` : ""}`,
    "data-key": key, onclick: () => onSort(key),
  }, t(label))));
  return el("table", { id: "coverage-table" }, el("thead", {}, head),
    el("tbody", {}, sorted.map((r) => el("tr", { "data-code": r.code }, COLUMNS.map(([key]) => cell(r, key))))));
}

async function missingList(code) {
  const items = await all(`/coverage/missing?division=${code}`);
  const rows = items.map((h) => [h.number, h.head_name, label("category", h.category)]);
  const csv = () => {
    const text = csvText([[t("col.number"), t("col.head"), t("col.category")], ...rows]);
    download(URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv" })), `missing-${code}.csv`);
  };
  return [
    el("h2", {}, `${t("coverage.missing")} (${items.length})`),
    items.length === 0 ? el("p", { class: "muted" }, t("coverage.none")) : el("div", {},
      el("div", { class: "toolbar" }, el("button", { type: "button", id: "export-missing", onclick: csv }, t("coverage.export"))),
      el("table", { id: "missing-table" }, el("thead", {}, el("tr", {}, ["col.number", "col.head", "col.category"].map((k) => el("th", {}, t(k))))),
        el("tbody", {}, rows.map((r) => el("tr", {}, r.map((v) => el("td", {}, v)))))))
  ];
}

export async function coverageView(root, params) {
  const code = division(params);
  const [cov, summary] = await Promise.all([
    api(`/coverage?division=${code}`),
    api(`/quality/summary?division=${code}`).catch(() => ({ townships: [], villages: [] })),
  ]);
  const open = new Map([...summary.townships, ...summary.villages].map((s) => [s.code, s.unsettled]));
  const enrich = (r) => ({ ...r, sets_pct: share(r.photo_sets_complete, r.households), files_pct: share(r.files_complete, r.households), located_pct: r.located_pct / 100, open_problems: open.get(r.code) ?? 0 });
  const me = enrich(cov.division);
  const rows = cov.children.map(enrich);
  const sort = { key: params.get("sort") || "located_pct", asc: params.get("desc") !== "1" };
  // The way up (county › township), named as the divisions API names them.
  const crumbs = el("p", { class: "crumbs" });
  for (let parent = (await api(`/divisions/${me.code}`)).parent_code; parent; ) {
    const d = await api(`/divisions/${parent}`).catch(() => null);
    if (!d) break;
    crumbs.prepend(el("a", { href: `#/coverage?division=${d.code}` }, d.name), " › ");
    parent = d.parent_code;
  }
  // Drawn with the rest, so the page is whole when its title shows.
  const missing = me.level === "village" ? await missingList(me.code) : [];
  root.replaceChildren(
    crumbs,
    el("h2", { id: "division-title" }, `${me.name} · ${me.households} ${t("col.households")} · ${t("col.located")} ${(me.located_pct * 100).toFixed(1)}%`),
    el("div", { class: "toolbar" }, el("a", { href: `#/map?division=${me.code}` }, t("coverage.map")),
      me.loans_overdue > 0 ? [" · ", el("a", { id: "loans-overdue", href: `#/loans?division=${me.code}&overdue=1` }, `${t("coverage.loans_overdue")}: ${me.loans_overdue}`)] : null),
  );
  if (rows.length > 0) {
    const holder = el("div");
    const draw = () => holder.replaceChildren(table(rows, sort, (key) => {
      sort.asc = sort.key === key ? !sort.asc : true;
      sort.key = key;
      draw();
    }));
    draw();
    root.append(holder);
  }
  root.append(...missing);
  return null;
}
