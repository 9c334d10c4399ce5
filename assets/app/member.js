// A member joining the household 自然增加, recorded at the home visit: name, relation, why and
// when they joined; a newborn not yet registered (无户籍人口) with the reason instead of an ID
// number, and its sex and birth date. Saved to the outbox and sent when there is signal; the
// server's refusal is shown on the item in the household's history.
import { enqueue } from "./outbox.js";
import { household } from "./household.js";
import { t, label } from "./i18n.js";
import { el, message, serviceDay } from "./ui.js";

const RELATIONS = ["child", "grandchild", "spouse", "child_in_law", "parent", "grandparent", "sibling", "other"];
const JOIN = ["birth", "marriage_in", "moved_in", "other"];
const NO_ID = ["newborn_unregistered", "no_household_registration", "other"];

/// A choice of a field's values, by their labels (the server's table, kept for offline use).
const select = (name, values, field) => el("select", { name, id: `m-${name}` }, values.map((v) => el("option", { value: v }, label(field, v))));
const field = (text, input) => el("label", {}, el("span", {}, text), input);

export async function memberView(root, id) {
  const h = await household(root, id);
  if (!h) return;
  const today = serviceDay();
  const form = el("form", { id: "member-form", class: "form" },
    field(t("m.name"), el("input", { name: "name", id: "m-name", required: true, maxlength: "40" })),
    field(t("m.relation"), select("relation", RELATIONS, "relation")),
    field(t("m.join_reason"), select("join_reason", JOIN, "join_reason")),
    field(t("m.joined_on"), el("input", { name: "joined_on", id: "m-joined_on", type: "date", max: today })),
    field(t("m.id_number"), el("input", { name: "id_number", id: "m-id_number", maxlength: "20", autocomplete: "off" })),
    el("fieldset", { id: "no-id" },
      el("legend", {}, t("m.no_id")),
      field(t("m.no_id_reason"), select("no_id_reason", NO_ID, "no_id_reason")),
      field(t("m.sex"), select("sex", ["male", "female"], "sex")),
      field(t("m.birth_date"), el("input", { name: "birth_date", id: "m-birth_date", type: "date", max: today }))),
    el("nav", { class: "actions" }, el("a", { class: "button", href: `#/h/${id}` }, t("act.back")), el("button", { type: "submit", class: "primary", id: "save-member" }, t("m.save"))));
  const v = (name) => form.elements.namedItem(name).value.trim();
  // Without an ID number the reason, sex and birth date are asked for.
  const noId = form.querySelector("#no-id");
  const toggle = () => { noId.hidden = v("id_number") !== ""; };
  form.elements.namedItem("id_number").addEventListener("input", toggle);
  toggle();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const number = v("id_number");
    const body = {
      name: v("name"), relation: v("relation"), join_reason: v("join_reason"), joined_on: v("joined_on") || null,
      ...(number ? { id_number: number } : { no_id_reason: v("no_id_reason"), sex: v("sex"), birth_date: v("birth_date") || null }),
    };
    await enqueue("member", id, () => ({ body }));
    message(t("m.saved"), "ok");
    location.hash = `#/h/${id}`;
  });
  root.replaceChildren(el("h2", {}, t("m.title")), el("p", { class: "muted" }, h.head_name, " ", h.number), form);
}
