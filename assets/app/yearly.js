// The yearly record 年度基础信息: income by part, each member's state for the year, the "two
// no-worries, three guarantees" and living conditions, with last year's values beside each
// field. Saved to the outbox and sent with If-Match (the version the phone last saw); the
// server's 422 messages are shown at their fields when the form is opened again.
import { getMeta } from "./db.js";
import { items as outboxItems, saveYear } from "./outbox.js";
import { household } from "./household.js";
import { t, label } from "./i18n.js";
import { el, message, fieldMessage } from "./ui.js";

const INCOME = ["wages", "production", "production_costs", "property", "transfers"];
// Rigid expenses 刚性支出: medical after reimbursement, education, disaster/accident losses, other.
const RIGID = ["medical", "education", "disaster", "other"];
const MEMBER = {
  education: ["illiterate", "preschool", "primary", "junior", "senior", "vocational", "college"],
  health: ["healthy", "chronic_illness", "serious_illness", "disabled"],
  in_school: ["not_in_school", "preschool", "primary", "junior", "senior", "vocational", "college"],
  labour_skill: ["skilled", "ordinary", "weak", "none"],
  work_status: ["local", "in_province", "out_of_province", "none"],
};
/// Per member and year: 参加医保 / 参加养老保险 (yes, no or not asked) and the place of work when away.
const INSURANCE = ["medical_insurance", "pension_insurance"];
const WORK_PLACE = ["work_province", "work_county"];
const GUARANTEES = ["food_clothing", "drinking_water", "compulsory_education", "basic_medical", "housing_safety"];
const LIVING = { housing: ["safe", "renovated", "relocated", "dangerous"], water: ["tap", "well", "other"] };
const LIVING_YES = ["electricity", "paved_road", "broadband"];

function memberDefaults(memberId) {
  return { member_id: memberId, education: "junior", health: "healthy", disability_grade: null, in_school: "not_in_school", labour_skill: "ordinary", work_status: "none", months_away: 0, medical_insurance: null, pension_insurance: null, work_province: null, work_county: null };
}

function defaults(memberIds) {
  return {
    income: Object.fromEntries(INCOME.map((k) => [k, 0])),
    rigid_expenses: Object.fromEntries(RIGID.map((k) => [k, 0])),
    members: memberIds.map(memberDefaults),
    guarantees: Object.fromEntries(GUARANTEES.map((k) => [k, { ok: true, reason: null }])),
    living: { housing: "safe", water: "tap", electricity: true, paved_road: true, broadband: false },
  };
}

/// A record as (key, label, shown value) rows: members by id, so two versions line up.
export function flatten(record, names = {}) {
  if (!record) return [];
  const rows = [];
  const show = (v, field) => (typeof v === "boolean" ? t(v ? "year.yes" : "year.no") : v === null || v === undefined ? "" : typeof v === "string" ? label(field, v) : String(v));
  for (const k of INCOME) rows.push([`income.${k}`, t(`f.income.${k}`), show(record.income?.[k])]);
  for (const k of RIGID) rows.push([`rigid_expenses.${k}`, t(`f.rigid_expenses.${k}`), show(record.rigid_expenses?.[k] ?? 0)]);
  for (const m of record.members || []) {
    for (const k of [...Object.keys(MEMBER), "disability_grade", "months_away", ...INSURANCE, ...WORK_PLACE]) rows.push([`members.${m.member_id}.${k}`, `${names[m.member_id] || t("unknown")} ${t(`f.${k}`)}`, show(m[k], k)]);
  }
  for (const k of GUARANTEES) {
    const g = record.guarantees?.[k] || {};
    rows.push([`guarantees.${k}`, t(`f.${k}`), g.ok ? t("year.met") : `${t("year.no")}${g.reason ? `: ${g.reason}` : ""}`]);
  }
  for (const k of [...Object.keys(LIVING), ...LIVING_YES]) rows.push([`living.${k}`, t(`f.${k}`), show(record.living?.[k], k)]);
  return rows;
}

/// The server's field of an error (`members[0].health`, or `members.0.health` from a validator)
/// as the form's key (`members.<member id>.health`), using the record that was sent.
function formKey(field, sent) {
  const m = /^members(?:\[(\d+)\]|\.(\d+))\.?(.*)$/.exec(field);
  if (!m) return field;
  const member = sent.members?.[Number(m[1] ?? m[2])];
  return member ? `members.${member.member_id}${m[3] ? `.${m[3]}` : ""}` : field;
}

/// A choice of `field`'s values (the labels table names them).
function select(name, options, value, field) {
  return el("select", { name }, options.map((o) => el("option", { value: o, selected: String(o) === String(value) }, label(field, o))));
}

export async function yearlyView(root, id) {
  const h = await household(root, id);
  if (!h) return;
  const year = await getMeta("year");
  const open = (await outboxItems()).find((i) => i.kind === "year" && i.household_id === id && i.year === year && ["pending", "failed", "conflict"].includes(i.state));
  const current = h.year_record?.year === year ? h.year_record : null;
  const prev = h._prev?.year === year - 1 ? h._prev.record : null;
  const members = (h.members || []).filter((m) => !m.removed_at);
  const names = Object.fromEntries((h.members || []).map((m) => [m.id, m.name]));
  const source = open?.record || current?.record || prev || defaults(members.map((m) => m.id));
  const ids = [...members.map((m) => m.id), ...(open?.record.members || []).map((m) => m.member_id).filter((x) => !members.some((m) => m.id === x))];
  const rowOf = (rec, mid) => rec?.members?.find((m) => m.member_id === mid);
  const prevText = (key) => {
    const row = flatten(prev, names).find(([k]) => k === key);
    return row ? el("small", { class: "prev" }, `${t("year.previous")}: ${row[2]}`) : null;
  };
  const error = (key) => el("p", { class: "field-error", "data-error-for": key, hidden: true });
  const field = (key, text, input) => el("div", { class: "field", "data-field": key }, el("label", {}, el("span", {}, text), input), prevText(key), error(key));

  const form = el("form", { id: "year-form", novalidate: true },
    el("div", { id: "general-errors", class: "notice error", hidden: true }),
    el("fieldset", {}, el("legend", {}, t("year.income")),
      INCOME.map((k) => field(`income.${k}`, t(`f.income.${k}`), el("input", { name: `income.${k}`, type: "number", inputmode: "decimal", step: "0.01", min: "0", value: source.income?.[k] ?? 0 })))),
    el("fieldset", {}, el("legend", {}, t("year.rigid")),
      RIGID.map((k) => field(`rigid_expenses.${k}`, t(`f.rigid_expenses.${k}`), el("input", { name: `rigid_expenses.${k}`, type: "number", inputmode: "decimal", step: "0.01", min: "0", value: source.rigid_expenses?.[k] ?? 0 })))),
    el("fieldset", {}, el("legend", {}, t("year.members")),
      ids.map((mid) => {
        const m = rowOf(source, mid) || memberDefaults(mid);
        const member = members.find((x) => x.id === mid);
        return el("div", { class: "member", "data-member": mid },
          el("h4", {}, names[mid] || t("unknown"), member ? ` · ${label("relation", member.relation)}` : ""),
          Object.entries(MEMBER).map(([k, opts]) => field(`members.${mid}.${k}`, t(`f.${k}`), select(`members.${mid}.${k}`, opts, m[k], k))),
          field(`members.${mid}.disability_grade`, t("f.disability_grade"), select(`members.${mid}.disability_grade`, ["", 1, 2, 3, 4], m.disability_grade ?? "", "grade")),
          field(`members.${mid}.months_away`, t("f.months_away"), el("input", { name: `members.${mid}.months_away`, type: "number", inputmode: "numeric", min: "0", max: "12", step: "1", value: m.months_away ?? 0 })),
          INSURANCE.map((k) => field(`members.${mid}.${k}`, t(`f.${k}`), el("select", { name: `members.${mid}.${k}` },
            [["", ""], ["true", t("year.yes")], ["false", t("year.no")]].map(([v, text]) => el("option", { value: v, selected: String(m[k] ?? "") === v }, text))))),
          WORK_PLACE.map((k) => field(`members.${mid}.${k}`, t(`f.${k}`), el("input", { name: `members.${mid}.${k}`, maxlength: "40", value: m[k] || "" }))),
          error(`members.${mid}`));
      })),
    el("fieldset", {}, el("legend", {}, t("year.guarantees")),
      GUARANTEES.map((k) => {
        const g = source.guarantees?.[k] || { ok: true };
        return el("div", { class: "field", "data-field": `guarantees.${k}` },
          el("label", { class: "check" }, el("input", { type: "checkbox", name: `guarantees.${k}.ok`, checked: g.ok }), ` ${t(`f.${k}`)} · ${t("year.met")}`),
          prevText(`guarantees.${k}`),
          el("label", {}, el("span", {}, t("year.reason")), el("input", { name: `guarantees.${k}.reason`, value: g.reason || "" })),
          error(`guarantees.${k}.reason`), error(`guarantees.${k}`));
      })),
    el("fieldset", {}, el("legend", {}, t("year.living")),
      Object.entries(LIVING).map(([k, opts]) => field(`living.${k}`, t(`f.${k}`), select(`living.${k}`, opts, source.living?.[k], k))),
      LIVING_YES.map((k) => el("div", { class: "field", "data-field": `living.${k}` },
        el("label", { class: "check" }, el("input", { type: "checkbox", name: `living.${k}`, checked: !!source.living?.[k] }), ` ${t(`f.${k}`)}`), prevText(`living.${k}`), error(`living.${k}`)))),
    el("nav", { class: "actions" }, el("a", { class: "button", href: `#/h/${id}` }, t("act.back")), el("button", { type: "submit", class: "primary", id: "save-year" }, t("year.save"))),
  );

  // The server's refusal of what was sent, at each field.
  if (open?.state === "failed" && open.error?.problem) {
    const general = form.querySelector("#general-errors");
    const lines = [];
    for (const e of open.error.problem.errors || []) {
      const holder = form.querySelector(`[data-error-for="${CSS.escape(formKey(e.field, open.record))}"]`);
      if (holder) {
        holder.textContent = fieldMessage(e);
        holder.hidden = false;
        holder.closest(".field, .member")?.classList.add("invalid");
      } else lines.push(`${e.field}: ${fieldMessage(e)}`);
    }
    general.textContent = [t("year.errors"), ...lines, ...(open.error.problem.errors?.length ? [] : [open.error.problem.detail || ""])].join(" ");
    general.hidden = false;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = (name) => form.elements.namedItem(name);
    const num = (name) => { const x = parseFloat(v(name).value); return Number.isFinite(x) ? x : 0; };
    const record = {
      income: Object.fromEntries(INCOME.map((k) => [k, num(`income.${k}`)])),
      rigid_expenses: Object.fromEntries(RIGID.map((k) => [k, num(`rigid_expenses.${k}`)])),
      members: ids.map((mid) => ({
        member_id: mid,
        ...Object.fromEntries(Object.keys(MEMBER).map((k) => [k, v(`members.${mid}.${k}`).value])),
        disability_grade: v(`members.${mid}.disability_grade`).value ? Number(v(`members.${mid}.disability_grade`).value) : null,
        months_away: Math.round(num(`members.${mid}.months_away`)),
        ...Object.fromEntries(INSURANCE.map((k) => [k, v(`members.${mid}.${k}`).value === "" ? null : v(`members.${mid}.${k}`).value === "true"])),
        ...Object.fromEntries(WORK_PLACE.map((k) => [k, v(`members.${mid}.${k}`).value.trim() || null])),
      })),
      guarantees: Object.fromEntries(GUARANTEES.map((k) => {
        const ok = v(`guarantees.${k}.ok`).checked;
        const reason = v(`guarantees.${k}.reason`).value.trim();
        return [k, { ok, reason: ok ? null : reason || null }];
      })),
      living: {
        ...Object.fromEntries(Object.keys(LIVING).map((k) => [k, v(`living.${k}`).value])),
        ...Object.fromEntries(LIVING_YES.map((k) => [k, v(`living.${k}`).checked])),
      },
    };
    await saveYear(id, year, record, current?.version ?? null);
    message(t("year.saved"), "ok");
    location.hash = `#/h/${id}`;
  });

  root.replaceChildren(el("h2", {}, `${t("year.title")} ${year}`), el("p", { class: "muted" }, h.head_name, " ", h.number), form);
}
