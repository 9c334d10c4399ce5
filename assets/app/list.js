// The household lists: "today" (what is left to do: no home location, photos missing, no
// yearly record for this statistical year, problems) and all households, searched by the
// head's name or the household number. Both read the phone's copy only: they work offline.
import { all, getMeta } from "./db.js";
import { items as outboxItems, ATTENTION } from "./outbox.js";
import { t } from "./i18n.js";
import { el } from "./ui.js";

export const KINDS = ["door_with_cadre", "stove_with_cadre", "hall_with_cadre", "bedroom_with_cadre", "family_at_door", "understanding_card"];

const queued = (i) => !["failed", "discarded"].includes(i.state);

/// What is left to do for a household, counting what waits in the outbox as done.
export function todos(h, items, year) {
  const mine = items.filter((i) => i.household_id === h.id);
  const homeQueued = !h.has_location && mine.some((i) => i.kind === "location" && queued(i) && i.state !== "done");
  const server = h._photos?.year === year ? h._photos : null;
  const sent = mine.filter((i) => i.kind === "photo" && queued(i)).map((i) => i.meta.kind);
  const missing = (server?.missing_kinds ?? KINDS).filter((k) => !sent.includes(k));
  const yearDone = (h.year_record && h.year_record.year === year) || mine.some((i) => i.kind === "year" && i.year === year && i.state === "done");
  const yearQueued = !yearDone && mine.some((i) => i.kind === "year" && i.year === year && queued(i));
  const flagged = (server?.items || []).filter((p) => p.status === "flagged").length;
  const problems = flagged + mine.filter((i) => ATTENTION.includes(i.state)).length;
  return { noHome: !h.has_location && !homeQueued, homeQueued, missing, noYear: !yearDone && !yearQueued, yearQueued, problems, move: !!h.pending_move_id };
}

function badges(todo) {
  return [
    todo.noHome && el("span", { class: "badge warn" }, t("todo.no_home")),
    todo.homeQueued && el("span", { class: "badge wait" }, t("todo.home_queued")),
    todo.missing.length > 0 && el("span", { class: "badge warn" }, `${t("todo.photos")} ${todo.missing.length}`),
    todo.noYear && el("span", { class: "badge warn" }, t("todo.no_year")),
    todo.yearQueued && el("span", { class: "badge wait" }, t("todo.year_queued")),
    todo.move && el("span", { class: "badge info" }, t("todo.move")),
    todo.problems > 0 && el("span", { class: "badge bad" }, `${t("todo.problems")} ${todo.problems}`),
  ];
}

export function matches(h, q) {
  if (!q) return true;
  const needle = q.trim().toLowerCase();
  return h.head_name.toLowerCase().includes(needle) || h.number.toLowerCase().includes(needle);
}

export async function listView(root, params, { today }) {
  const [households, items, year] = await Promise.all([all("households"), outboxItems(), getMeta("year")]);
  households.sort((a, b) => a.number.localeCompare(b.number));
  const rows = households.map((h) => ({ h, todo: todos(h, items, year) }));
  const list = el("ul", { id: "households", class: "cards" });
  const count = el("p", { class: "muted", id: "list-count" });
  const draw = (q) => {
    const shown = rows.filter(({ h, todo }) => matches(h, q) && (!today || todo.noHome || todo.missing.length || todo.noYear || todo.problems || todo.move));
    count.textContent = `${shown.length} ${t("list.count")}`;
    list.replaceChildren(...shown.map(({ h, todo }) => el("li", { "data-id": h.id },
      el("a", { href: `#/h/${h.id}` },
        el("strong", {}, h.head_name), " ", el("span", { class: "muted" }, h.number),
        el("div", { class: "badges" }, badges(todo)),
      ))));
    if (!shown.length) list.append(el("li", { class: "empty" }, t(today && households.length ? "list.today_empty" : "list.empty")));
  };
  const search = el("input", { id: "search", type: "search", placeholder: t("search"), value: params.get("q") || "", autocomplete: "off" });
  search.addEventListener("input", () => {
    draw(search.value);
    history.replaceState(null, "", `#/${today ? "" : "all"}${search.value ? `?q=${encodeURIComponent(search.value)}` : ""}`);
  });
  draw(search.value);
  root.replaceChildren(el("h2", {}, t(today ? "nav.today" : "nav.all")), search, count, list);
}
