// The app's service worker: every file of the app (the list below is written in by the server)
// cached under the version of the binary that served it, so the app opens with no signal after
// one visit. A new binary has a new version: its files are cached when the phone next has
// signal and the old ones dropped. API requests are not touched: they go to the network, and
// the page's outbox keeps whatever could not be sent.
const VERSION = "__VERSION__";
const SHELL = [/*__SHELL__*/];
const CACHE = `fangpin-app-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([...SHELL, "/app/config.json"])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("fangpin-app-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  if (url.pathname === "/app/config.json") {
    // The server's settings: fresh when there is signal, the last copy without.
    event.respondWith(fetch(event.request).then((res) => {
      if (res.ok) {
        const copy = res.clone();
        caches.open(CACHE).then((cache) => cache.put("/app/config.json", copy));
      }
      return res;
    }).catch(() => caches.match("/app/config.json")));
    return;
  }
  const key = event.request.mode === "navigate" ? "/app/" : url.pathname;
  event.respondWith(caches.match(key, { cacheName: CACHE }).then((hit) => hit || fetch(event.request)));
});
