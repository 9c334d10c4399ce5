// Problem ledger 问题台账: problems of the division with filters kept in the hash, status changes
// with If-Match (a 412 reloads the row and says so), export to xlsx.
import { api, download, ApiError } from "./api.js";
import { label, t } from "./i18n.js";
import { division, el, go, message, placeName, problemText } from "./main.js";

const NEXT = { open: ["verified", "dismissed"], verified: ["rectified", "dismissed"], rectified: ["closed"] };
const STATUSES = ["open", "verified", "rectified", "closed", "dismissed", "resolved_by_data"];

function query(params, extra = {}) {
  const q = new URLSearchParams({ division: division(params) });
  for (const k of ["rule", "status", "overdue"]) if (params.get(k)) q.set(k, params.get(k));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

/// A village's name in a cell: filled in when read (each village once, see placeName).
function villageName(code) {
  const cell = document.createTextNode(code);
  placeName(code).then((name) => { cell.textContent = name; });
  return cell;
}

export async function ledgerView(root, params) {
  const [rules, page, place] = await Promise.all([api("/quality/rules"), api(`/quality/problems?${query(params, { limit: 200 })}`), placeName(division(params))]);
  const filters = () => Object.fromEntries([...params].filter(([k]) => k !== "cursor"));
  const set = (k, v) => go("ledger", { ...filters(), [k]: v });
  const ruleSelect = el("select", { id: "rule-filter", onchange: () => set("rule", ruleSelect.value) },
    el("option", { value: "" }, t("ledger.all")),
    rules.map((r) => el("option", { value: r.id, selected: params.get("rule") === r.id }, `${label("quality_rule", r.id)} · ${label("severity", r.severity)}`)));
  const statusSelect = el("select", { id: "status-filter", onchange: () => set("status", statusSelect.value) },
    el("option", { value: "" }, t("ledger.all")),
    STATUSES.map((s) => el("option", { value: s, selected: params.get("status") === s }, label("problem_status", s))));
  const overdue = el("input", { type: "checkbox", id: "overdue-filter", checked: params.get("overdue") === "true", onchange: () => set("overdue", overdue.checked ? "true" : "") });
  const exportXlsx = async () => {
    try {
      const res = await api(`/quality/problems?${query(params, { format: "xlsx" })}`, { raw: true });
      download(URL.createObjectURL(await res.blob()), `问题台账-${division(params)}.xlsx`);
    } catch (e) { message(problemText(e), "error"); }
  };
  const body = el("tbody");
  const byId = new Map(page.items.map((p) => [p.id, p]));

  function row(p) {
    const note = el("input", { placeholder: t("ledger.note"), size: 16, class: "note" });
    const choice = el("select", { class: "next-status" }, el("option", { value: "" }, t("ledger.change")),
      (NEXT[p.status] || []).map((s) => el("option", { value: s }, label("problem_status", s))));
    const save = async () => {
      if (!choice.value) return;
      try {
        const saved = await api(`/quality/problems/${p.id}`, { method: "PATCH", ifMatch: p.version, body: { status: choice.value, note: note.value || null } });
        byId.set(saved.id, saved);
        tr.replaceWith(row(saved));
        message(t("ledger.saved"));
      } catch (e) {
        if (e instanceof ApiError && e.status === 412) {
          // Someone else changed it: show the row as it is now.
          const fresh = (await api(`/quality/problems?division=${p.village_code}&limit=500`)).items.find((x) => x.id === p.id);
          if (fresh) { byId.set(fresh.id, fresh); tr.replaceWith(row(fresh)); }
          message(t("ledger.stale"), "error");
        } else message(problemText(e), "error");
      }
    };
    const tr = el("tr", { "data-id": p.id, "data-status": p.status },
      el("td", { class: "village" }, villageName(p.village_code)), el("td", {}, p.household_number), el("td", {}, p.head_name),
      el("td", { title: `${label("severity", p.severity)} · ${p.detail || ""}` }, p.rule ? label("quality_rule", p.rule) : p.description), el("td", { class: "status" }, label("problem_status", p.status)),
      el("td", { class: p.overdue ? "bad" : "" }, p.deadline || ""), el("td", {}, p.cadre_name || ""),
      el("td", {}, NEXT[p.status] ? [choice, note, el("button", { type: "button", class: "save", onclick: save }, "✓")] : []));
    return tr;
  }

  body.append(...page.items.map(row));
  root.replaceChildren(
    el("div", { class: "toolbar" },
      el("h2", { id: "ledger-title" }, `${t("nav.ledger")} · ${place}`),
      el("label", {}, `${t("ledger.rule")} `, ruleSelect), el("label", {}, `${t("ledger.status")} `, statusSelect),
      el("label", {}, overdue, ` ${t("ledger.overdue")}`),
      el("button", { type: "button", id: "export-xlsx", onclick: exportXlsx }, t("ledger.export")),
      el("span", { class: "muted", id: "problem-count" }, `${page.items.length}${page.next_cursor ? "+" : ""}`)),
    el("table", { id: "ledger-table" },
      el("thead", {}, el("tr", {}, ["col.name", "col.number", "col.head", "ledger.description", "ledger.status", "ledger.deadline", "ledger.cadre", "ledger.change"].map((k) => el("th", {}, t(k))))),
      body),
  );
  return null;
}
