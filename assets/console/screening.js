// Risk screening 集中摸排 (#/screening?division=&year=&proposal=): the households the criteria
// propose for inclusion, rollback or elimination, with the criterion and its figures; the
// village's list 摸排名单 as a workbook; and the cases opened for the rows ticked, in one request
// (POST /screening/cases — all or nothing; each refusal is shown beside its household).
import { api, download, ApiError } from "./api.js";
import { addText, label, t } from "./i18n.js";
import { division, el, go, message, placeName, problemText } from "./main.js";

addText({
  "nav.screening": ["集中摸排", "Risk screening"], "screening.title": ["集中摸排", "Risk screening"],
  "screening.year": ["年度", "Year"], "screening.proposal": ["建议", "Proposal"], "screening.all": ["全部", "All"],
  "screening.criterion": ["摸排依据", "Criterion"], "screening.figures": ["数据", "Figures"],
  "screening.none": ["没有符合摸排条件的农户", "No household meets a screening criterion"],
  "screening.more": ["加载更多", "Load more"], "screening.xlsx": ["下载摸排名单", "Download the list"],
  "screening.open": ["为所选农户启动程序", "Open cases for the selected households"],
  "screening.risk": ["风险类型（纳入）", "Risk type (inclusion)"], "screening.target": ["监测类别（纳入）", "Monitoring category (inclusion)"],
  "screening.opened": ["已启动程序", "Cases opened"], "screening.refused": ["未启动任何程序，以下农户不符合：", "No case was opened; these households were refused:"],
  "screening.select": ["请先勾选农户", "Tick households first"],
});

/// The case each proposal opens from the console (the API also takes 返贫 and 风险再标注).
const KIND = { inclusion: "inclusion", rollback: "risk_rollback", elimination: "exit" };
const TARGETS = ["monitored_unstable", "monitored_marginal", "monitored_hardship"];
const RISKS = ["illness", "disability", "schooling", "disaster", "accident", "unstable_work", "high_expenses", "labour_shortage", "other"];

export async function screeningView(root, params) {
  const code = division(params);
  const year = Number(params.get("year")) || new Date().getFullYear() - 1;
  const proposal = params.get("proposal") || "";
  const q = new URLSearchParams({ division: code, year, limit: 200 });
  if (proposal) q.set("proposal", proposal);
  const [first, place] = await Promise.all([api(`/screening?${q}`), placeName(code)]);
  const set = (k, v) => go("screening", { division: params.get("division") || "", year, proposal, [k]: v });

  const yearInput = el("input", { id: "s-year", type: "number", min: 2014, value: year, onchange: () => set("year", yearInput.value) });
  const proposalSelect = el("select", { id: "s-proposal", onchange: () => set("proposal", proposalSelect.value) },
    el("option", { value: "" }, t("screening.all")),
    Object.keys(KIND).map((p) => el("option", { value: p, selected: p === proposal }, label("screening_proposal", p))));
  const xlsx = el("button", { type: "button", id: "s-xlsx", onclick: async () => {
    try {
      const res = await api(`/screening.xlsx?${new URLSearchParams({ division: code, year, ...(proposal ? { proposal } : {}) })}`, { raw: true });
      download(URL.createObjectURL(await res.blob()), `摸排名单-${code}-${year}.xlsx`);
    } catch (e) { message(problemText(e), "error"); }
  } }, t("screening.xlsx"));

  const body = el("tbody", { id: "screening-rows" });
  const ticked = new Map();
  const addRows = (items) => {
    for (const r of items) {
      const key = `${r.household_id}:${r.criterion}`;
      const box = el("input", { type: "checkbox", "aria-label": r.number, onchange: () => { if (box.checked) ticked.set(key, r); else ticked.delete(key); } });
      const figures = Object.entries(r.figures).map(([k, v]) => `${label("screening_figure", k)} ${v}`).join("；");
      body.append(el("tr", { "data-household": r.household_id, "data-criterion": r.criterion },
        el("td", {}, box), el("td", {}, r.number), el("td", {}, r.head_name), el("td", {}, label("category", r.category)),
        el("td", {}, label("screening_proposal", r.proposal)), el("td", {}, label("screening_criterion", r.criterion)),
        el("td", { class: "muted" }, figures), el("td", { class: "refusal" })));
    }
  };
  addRows(first.items);
  let cursor = first.next_cursor;
  const more = el("button", { type: "button", id: "s-more", hidden: !cursor, onclick: async () => {
    try {
      const page = await api(`/screening?${q}&cursor=${encodeURIComponent(cursor)}`);
      addRows(page.items);
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (e) { message(problemText(e), "error"); }
  } }, t("screening.more"));

  const risk = el("select", { id: "s-risk" }, RISKS.map((r) => el("option", { value: r }, label("risk_type", r))));
  const target = el("select", { id: "s-target" }, TARGETS.map((c) => el("option", { value: c }, label("category", c))));
  const open = async (ev) => {
    ev.preventDefault();
    for (const cell of body.querySelectorAll(".refusal")) cell.textContent = "";
    if (!ticked.size) return message(t("screening.select"), "error");
    const cases = [...ticked.values()].map((r) => {
      const c = { household_id: r.household_id, criterion: r.criterion, kind: KIND[r.proposal], client_id: crypto.randomUUID() };
      if (r.proposal === "inclusion") Object.assign(c, { risk_types: [risk.value], target_category: target.value });
      return c;
    });
    try {
      const opened = await api("/screening/cases", { method: "POST", body: { year, cases } });
      // The rows stay (the list is the year's screening); each opened one says so.
      for (const c of opened.items) {
        const row = body.querySelector(`tr[data-household="${c.household_id}"][data-criterion="${c.screening.criterion}"]`);
        if (row) row.querySelector(".refusal").textContent = `${t("screening.opened")} · ${label("case_kind", c.kind)}`;
      }
      for (const box of body.querySelectorAll("input[type=checkbox]")) box.checked = false;
      ticked.clear();
      message(`${t("screening.opened")}: ${opened.items.length}`);
    } catch (e) {
      if (!(e instanceof ApiError) || e.problem.code !== "batch_refused") return message(problemText(e), "error");
      message(t("screening.refused"), "error");
      for (const f of e.problem.failures || []) {
        const row = body.querySelector(`tr[data-household="${f.household_id}"][data-criterion="${f.criterion}"]`);
        if (row) row.querySelector(".refusal").textContent = f.detail;
      }
    }
  };
  const form = el("form", { id: "screening-open", class: "card", onsubmit: open },
    el("label", {}, `${t("screening.risk")} `, risk), el("label", {}, `${t("screening.target")} `, target),
    el("button", { type: "submit", id: "s-open" }, t("screening.open")));

  root.replaceChildren(
    el("h2", {}, `${place} · ${t("screening.title")}`),
    el("p", {}, el("label", {}, `${t("screening.year")} `, yearInput), " ", el("label", {}, `${t("screening.proposal")} `, proposalSelect), " ", xlsx),
    first.items.length
      ? el("table", { id: "screening" },
        el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, t("col.number")), el("th", {}, t("col.head")), el("th", {}, t("col.category")),
          el("th", {}, t("screening.proposal")), el("th", {}, t("screening.criterion")), el("th", {}, t("screening.figures")), el("th", {}, ""))),
        body)
      : el("p", { class: "muted", id: "screening-none" }, t("screening.none")),
    more, form);
}
