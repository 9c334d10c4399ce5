// Assistance records a township keeps current all year: projects 项目管理 (#/projects?division=
// &year=&category=&status=) with their funds and beneficiary households, and microcredit
// 小额信贷 (#/loans?division=&status=&overdue=1) with the overdue loans the coverage counts.
import { api } from "./api.js";
import { addText, label, t } from "./i18n.js";
import { division, el, go, message, placeName, problemText } from "./main.js";

addText({
  "nav.projects": ["项目管理", "Projects"], "nav.loans": ["小额信贷", "Microcredit"],
  "a.all": ["全部", "All"], "a.more": ["加载更多", "Load more"], "a.year": ["年度", "Year"],
  "a.category": ["项目类别", "Category"], "a.status": ["状态", "Status"],
  "p.name": ["项目名称", "Project"], "p.villages": ["实施村", "Villages"], "p.total": ["总投资(元)", "Total (yuan)"],
  "p.funds": ["中央/省级/市县/其他(元)", "Central/provincial/county/other (yuan)"], "p.dates": ["起止日期", "Dates"],
  "p.beneficiaries": ["受益户", "Beneficiaries"], "p.none": ["没有项目", "No project"],
  "p.benefit": ["受益金额(元)", "Benefit (yuan)"],
  "l.overdue_only": ["只看逾期", "Overdue only"], "l.number": ["户编号", "Household"], "l.head": ["户主", "Head"],
  "l.lender": ["贷款银行", "Lender"], "l.amount": ["金额(元)", "Amount (yuan)"], "l.issued": ["放款日期", "Issued"],
  "l.due": ["到期日期", "Due"], "l.subsidy": ["贴息(元)", "Subsidy (yuan)"], "l.overdue": ["逾期", "Overdue"],
  "l.none": ["没有贷款", "No loan"], "l.purpose": ["用途", "Purpose"],
});

const yuan = (v) => Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 2 });

/// A filter bar, a table whose body grows page by page ("load more"), and an empty note.
async function pagedTable(root, { title, path, query, filters, head, row, empty, id }) {
  const body = el("tbody", { id });
  const note = el("p", { class: "muted", hidden: true }, t(empty));
  let cursor = null;
  const load = async () => {
    const q = new URLSearchParams(query);
    if (cursor) q.set("cursor", cursor);
    const page = await api(`${path}?${q}`);
    for (const item of page.items) body.append(...[row(item)].flat());
    cursor = page.next_cursor;
    more.hidden = !cursor;
    note.hidden = body.children.length > 0;
  };
  const more = el("button", { type: "button", id: `${id}-more`, hidden: true, onclick: () => load().catch((e) => message(problemText(e), "error")) }, t("a.more"));
  await load();
  root.replaceChildren(el("h2", {}, title), el("div", { class: "filters" }, filters),
    el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, t(h))))), body), note, more);
}

function choice(id, name, values, current, onchange) {
  const select = el("select", { id, onchange: () => onchange(select.value) },
    el("option", { value: "" }, t("a.all")),
    values.map((v) => el("option", { value: v, selected: v === current }, label(name, v))));
  return select;
}

const CATEGORIES = ["industry", "employment", "infrastructure", "education", "health", "housing", "drinking_water", "other"];
const PROJECT_STATUSES = ["planned", "in_progress", "completed", "accepted", "cancelled"];
const LOAN_STATUSES = ["outstanding", "repaid", "overdue", "extended"];

export async function projectsView(root, params) {
  const code = division(params);
  const place = await placeName(code);
  const kept = { division: params.get("division") || "", year: params.get("year") || "", category: params.get("category") || "", status: params.get("status") || "" };
  const set = (k, v) => go("projects", { ...kept, [k]: v });
  const query = { division: code, limit: 100 };
  for (const k of ["year", "category", "status"]) if (kept[k]) query[k] = kept[k];
  const yearInput = el("input", { id: "p-year", type: "number", min: 2014, value: kept.year, placeholder: t("a.all"), onchange: () => set("year", yearInput.value) });
  await pagedTable(root, {
    title: `${t("nav.projects")} · ${place}`, path: "/projects", query, id: "project-rows", empty: "p.none",
    filters: [el("label", {}, t("a.year"), " ", yearInput), " ",
      el("label", {}, t("a.category"), " ", choice("p-category", "project_category", CATEGORIES, kept.category, (v) => set("category", v))), " ",
      el("label", {}, t("a.status"), " ", choice("p-status", "project_status", PROJECT_STATUSES, kept.status, (v) => set("status", v)))],
    head: ["p.name", "a.category", "a.year", "p.villages", "p.total", "p.funds", "a.status", "p.dates", "p.beneficiaries"],
    row: (p) => {
      const detail = el("tr", { class: "beneficiaries", hidden: true },
        el("td", { colspan: 9 }, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("l.number")), el("th", {}, t("p.villages")), el("th", {}, t("p.benefit")))),
          el("tbody", {}, p.beneficiaries.map((b) => el("tr", {}, el("td", {}, b.household_number), el("td", {}, b.village_code), el("td", {}, b.benefit_yuan == null ? "" : yuan(b.benefit_yuan))))))));
      const funds = [p.central_funds_yuan, p.provincial_funds_yuan, p.county_funds_yuan, p.other_funds_yuan].map(yuan).join(" / ");
      const line = el("tr", { "data-project": p.id, class: "clickable", onclick: () => { detail.hidden = !detail.hidden; } },
        el("td", {}, p.name), el("td", {}, label("project_category", p.category)), el("td", {}, p.year),
        el("td", {}, p.village_codes.join("、")), el("td", { class: "num" }, yuan(p.total_investment_yuan)), el("td", { class: "num" }, funds),
        el("td", {}, label("project_status", p.status)), el("td", {}, [p.start_date, p.end_date].filter(Boolean).join(" ~ ")),
        el("td", { class: "num" }, p.beneficiaries.length));
      return [line, detail];
    },
  });
}

export async function loansView(root, params) {
  const code = division(params);
  const place = await placeName(code);
  const kept = { division: params.get("division") || "", status: params.get("status") || "", overdue: params.get("overdue") || "" };
  const set = (k, v) => go("loans", { ...kept, [k]: v });
  const query = { division: code, limit: 100 };
  if (kept.status) query.status = kept.status;
  if (kept.overdue) query.overdue = "true";
  const overdue = el("input", { id: "l-overdue", type: "checkbox", checked: !!kept.overdue, onchange: () => set("overdue", overdue.checked ? "1" : "") });
  await pagedTable(root, {
    title: `${t("nav.loans")} · ${place}`, path: "/loans", query, id: "loan-rows", empty: "l.none",
    filters: [el("label", {}, overdue, " ", t("l.overdue_only")), " ",
      el("label", {}, t("a.status"), " ", choice("l-status", "loan_status", LOAN_STATUSES, kept.status, (v) => set("status", v)))],
    head: ["l.number", "l.head", "l.lender", "l.amount", "l.issued", "l.due", "l.purpose", "l.subsidy", "a.status", "l.overdue"],
    row: (e) => {
      const l = e.loan;
      return el("tr", { "data-loan": l.id, class: l.overdue ? "overdue" : "" },
        el("td", {}, e.household_number), el("td", {}, e.head_name), el("td", {}, l.lender), el("td", { class: "num" }, yuan(l.amount_yuan)),
        el("td", {}, l.issued_on), el("td", {}, l.extended_to ? `${l.due_on} → ${l.extended_to}` : l.due_on), el("td", {}, l.purpose ?? ""),
        el("td", { class: "num" }, yuan(l.interest_subsidy_yuan)), el("td", {}, label("loan_status", l.status)), el("td", {}, l.overdue ? t("l.overdue") : ""));
    },
  });
}
