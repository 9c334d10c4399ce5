// One household: its members, home, photos of the year (with the server's checks), yearly
// record, and what this phone recorded for it; the three actions at the bottom, under the thumb.
import { get, getMeta } from "./db.js";
import { items as outboxItems } from "./outbox.js";
import { todos } from "./list.js";
import { t, label } from "./i18n.js";
import { el, time, metres, problemText } from "./ui.js";

/// The phone's copy of a household, or a notice that it left the cadre's care.
export async function household(root, id) {
  const h = await get("households", id);
  if (!h) root.replaceChildren(el("p", { class: "error", id: "gone" }, t("hh.gone")), el("a", { href: "#/", class: "button" }, t("act.back")));
  return h;
}

export function itemText(i) {
  const r = i.result;
  if (i.kind === "location") {
    const base = `${t("q.location")} ±${Math.round(i.body.accuracy_m)} m`;
    if (!r) return base;
    const flags = (r.flags || []).map((f) => label("location_flag", f)).join("、");
    return `${base} · ${r.became_home ? t("q.became_home") : ""}${flags ? ` ${flags}` : ""}${r.moved_m ? ` (${metres(r.moved_m)})` : ""}`;
  }
  if (i.kind === "photo") {
    const base = `${t("q.photo")} · ${label("photo_kind", i.meta.kind)}`;
    if (!r) return base;
    const reasons = (r.checks?.reasons || []).map((x) => label("photo_reason", x)).join("、");
    return `${base} · ${reasons || t("q.checks_ok")}`;
  }
  if (i.kind === "member") return `${t("q.member")} · ${i.body.name} · ${label("join_reason", i.body.join_reason)}`;
  return `${t("q.year")} ${i.year}${r ? ` · ${t("hh.year_version")} ${r.version}` : ""}`;
}

export function stateBadge(i) {
  const cls = { done: "ok", failed: "bad", conflict: "bad", discarded: "muted", sending: "wait", pending: "wait" }[i.state];
  return el("span", { class: `badge ${cls} state-${i.state}` }, t(`q.${i.state}`));
}

export async function householdView(root, id) {
  const h = await household(root, id);
  if (!h) return;
  const [all, year] = await Promise.all([outboxItems(), getMeta("year")]);
  const mine = all.filter((i) => i.household_id === id);
  const todo = todos(h, all, year);
  const members = (h.members || []).filter((m) => !m.removed_at);
  const photos = h._photos?.year === year ? h._photos.items : [];
  const thumbs = new Map(mine.filter((i) => i.kind === "photo" && i.thumb).map((i) => [i.id, URL.createObjectURL(i.thumb)]));
  const yr = h.year_record && h.year_record.year === year ? h.year_record : null;

  root.replaceChildren(...[
    el("h2", { id: "hh-title" }, h.head_name, " ", el("span", { class: "muted" }, h.number)),
    el("p", { class: "muted" }, label("category", h.category), h.address ? ` · ${h.address}` : "", h.pairing ? ` · ${t("hh.cadre")} ${h.pairing.cadre_name}` : ""),
    todo.move ? el("p", { class: "notice", id: "move-notice" }, t("hh.move_pending")) : null,
    el("section", {},
      el("h3", {}, t("hh.home")),
      h.home
        ? el("p", { id: "home" }, `${h.home.lat.toFixed(6)}, ${h.home.lon.toFixed(6)}`, h.home.accuracy_m ? ` ±${metres(h.home.accuracy_m)}` : "", h.home.captured_at ? ` · ${time(h.home.captured_at)}` : "")
        : el("p", { id: "home", class: "warn" }, todo.homeQueued ? t("todo.home_queued") : t("hh.no_home"))),
    el("section", {},
      el("h3", {}, t("hh.photos")),
      el("p", { id: "photo-status", class: todo.missing.length ? "warn" : "ok" },
        todo.missing.length ? `${t("hh.missing")}: ${todo.missing.map((k) => label("photo_kind", k)).join("、")}` : t("hh.complete")),
      el("ul", { class: "checks", id: "server-photos" }, photos.map((p) => el("li", { "data-status": p.status, "data-kind": p.kind },
        `${label("photo_kind", p.kind)}: `, el("span", { class: p.status === "flagged" ? "bad" : "ok" },
          p.reasons.length ? p.reasons.map((r) => label("photo_reason", r)).join("、") : t("q.checks_ok")),
        p.distance_m !== null ? ` · ${metres(p.distance_m)}` : "")))),
    el("section", {},
      el("h3", {}, `${t("hh.year")} ${year ?? ""}`),
      el("p", { id: "year-status" }, yr ? `${t("hh.per_capita")} ${yr.standing?.per_capita_net_income ?? ""} · ${t("hh.year_version")} ${yr.version}` : (todo.yearQueued ? t("todo.year_queued") : t("hh.year_none")))),
    el("section", {},
      el("h3", {}, t("hh.members")),
      el("ul", { class: "plain", id: "members" }, members.map((m) => el("li", {}, `${m.name} · ${label("relation", m.relation)}`,
        m.join_reason ? ` · ${label("join_reason", m.join_reason)} ${m.joined_on || ""}` : "", m.no_id_reason ? ` · ${label("no_id_reason", m.no_id_reason)}` : "")))),
    mine.length ? el("section", {},
      el("h3", {}, t("hh.history")),
      el("ul", { class: "plain", id: "hh-items" }, mine.slice().reverse().map((i) => el("li", { "data-kind": i.kind, "data-state": i.state },
        thumbs.has(i.id) ? el("img", { class: "thumb", src: thumbs.get(i.id), alt: "" }) : null,
        stateBadge(i), " ", itemText(i), i.error ? el("div", { class: "error" }, problemText(i.error.problem, i.error.status)) : null)))) : null,
    el("nav", { class: "actions" },
      el("a", { class: "button", id: "go-locate", href: `#/h/${id}/locate` }, t("act.locate")),
      el("a", { class: "button", id: "go-photos", href: `#/h/${id}/photos` }, t("act.photos")),
      el("a", { class: "button", id: "go-year", href: `#/h/${id}/year` }, t("act.year")),
      el("a", { class: "button", id: "go-member", href: `#/h/${id}/member` }, t("act.member"))),
  ].filter(Boolean));
  return () => { for (const url of thumbs.values()) URL.revokeObjectURL(url); };
}
