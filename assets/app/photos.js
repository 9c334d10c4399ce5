// Household photos: the camera (or the gallery) through a file input, the kind chosen from the
// required set with what is still missing shown. The original file is queued and uploaded byte
// for byte (a canvas re-encode would strip the EXIF the server checks); the canvas only makes
// the small local thumbnail. The stated time and position are those of the moment the photo
// reached the app.
import { getMeta } from "./db.js";
import { enqueue, items as outboxItems } from "./outbox.js";
import { KINDS, todos } from "./list.js";
import { household } from "./household.js";
import { t, label } from "./i18n.js";
import { el, message } from "./ui.js";

async function isJpeg(file) {
  const head = new Uint8Array(await file.slice(0, 3).arrayBuffer());
  return head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
}

/// A ~240 px JPEG for the lists, upright as the EXIF says; never sent.
async function thumbnail(file) {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, 240 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.7));
  } catch {
    return null;
  }
}

export async function photosView(root, id) {
  const h = await household(root, id);
  if (!h) return;
  const [config, year] = await Promise.all([getMeta("config"), getMeta("year")]);
  let fix = null;
  const watch = navigator.geolocation?.watchPosition((p) => { fix = p; }, () => {}, { enableHighAccuracy: true, maximumAge: 30000, timeout: 60000 });
  const kinds = el("fieldset", { id: "kinds", class: "kinds" }, el("legend", {}, t("photo.kind")));
  const thumbs = [];

  const draw = async () => {
    const items = await outboxItems();
    const todo = todos(h, items, year);
    const server = h._photos?.year === year ? h._photos.items : [];
    const chosen = kinds.querySelector("input:checked")?.value;
    const first = KINDS.find((k) => todo.missing.includes(k)) || KINDS[0];
    kinds.replaceChildren(kinds.firstChild, ...KINDS.map((k) => {
      const waiting = items.filter((i) => i.household_id === id && i.kind === "photo" && i.meta.kind === k && ["pending", "sending"].includes(i.state)).length;
      const flagged = server.some((p) => p.kind === k && p.status === "flagged");
      const state = todo.missing.includes(k) ? "missing" : waiting ? "queued" : flagged ? "flagged" : "done";
      return el("label", { class: `kind ${state}`, "data-kind": k, "data-state": state },
        el("input", { type: "radio", name: "kind", value: k, checked: k === (chosen && todo.missing.includes(chosen) ? chosen : first) }),
        ` ${label("photo_kind", k)} `, el("span", { class: "badge" }, t(`photo.${state}`)));
    }));
    for (const url of thumbs.splice(0)) URL.revokeObjectURL(url);
    const mine = items.filter((i) => i.household_id === id && i.kind === "photo" && i.thumb).slice(-8).reverse();
    strip.replaceChildren(...mine.map((i) => {
      const url = URL.createObjectURL(i.thumb);
      thumbs.push(url);
      return el("figure", { "data-state": i.state }, el("img", { src: url, alt: "" }), el("figcaption", {}, label("photo_kind", i.meta.kind)));
    }));
  };

  const chosenFile = async (input) => {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    const takenAt = new Date().toISOString();
    if (!(await isJpeg(file))) return message(t("photo.not_jpeg"), "error");
    if (config?.photo_max_bytes && file.size > config.photo_max_bytes) return message(t("photo.too_large"), "error");
    const kind = kinds.querySelector("input:checked")?.value || KINDS[0];
    const c = fix && Date.now() - fix.timestamp < 120000 ? fix.coords : null;
    const meta = { kind, taken_at: takenAt, client_id: null };
    if (c) Object.assign(meta, { lat: c.latitude, lon: c.longitude, crs: "wgs84", accuracy_m: c.accuracy });
    else message(t("photo.no_position"), "info");
    const thumb = await thumbnail(file);
    // The File itself goes into IndexedDB: its bytes are what is uploaded.
    await enqueue("photo", id, (clientId) => ({ meta: { ...meta, client_id: clientId }, file, name: file.name || "photo.jpg", size: file.size, thumb }));
    if (c) message(t("photo.saved"), "ok");
    await draw();
  };

  const camera = el("input", { type: "file", id: "camera", accept: "image/jpeg", capture: "environment", class: "file" });
  const gallery = el("input", { type: "file", id: "gallery", accept: "image/jpeg", class: "file" });
  camera.addEventListener("change", () => chosenFile(camera));
  gallery.addEventListener("change", () => chosenFile(gallery));
  const strip = el("div", { class: "strip", id: "photo-strip" });

  root.replaceChildren(
    el("h2", {}, t("photo.title")),
    el("p", { class: "muted" }, h.head_name, " ", h.number),
    kinds, strip,
    el("nav", { class: "actions" },
      el("a", { class: "button", href: `#/h/${id}` }, t("act.back")),
      el("label", { class: "button", for: "gallery" }, t("photo.gallery")),
      el("label", { class: "button primary", for: "camera" }, t("photo.camera"))),
    camera, gallery,
  );
  await draw();
  return () => {
    if (watch !== undefined) navigator.geolocation.clearWatch(watch);
    for (const url of thumbs) URL.revokeObjectURL(url);
  };
}
