// Capturing the home location: the Geolocation API with high accuracy, the accuracy shown live,
// the capture allowed within the server's limit (or with an explicit "low accuracy" choice). The
// position is WGS-84 as the phone's GPS gives it, with accuracy, altitude and the fix's own time.
import { getMeta } from "./db.js";
import { enqueue } from "./outbox.js";
import { household } from "./household.js";
import { t } from "./i18n.js";
import { el, message } from "./ui.js";

export async function locateView(root, id) {
  const h = await household(root, id);
  if (!h) return;
  const limit = (await getMeta("config"))?.location_max_accuracy_m ?? 50;
  let fix = null;
  const accuracy = el("p", { id: "accuracy", class: "big" }, t("loc.waiting"));
  const detail = el("p", { id: "fix", class: "muted" });
  const verdict = el("p", { id: "verdict" });
  const low = el("input", { type: "checkbox", id: "low-accuracy" });
  const lowLabel = el("label", { class: "check", hidden: true }, low, " ", t("loc.low_choice"));
  const capture = el("button", { type: "button", id: "capture", class: "primary", disabled: true }, t("loc.capture"));

  const update = () => {
    const ok = fix && fix.coords.accuracy <= limit;
    capture.disabled = !fix || (!ok && !low.checked);
    lowLabel.hidden = !fix || ok;
    if (!fix) return;
    const c = fix.coords;
    accuracy.textContent = `${t("loc.accuracy")} ±${Math.round(c.accuracy)} m`;
    accuracy.className = `big ${ok ? "ok" : "bad"}`;
    verdict.textContent = ok ? `${t("loc.ok")} (${t("loc.limit")} ≤ ${limit} m)` : `${t("loc.low")} (${t("loc.limit")} ≤ ${limit} m)`;
    detail.textContent = `${c.latitude.toFixed(6)}, ${c.longitude.toFixed(6)}${c.altitude !== null ? ` · ${t("loc.altitude")} ${Math.round(c.altitude)} m` : ""} · ${Math.max(0, Math.round((Date.now() - fix.timestamp) / 1000))} ${t("loc.age")}`;
  };
  low.addEventListener("change", update);

  const watch = navigator.geolocation?.watchPosition(
    (p) => { fix = p; update(); },
    (e) => { accuracy.textContent = e.code === 1 ? t("loc.denied") : t("loc.unavailable"); accuracy.className = "big bad"; },
    { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 },
  );
  if (watch === undefined) accuracy.textContent = t("loc.unavailable");
  const ticker = setInterval(update, 1000);

  capture.addEventListener("click", async () => {
    const c = fix.coords;
    capture.disabled = true;
    await enqueue("location", id, (clientId) => ({
      body: {
        lat: c.latitude, lon: c.longitude, crs: "wgs84", accuracy_m: c.accuracy,
        altitude_m: c.altitude ?? null, captured_at: new Date(fix.timestamp).toISOString(), source: "gps", client_id: clientId,
      },
    }));
    message(t("loc.saved"), "ok");
    location.hash = `#/h/${id}`;
  });

  root.replaceChildren(
    el("h2", {}, t("loc.title")),
    el("p", { class: "muted" }, h.head_name, " ", h.number),
    accuracy, verdict, detail, lowLabel,
    el("nav", { class: "actions" }, el("a", { class: "button", href: `#/h/${id}` }, t("act.back")), capture),
  );
  return () => {
    if (watch !== undefined) navigator.geolocation.clearWatch(watch);
    clearInterval(ticker);
  };
}
