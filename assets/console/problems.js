// Problems found by people and their rectification 整改 (#/problems), the daily list 问题整改清单
// (#/daily) and the year's reports. Entry: a household by number (or the whole village), source,
// category, a photo from the office computer; a problem's page: the plan (If-Match), progress
// with a photo, the two sign-offs, status changes, what is still missing.
import { api, download } from "./api.js";
import { label, t } from "./i18n.js";
import { division, el, go, message, placeName, problemText } from "./main.js";

const SOURCES = ["self_check", "audit", "inspection", "third_party", "complaint"];
const CATEGORIES = ["income_below_line", "guarantee_unmet", "inaccurate_data", "assistance_lacking", "procedure_irregular", "other"];
const GUARANTEES = ["food", "clothing", "education", "medical", "housing", "drinking_water"];
const NEXT = { open: ["verified", "dismissed"], verified: ["rectified", "dismissed"], rectified: ["closed"] };

/// Today as the service counts days (Beijing time, the default FANGPIN_TIMEZONE), whatever the
/// office computer's own zone.
const today = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
const options = (field, values, selected) => values.map((v) => el("option", { value: v, selected: v === selected }, label(field, v)));

/// Uploads a photo of the household from a file input; its id, or null without a file.
async function uploadPhoto(householdId, input) {
  const file = input.files[0];
  if (!file) return null;
  const form = new FormData();
  form.append("meta", new Blob([JSON.stringify({ kind: "door_with_cadre", taken_at: new Date().toISOString(), client_id: crypto.randomUUID() })], { type: "application/json" }));
  form.append("file", file, file.name);
  return (await api(`/households/${householdId}/photos`, { method: "POST", form })).id;
}

async function findHousehold(village, number) {
  const page = await api(`/households?division=${village}&q=${encodeURIComponent(number)}&limit=5`);
  return page.items.find((h) => h.number === number) || page.items[0];
}

function entryForm(params) {
  const village = el("input", { id: "p-village", value: division(params) || "", size: 14 });
  const number = el("input", { id: "p-number", placeholder: t("problems.number"), size: 18 });
  const source = el("select", { id: "p-source" }, options("problem_source", SOURCES, "self_check"));
  const category = el("select", { id: "p-category" }, options("problem_category", CATEGORIES));
  const guarantee = el("select", { id: "p-guarantee" }, el("option", { value: "" }, "—"), options("guarantee", GUARANTEES));
  const description = el("textarea", { id: "p-description", rows: 2, cols: 50 });
  const foundOn = el("input", { id: "p-found-on", type: "date", value: today() });
  const foundBy = el("input", { id: "p-found-by", size: 16 });
  const photo = el("input", { id: "p-photo", type: "file", accept: "image/jpeg" });
  const submit = async (ev) => {
    ev.preventDefault();
    try {
      const body = { source: source.value, category: category.value, guarantee: guarantee.value || null, description: description.value, found_on: foundOn.value, found_by: foundBy.value || null };
      if (number.value.trim()) {
        const h = await findHousehold(village.value, number.value.trim());
        if (!h) throw new Error(t("problems.no_household"));
        body.household_id = h.id;
        const photoId = await uploadPhoto(h.id, photo);
        if (photoId) body.evidence = [{ kind: "photo", id: photoId }];
      } else body.village_code = village.value;
      const p = await api("/quality/problems", { method: "POST", body });
      message(t("ledger.saved"));
      go("problems", { division: params.get("division") || "", id: p.id });
    } catch (e) { message(problemText(e), "error"); }
  };
  return el("form", { id: "problem-entry", class: "card", onsubmit: submit },
    el("h3", {}, t("problems.new")),
    el("label", {}, `${t("problems.village")} `, village), el("label", {}, `${t("col.number")} `, number),
    el("label", {}, `${t("problems.source")} `, source), el("label", {}, `${t("problems.category")} `, category),
    el("label", {}, `${t("problems.guarantee")} `, guarantee), el("br"),
    el("label", {}, `${t("ledger.description")} `, description), el("br"),
    el("label", {}, `${t("problems.found_on")} `, foundOn), el("label", {}, `${t("problems.found_by")} `, foundBy),
    el("label", {}, `${t("problems.photo")} `, photo),
    el("button", { type: "submit", id: "p-submit" }, t("problems.record")));
}

async function problemCard(id, params) {
  const d = await api(`/quality/problems/${id}`);
  const p = d.problem;
  const reload = () => go("problems", { division: params.get("division") || "", id, n: Date.now() });
  const act = (fn) => async (ev) => { ev?.preventDefault(); try { await fn(); message(t("ledger.saved")); reload(); } catch (e) { message(problemText(e), "error"); } };
  const measure = el("textarea", { id: "r-measure", rows: 2, cols: 50 }, p.measure || "");
  const responsible = el("input", { id: "r-responsible", value: p.responsible_name || "" });
  const deadline = el("input", { id: "r-deadline", type: "date", value: p.deadline });
  const plan = el("form", { id: "rectification", onsubmit: act(() => api(`/quality/problems/${id}/rectification`, { method: "PUT", ifMatch: p.version, body: { measure: measure.value, responsible_name: responsible.value, deadline: deadline.value } })) },
    el("h4", {}, t("problems.plan")), el("label", {}, `${t("problems.measure")} `, measure), el("br"),
    el("label", {}, `${t("problems.responsible")} `, responsible), el("label", {}, `${t("ledger.deadline")} `, deadline),
    el("button", { type: "submit", id: "r-save" }, t("problems.save")));
  const note = el("input", { id: "g-note", size: 40 });
  const photo = el("input", { id: "g-photo", type: "file", accept: "image/jpeg" });
  const progress = el("form", { id: "progress", onsubmit: act(async () => {
    const photoId = p.household_id ? await uploadPhoto(p.household_id, photo) : null;
    await api(`/quality/problems/${id}/progress`, { method: "POST", body: { noted_on: today(), note: note.value, evidence: photoId ? [{ kind: "photo", id: photoId }] : [] } });
  }) }, el("h4", {}, t("problems.progress")), note, photo, el("button", { type: "submit", id: "g-save" }, t("problems.add")));
  const signName = el("input", { id: "s-name", placeholder: t("problems.signer") });
  const sign = (role) => el("button", { type: "button", id: `sign-${role}`, onclick: act(() => api(`/quality/problems/${id}/signoffs`, { method: "POST", body: { role, name: signName.value || null } })) }, `${label("signoff_role", role)} ${t("problems.signs")}`);
  const moves = (NEXT[p.status] || []).map((s) => el("button", { type: "button", id: `to-${s}`, onclick: act(() => api(`/quality/problems/${id}`, { method: "PATCH", ifMatch: p.version, body: { status: s, note: s === "dismissed" ? note.value || t("problems.dismissed") : null } })) }, label("problem_status", s)));
  return el("section", { id: "problem-card", class: "card", "data-status": p.status },
    el("h3", {}, `${label("problem_source", p.source)} · ${p.description} · ${label("problem_status", p.status)}`),
    el("p", {}, `${p.household_number || p.village_code} ${p.head_name || ""} — ${p.detail}`),
    el("p", { class: p.overdue ? "bad" : "muted" }, `${t("problems.found_on")} ${p.found_on} · ${t("ledger.deadline")} ${p.deadline}`),
    plan, progress,
    el("ul", { id: "progress-list" }, d.progress.map((g) => el("li", {}, `${g.noted_on} ${g.note}`))),
    el("div", { id: "signoffs" }, el("h4", {}, t("problems.signoffs")), signName, sign("village_secretary"), sign("team_leader"),
      el("ul", {}, d.signoffs.map((s) => el("li", {}, `${label("signoff_role", s.role)}：${s.signer_name} ${s.signed_at.slice(0, 10)}`)))),
    el("p", { id: "missing", class: d.missing.length ? "bad" : "muted" }, d.missing.length ? `${t("problems.missing")}：${d.missing.join("；")}` : t("problems.complete")),
    el("div", { id: "status-moves" }, moves));
}

export async function problemsView(root, params) {
  const list = await api(`/quality/problems?division=${division(params)}&limit=100${params.get("source") ? `&source=${params.get("source")}` : ""}`);
  const people = list.items.filter((p) => p.source !== "cleaning");
  const rows = people.map((p) => el("tr", { "data-id": p.id },
    el("td", {}, el("a", { href: `#/problems?id=${p.id}` }, p.household_number || p.village_code)), el("td", {}, label("problem_source", p.source)),
    el("td", {}, p.description), el("td", { class: "status" }, label("problem_status", p.status)), el("td", { class: p.overdue ? "bad" : "" }, p.deadline)));
  const year = new Date().getFullYear();
  const report = (op, name) => el("button", { type: "button", id: `report-${op}`, onclick: async () => {
    try {
      const res = await api(`/reports/${op}.xlsx?division=${division(params)}&year=${year}`, { raw: true });
      download(URL.createObjectURL(await res.blob()), `${name}-${year}.xlsx`);
    } catch (e) { message(problemText(e), "error"); }
  } }, name);
  root.replaceChildren(
    el("div", { class: "toolbar" }, el("h2", {}, `${t("nav.problems")} · ${await placeName(division(params))}`),
      report("problems", "问题台账"), report("rectification", "整改清单"), report("self-assessment", "自查评估汇总")),
    params.get("id") ? await problemCard(params.get("id"), params) : entryForm(params),
    el("table", { id: "problems-table" }, el("thead", {}, el("tr", {}, ["col.number", "problems.source", "ledger.description", "ledger.status", "ledger.deadline"].map((k) => el("th", {}, t(k))))), el("tbody", {}, rows)));
  return null;
}

export async function dailyView(root, params) {
  const d = await api(`/quality/daily?division=${division(params)}`);
  const table = (key) => el("section", { id: `daily-${key}` }, el("h3", {}, `${t(`daily.${key}`)}（${d[key].length}）`),
    el("table", {}, el("tbody", {}, d[key].map((p) => el("tr", {},
      el("td", {}, el("a", { href: `#/problems?id=${p.id}` }, p.household_number || p.village_code)), el("td", {}, label("problem_source", p.source)),
      el("td", {}, p.description), el("td", {}, p.measure || ""), el("td", {}, p.responsible_name || ""), el("td", { class: p.overdue ? "bad" : "" }, p.deadline))))));
  const xlsx = async () => {
    try {
      const res = await api(`/quality/daily.xlsx?division=${division(params)}`, { raw: true });
      download(URL.createObjectURL(await res.blob()), `问题整改清单-${d.date}.xlsx`);
    } catch (e) { message(problemText(e), "error"); }
  };
  root.replaceChildren(
    el("div", { class: "toolbar" }, el("h2", {}, `${t("nav.daily")} · ${await placeName(d.division)} · ${d.date}`), el("button", { type: "button", id: "daily-xlsx", onclick: xlsx }, t("ledger.export"))),
    table("opened_today"), table("due_soon"), table("overdue"), table("closed_today"));
  return null;
}
