// Pending moves 待确认搬迁: a capture far from the home waits for the township to confirm the
// household moved (the capture becomes the home) or reject it; old and new positions on the map.
import { api, all } from "./api.js";
import { t } from "./i18n.js";
import { division, el, message, problemText } from "./main.js";
import { baseLayer, newMap, tileSettings } from "./map.js";

export async function movesView(root, params) {
  const code = division(params);
  const geo = await api(`/households.geojson?division=${code}`);
  const pending = geo.features.filter((f) => f.properties.pending_move).map((f) => f.properties.id);
  const items = await Promise.all(pending.map(async (id) => {
    const h = await api(`/households/${id}`);
    const caps = await all(`/households/${id}/locations`, 200);
    return { h, move: caps.find((c) => c.id === h.pending_move_id) };
  }));
  const list = el("div", { id: "moves-list" });
  const mapNode = el("div", { id: "map" });
  root.replaceChildren(el("h2", {}, `${t("nav.moves")} (${items.length})`), el("div", { class: "split" }, mapNode, list));
  const map = newMap(mapNode);
  baseLayer(map, tileSettings());
  const layer = L.layerGroup().addTo(map);
  const bounds = [];

  function focus({ h, move }) {
    layer.clearLayers();
    const from = [h.home.lat, h.home.lon], to = [move.wgs84.lat, move.wgs84.lon];
    L.circleMarker(from, { radius: 8, color: "#1565c0", className: "old-home" }).bindTooltip(t("moves.old")).addTo(layer);
    L.circleMarker(to, { radius: 8, color: "#ef6c00", className: "new-home" }).bindTooltip(t("moves.new")).addTo(layer);
    L.polyline([from, to], { color: "#555", dashArray: "4 4" }).addTo(layer);
    map.fitBounds(L.latLngBounds([from, to]).pad(0.4));
  }

  for (const item of items) {
    const { h, move } = item;
    if (!move || !h.home) continue;
    bounds.push([h.home.lat, h.home.lon], [move.wgs84.lat, move.wgs84.lon]);
    const decide = async (action) => {
      try {
        await api(`/households/${h.id}/locations/${move.id}/${action}`, { method: "POST" });
        card.replaceWith(el("p", { class: "muted" }, `${h.number} · ${t(action === "confirm" ? "moves.confirmed" : "moves.rejected")}`));
        message(t(action === "confirm" ? "moves.confirmed" : "moves.rejected"));
      } catch (e) { message(problemText(e), "error"); }
    };
    const card = el("div", { class: "card move", "data-household": h.id, onmouseenter: () => focus(item) },
      el("h3", {}, `${h.number} · ${h.head_name}`),
      el("p", {}, `${t("moves.distance")}: ${Math.round(move.moved_m ?? 0)} m · ${new Date(move.captured_at).toLocaleString()} · ${move.captured_by}`),
      el("button", { type: "button", class: "primary confirm", onclick: () => decide("confirm") }, t("moves.confirm")), " ",
      el("button", { type: "button", class: "reject", onclick: () => decide("reject") }, t("moves.reject")));
    list.append(card);
  }
  if (items.length === 0) list.append(el("p", { class: "muted" }, t("moves.empty")));
  if (bounds.length) map.fitBounds(L.latLngBounds(bounds).pad(0.2));
  else map.setView([37.6, 110.0], 10);
  if (items[0]?.move) focus(items[0]);
  return () => map.remove();
}
