// The outbox screen: what waits to be sent, what the server refused (shown on the item, sent
// again only when the cadre says so), conflicts (the server's current record beside the
// cadre's change: redo or discard), and what recently arrived.
import { all } from "./db.js";
import { items as outboxItems, retry, discard, redo, keepServer, ATTENTION } from "./outbox.js";
import { itemText, stateBadge } from "./household.js";
import { flatten } from "./yearly.js";
import { t } from "./i18n.js";
import { el, problemText, time } from "./ui.js";

function comparison(item, names) {
  const server = new Map(flatten(item.server?.record, names).map(([k, l, v]) => [k, [l, v]]));
  const mine = flatten(item.record, names);
  const rows = mine.filter(([k, , v]) => server.get(k)?.[1] !== v);
  for (const [k, [l, v]] of server) if (!mine.some(([m]) => m === k)) rows.push([k, l, ""]);
  return el("table", { class: "compare" },
    el("thead", {}, el("tr", {}, el("th", {}, t("q.field")), el("th", {}, t("q.server")), el("th", {}, t("q.mine")))),
    el("tbody", {}, rows.map(([k, l, v]) => el("tr", { "data-key": k }, el("td", {}, l), el("td", { class: "server" }, server.get(k)?.[1] ?? ""), el("td", { class: "mine" }, v)))));
}

function itemCard(item, households, rerender) {
  const h = households.get(item.household_id);
  const act = (text, fn, cls = "") => el("button", { type: "button", class: cls, onclick: async () => { await fn(item.seq); rerender(); } }, text);
  const names = Object.fromEntries((h?.members || []).map((m) => [m.id, m.name]));
  return el("li", { class: `item ${item.state}`, "data-seq": item.seq, "data-kind": item.kind, "data-state": item.state },
    el("div", {}, stateBadge(item), " ", el("strong", {}, h ? `${h.head_name} ${h.number}` : item.household_id)),
    el("div", {}, itemText(item), el("span", { class: "muted" }, ` · ${time(item.created_at)}`)),
    item.state === "pending" && item.attempts > 0 ? el("div", { class: "muted" }, `${t("q.retry_at")} (${item.attempts}× ${item.last_error || ""})`) : null,
    item.error ? el("div", { class: "error item-error" }, problemText(item.error.problem, item.error.status)) : null,
    item.state === "conflict" ? el("div", { class: "conflict" }, el("p", {}, t("q.conflict_text")), comparison(item, names)) : null,
    ATTENTION.includes(item.state) ? el("div", { class: "row" },
      item.state === "conflict" ? act(t("q.redo"), redo, "primary redo") : null,
      item.state === "conflict" ? act(t("q.keep_server"), keepServer, "keep-server") : null,
      item.state === "failed" && item.kind === "year" ? el("a", { class: "button primary edit", href: `#/h/${item.household_id}/year` }, t("q.edit")) : null,
      item.state === "failed" ? act(t("q.retry"), retry, "retry") : null,
      item.state === "failed" ? act(t("q.discard"), (seq) => (confirm(t("q.discard_confirm")) ? discard(seq) : null), "discard") : null) : null);
}

export async function queueView(root) {
  const [items, list] = await Promise.all([outboxItems(), all("households")]);
  const households = new Map(list.map((h) => [h.id, h]));
  const rerender = () => queueView(root);
  const attention = items.filter((i) => ATTENTION.includes(i.state));
  const waiting = items.filter((i) => ["pending", "sending"].includes(i.state));
  const arrived = items.filter((i) => i.state === "done" || i.state === "discarded").slice(-20).reverse();
  const section = (title, id, rows) => (rows.length ? el("section", { id }, el("h3", {}, `${title} (${rows.length})`), el("ul", { class: "cards" }, rows.map((i) => itemCard(i, households, rerender)))) : null);
  root.replaceChildren(...[
    el("h2", {}, t("q.title")),
    attention.length || waiting.length ? null : el("p", { id: "queue-empty", class: "ok" }, t("q.empty")),
    section(t("q.attention"), "queue-attention", attention),
    section(t("q.pending"), "queue-waiting", waiting),
    section(t("q.recent"), "queue-done", arrived),
  ].filter(Boolean));
}
