// Photo queue 照片审核: flagged photos one at a time with the reasons, the distance to the home,
// EXIF time beside the stated time and the photo it duplicates side by side, and the traces of
// editing (the editor's name, the camera's embedded preview beside the picture, EXIF time beside
// the GPS clock, EXIF position beside the phone's); one keystroke decides: A accepts, 1–4 reject
// with a reason; the queue then advances.
import { api, all, blobUrl } from "./api.js";
import { label, t } from "./i18n.js";
import { division, el, message, problemText } from "./main.js";

const REJECTS = ["photos.reject1", "photos.reject2", "photos.reject3", "photos.reject4"];

function when(s) { return s ? new Date(s).toLocaleString() : "—"; }
function place(p) { return p ? `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}` : "—"; }

/// The evidence of the authenticity checks that found something (issue 24).
function traces(p) {
  const c = p.checks, has = (r) => c.reasons.includes(r);
  return [
    c.editor ? el("p", { id: "photo-editor" }, `${t("photos.editor")}: ${c.editor}`) : null,
    has("time_inconsistent") ? el("p", { id: "photo-gps-time" }, `${t("photos.exif")}: ${when(p.exif?.taken_at)} · ${t("photos.gps_time")}: ${when(p.exif?.gps_time)}`) : null,
    has("position_mismatch") ? el("p", { id: "photo-positions" }, `${t("photos.exif_position")}: ${place(p.exif?.lat == null ? null : p.exif)} · ${t("photos.app_position")}: ${place(c.app_position)} (${Math.round(c.app_distance_m)} m)`) : null,
    has("modified_after_capture") ? el("p", {}, `${t("photos.saved_later")}: ${c.modified_after_min} min`) : null,
  ];
}

/// A household as people name it (户编号 · 户主), read once per household the queue shows.
const households = new Map();
function householdName(id) {
  if (!households.has(id)) households.set(id, api(`/households/${id}`).then((h) => `${h.number} · ${h.head_name}`).catch(() => id));
  return households.get(id);
}

function image(path, alt) {
  const img = el("img", { alt });
  blobUrl(path).then((u) => { img.src = u; }).catch(() => { img.alt = `${alt} ✗`; });
  return img;
}

export async function photosView(root, params) {
  const code = division(params);
  const queue = await all(`/photo-checks?division=${code}&status=flagged`, 1000);
  let done = 0;
  const left = el("span", { id: "queue-left" });
  const stage = el("div", { id: "queue-item" });
  root.replaceChildren(el("div", { class: "toolbar" }, el("h2", {}, t("nav.photos")), left), stage);

  async function decide(decision, reason) {
    const photo = queue[0];
    if (!photo) return;
    try {
      await api(`/photos/${photo.id}/review`, { method: "POST", body: { decision, reason } });
      queue.shift();
      done += 1;
      message(`${t("photos.done")}: ${done}`);
      show();
    } catch (e) {
      message(problemText(e), "error");
    }
  }

  function show() {
    left.textContent = `${queue.length} ${t("photos.left")}`;
    const p = queue[0];
    if (!p) {
      stage.replaceChildren(el("p", { class: "muted", id: "queue-empty" }, t("photos.empty")));
      return;
    }
    const c = p.checks;
    const dup = c.duplicate_of?.[0];
    const who = el("span", { id: "photo-household", title: t("photos.household") }, "…");
    householdName(p.household_id).then((name) => { who.textContent = name; });
    stage.replaceChildren(
      el("div", { class: "queue" },
        el("div", { class: "card" }, image(p.url, label("photo_kind", p.kind)), el("p", { id: "photo-kind" }, `${label("photo_kind", p.kind)} · `, who),
          p.preview_url ? el("div", { id: "photo-preview" }, el("h4", {}, t("photos.preview")), image(p.preview_url, t("photos.preview"))) : null),
        el("div", { class: "card" },
          el("h3", {}, t("photos.reasons")),
          el("ul", { id: "reasons" }, c.reasons.map((r) => el("li", { "data-reason": r }, label("photo_reason", r)))),
          el("p", {}, `${t("photos.distance")}: ${c.distance_m == null ? "—" : `${Math.round(c.distance_m)} m`}`),
          el("p", {}, `${t("photos.exif")}: ${when(p.exif?.taken_at)} · ${t("photos.stated")}: ${when(p.taken_at)}`),
          traces(p),
          dup ? el("div", {}, el("h4", {}, t("photos.duplicate")), image(`/api/v1/photos/${dup}/thumbnail`, dup)) : null,
          el("p", { class: "keys" },
            el("button", { type: "button", id: "accept", onclick: () => decide("accepted", t("photos.accept")) }, el("kbd", {}, "A"), t("photos.accept")),
            REJECTS.map((k, i) => el("button", { type: "button", class: "reject", onclick: () => decide("rejected", t(k)) }, el("kbd", {}, String(i + 1)), t(k)))),
        )),
    );
  }

  const onKey = (ev) => {
    if (ev.target.closest("input, textarea, select") || document.getElementById("login-dialog").open) return;
    if (ev.key === "a" || ev.key === "A") decide("accepted", t("photos.accept"));
    const n = Number(ev.key);
    if (n >= 1 && n <= REJECTS.length) decide("rejected", t(REJECTS[n - 1]));
  };
  document.addEventListener("keydown", onKey);
  show();
  return () => document.removeEventListener("keydown", onKey);
}
