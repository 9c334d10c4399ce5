// Map 地图: homes of a village or township as points coloured by status, a configurable tile
// layer (none by default: points, the village hull and a scale bar work offline), and the
// household card with thumbnails on click.
import { api, all, blobUrl } from "./api.js";
import { label, t } from "./i18n.js";
import { division, el, message, placeName, problemText } from "./main.js";
import { archiveSection } from "./archive.js";

// Also in app.css (.dot-*): the legend cannot use inline styles under the page's CSP.
const COLOURS = { located: "#2e7d32", move: "#ef6c00", flagged: "#c62828" };
const PRESETS = {
  none: { url: "", crs: "wgs84" },
  // 天地图 vector tiles (CGCS2000 ≈ WGS-84); the office's own key goes in {key}.
  tianditu: { url: "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}", crs: "wgs84", subdomains: "01234567" },
  // 高德 (Amap) tiles are in GCJ-02: points are asked for with ?crs=gcj02 to sit on them.
  amap: { url: "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}", crs: "gcj02", subdomains: "1234" },
};

export function tileSettings() {
  const saved = JSON.parse(localStorage.getItem("fangpin.tiles") || "null");
  return saved && saved.preset ? saved : { preset: "none", key: "", url: "", crs: "wgs84" };
}

export function baseLayer(map, s) {
  const preset = s.preset === "custom" ? { url: s.url, crs: s.crs } : PRESETS[s.preset] || PRESETS.none;
  if (!preset.url) return null;
  return L.tileLayer(preset.url.replace("{key}", encodeURIComponent(s.key || "")), { subdomains: preset.subdomains || "abc", maxZoom: 18 }).addTo(map);
}

export function crsOf(s) { return s.preset === "custom" ? s.crs : (PRESETS[s.preset] || PRESETS.none).crs; }

/// Convex hull (monotone chain) of [lat, lon] points.
export function hull(points) {
  const p = [...points].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  if (p.length < 3) return p;
  const cross = (o, a, b) => (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1]);
  const half = (pts) => pts.reduce((h, q) => {
    while (h.length >= 2 && cross(h[h.length - 2], h[h.length - 1], q) <= 0) h.pop();
    h.push(q);
    return h;
  }, []);
  const lower = half(p), upper = half([...p].reverse());
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/// The household's profile 户基本情况, by name: only what is filled in.
function profileList(h) {
  const p = h.profile || {};
  const rows = [
    ["card.identified", p.identified_year], ["card.included", p.monitoring_included_on], ["card.lifted", p.lifted_out_year],
    ["card.eliminated", p.risk_eliminated_on && `${p.risk_eliminated_on} · ${label("elimination_way", p.risk_elimination_way)}`],
    ["card.fallback", p.fallback_reason && label("risk_type", p.fallback_reason)],
    ["card.risk", (h.risk_types || []).map((r) => label("risk_type", r)).join("、")],
    ["card.site", p.resettlement_site],
  ].filter(([, v]) => v);
  const flags = (p.flags || []).map((f) => label("household_flag", f));
  if (rows.length === 0 && flags.length === 0) return null;
  return el("div", { id: "household-profile" }, el("h4", {}, t("card.profile")),
    flags.length ? el("p", { class: "flags" }, flags.join(" · ")) : null,
    el("dl", {}, rows.flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", {}, String(v))])));
}

/// A member with what changed: joined (增加原因 · 增加时间), left (减少原因 · 减少时间), no ID number.
function memberItem(m) {
  const notes = [
    m.no_id_reason && `${t("card.no_id")}: ${label("no_id_reason", m.no_id_reason)}`,
    m.join_reason && `${t("card.joined")}: ${label("join_reason", m.join_reason)} ${m.joined_on || ""}`,
    m.removed_reason && `${t("card.left")}: ${label("removal_reason", m.removed_reason)} ${m.left_on || ""}`,
  ].filter(Boolean);
  return el("li", { class: m.removed_at ? "removed" : null }, `${m.name} · ${label("relation", m.relation)} · ${label("sex", m.sex)}`,
    notes.length ? el("span", { class: "muted" }, ` (${notes.join("；")})`) : null);
}

async function showCard(card, id) {
  card.replaceChildren(el("p", { class: "muted" }, t("loading")));
  const [h, photos] = await Promise.all([api(`/households/${id}`), api(`/households/${id}/photos`)]);
  const thumbs = el("div", { class: "thumbs" });
  card.replaceChildren(
    el("h3", {}, `${h.number} · ${h.head_name}`),
    el("p", { class: "muted", id: "household-village" }, h.village_code),
    el("p", {}, `${t("col.category")}: ${label("category", h.category)}`, h.pairing ? ` · ${t("ledger.cadre")}: ${h.pairing.cadre_name || ""}` : ""),
    h.home ? el("p", {}, `${t("card.home")}: ${h.home.lat.toFixed(5)}, ${h.home.lon.toFixed(5)} (±${Math.round(h.home.accuracy_m ?? 0)} m)`) : null,
    profileList(h),
    el("h4", {}, t("card.members")),
    el("ul", { id: "household-members" }, h.members.map(memberItem)),
    el("h4", {}, `${t("card.photos")} (${photos.items.length})`),
    thumbs,
  );
  archiveSection(h.id, h.number).then((section) => card.append(section)).catch((e) => card.append(el("p", { class: "error" }, problemText(e))));
  placeName(h.village_code).then((name) => { const v = card.querySelector("#household-village"); if (v) v.textContent = name; });
  for (const p of photos.items) {
    const img = el("img", { alt: label("photo_kind", p.kind), title: `${label("photo_kind", p.kind)} · ${label("photo_status", p.status)}` });
    thumbs.append(img);
    blobUrl(p.thumbnail_url).then((u) => { img.src = u; }).catch(() => null);
  }
}

export function newMap(node) {
  const map = L.map(node, { preferCanvas: false, attributionControl: false });
  L.control.scale({ imperial: false }).addTo(map);
  return map;
}

export async function mapView(root, params) {
  const code = division(params);
  const settings = tileSettings();
  const crs = crsOf(settings);
  const [geo, flagged, place] = await Promise.all([
    api(`/households.geojson?division=${code}${crs !== "wgs84" ? `&crs=${crs}` : ""}`),
    all(`/photo-checks?division=${code}&status=flagged`, 2000).catch(() => []),
    placeName(code),
  ]);
  const flaggedHomes = new Set(flagged.map((p) => p.household_id));
  const select = el("select", { id: "tiles", onchange: () => {
    const next = { ...settings, preset: select.value };
    if (next.preset === "tianditu" && !next.key) next.key = prompt(t("map.key")) || "";
    if (next.preset === "custom") next.url = prompt("URL {z}/{x}/{y}", settings.url) || "";
    localStorage.setItem("fangpin.tiles", JSON.stringify(next));
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } }, ["none", "tianditu", "amap", "custom"].map((p) => el("option", { value: p, selected: p === settings.preset }, t(`map.${p}`))));
  const count = el("span", { id: "home-count" }, `${geo.features.length} ${t("map.homes")}`);
  const legend = el("span", { class: "legend" }, ...["located", "move", "flagged"].flatMap((k) => [el("span", { class: `dot-${k}` }), t(`map.${k}`)]));
  const mapNode = el("div", { id: "map" });
  const card = el("div", { class: "card", id: "household-card" });
  root.replaceChildren(
    el("div", { class: "toolbar" }, el("a", { href: `#/coverage?division=${code}`, id: "map-division" }, place), count, legend, el("label", {}, `${t("map.tiles")} `, select)),
    el("div", { class: "split" }, mapNode, card),
  );
  const map = newMap(mapNode);
  baseLayer(map, settings);
  const points = [];
  const villages = new Map();
  for (const f of geo.features) {
    const [lon, lat] = f.geometry.coordinates;
    if (!villages.has(f.properties.village_code)) villages.set(f.properties.village_code, []);
    villages.get(f.properties.village_code).push([lat, lon]);
    const status = flaggedHomes.has(f.properties.id) ? "flagged" : f.properties.pending_move ? "move" : "located";
    points.push([lat, lon]);
    L.circleMarker([lat, lon], { radius: 6, color: "#fff", weight: 1, fillColor: COLOURS[status], fillOpacity: 0.9, className: `home home-${status}` })
      .bindTooltip(`${f.properties.number} ${f.properties.head_name}`)
      .on("click", () => showCard(card, f.properties.id).catch((e) => message(problemText(e), "error")))
      .addTo(map);
  }
  // Each village's hull: where its homes are, drawn without any tile.
  for (const [village, pts] of villages) {
    if (pts.length >= 3) L.polygon(hull(pts), { color: "#8b1a1a", weight: 1, fillOpacity: 0.05, interactive: false, className: `hull hull-${village}` }).addTo(map);
  }
  if (points.length > 0) map.fitBounds(L.latLngBounds(points).pad(0.15));
  else map.setView([37.6, 110.0], 10);
  return () => map.remove();
}
