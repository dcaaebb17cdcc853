/**
 * Confnotes service worker: a note page once visited opens again offline.
 *
 * - Note pages (registered by the editor with a "keep-page" message) are
 *   fetched network-first; their cached copy is used when the network fails
 *   or hangs.
 * - The scripts and stylesheets those pages use (editor bundle, CSS, htmx)
 *   are served cache-first and revalidated in the background.
 * - Everything else, every non-GET request and WebSockets are left alone.
 *
 * The cache name carries the build hash (filled in by build-assets.mjs), so
 * a deploy with a new bundle starts a new cache; kept pages and the assets
 * they reference move over, the rest is dropped.
 */
const BUILD = "__CONFNOTES_BUILD__";
const PREFIX = "confnotes-";
const CACHE = `${PREFIX}${BUILD}`;
const NETWORK_TIMEOUT_MS = 4000;
const MAX_PAGES = 50;
// Only what a page loads as a subresource; fetch()/htmx requests ("") never
// get a cached page back.
const ASSET_DESTINATIONS = new Set(["script", "style", "font", "image", "manifest"]);

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(migrateOldCaches().then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep-page" && typeof data.url === "string") {
    event.waitUntil(keepPage(data.url, Array.isArray(data.assets) ? data.assets : []));
  } else if (data.type === "forget-pages") {
    // e.g. on sign-out: cached pages hold the signed-in user's view.
    event.waitUntil(caches.keys().then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX)).map((n) => caches.delete(n)))));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (ASSET_DESTINATIONS.has(request.destination) && !request.headers.has("range")) {
    event.respondWith(asset(event));
  }
});

function sameOrigin(value) {
  try {
    const url = new URL(value, self.location.origin);
    return url.origin === self.location.origin ? url : null;
  } catch {
    return null;
  }
}

function keyOf(url) {
  const clean = new URL(url);
  clean.hash = "";
  return clean.href;
}

function storable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

function isHtml(response) {
  return (response.headers.get("content-type") || "").startsWith("text/html");
}

async function keepPage(pageUrl, assetUrls) {
  const url = sameOrigin(pageUrl);
  if (!url) return;
  const cache = await caches.open(CACHE);
  const key = keyOf(url);
  if (!(await cache.match(key, { ignoreVary: true }))) {
    const response = await fetch(key, { credentials: "same-origin" }).catch(() => null);
    if (storable(response) && isHtml(response)) {
      await cache.put(key, response);
      await trimPages(cache);
    }
  }
  for (const value of assetUrls) {
    const asset = sameOrigin(value);
    if (!asset || (await cache.match(asset.href))) continue;
    const response = await fetch(asset.href, { credentials: "same-origin" }).catch(() => null);
    if (storable(response)) await cache.put(asset.href, response);
  }
}

async function trimPages(cache) {
  const pages = [];
  for (const request of await cache.keys()) {
    const response = await cache.match(request, { ignoreVary: true });
    if (response && isHtml(response)) pages.push(request);
  }
  // cache.keys() lists in insertion order: drop the oldest pages.
  for (const request of pages.slice(0, Math.max(0, pages.length - MAX_PAGES))) {
    await cache.delete(request, { ignoreVary: true });
  }
}

async function page(event) {
  const request = event.request;
  const cache = await caches.open(CACHE);
  const key = keyOf(request.url);
  const cached = await cache.match(key, { ignoreVary: true });
  const network = fetch(request).then(async (response) => {
    if (cached && storable(response) && isHtml(response)) await cache.put(key, response.clone());
    return response;
  });
  if (!cached) return network.catch(() => offlinePage());
  event.waitUntil(network.catch(() => null));
  // A network that neither answers nor fails (captive portal, dying Wi-Fi)
  // must not keep the note from opening.
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS, null));
  const response = await Promise.race([network.catch(() => null), timeout]);
  // A proxy's 502/503 while the app is down is no better than no network.
  return response && response.status < 500 ? response : cached;
}

async function asset(event) {
  const request = event.request;
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreVary: true });
  if (!cached) return fetch(request); // not a kept page's asset: not ours to cache
  event.waitUntil(
    fetch(request)
      .then((response) => (storable(response) ? cache.put(request, response) : null))
      .catch(() => null),
  );
  return cached;
}

function offlinePage() {
  return new Response(
    "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
      "<title>Offline</title><h1>You are offline</h1>" +
      "<p>This page was not saved for offline use. Notes you opened before are available.</p>",
    { status: 503, headers: { "content-type": "text/html; charset=utf-8" } },
  );
}

const ASSET_REFERENCE = /<(?:script|link)\b[^>]*?\s(?:src|href)=["']([^"']+)["']/gi;

async function migrateOldCaches() {
  const names = (await caches.keys()).filter((name) => name.startsWith(PREFIX) && name !== CACHE);
  if (names.length === 0) return;
  const cache = await caches.open(CACHE);
  for (const name of names) {
    const old = await caches.open(name);
    for (const request of await old.keys()) {
      const response = await old.match(request, { ignoreVary: true });
      if (!response || !isHtml(response) || (await cache.match(request, { ignoreVary: true }))) continue;
      const html = await response.clone().text();
      await cache.put(request, response);
      for (const [, reference] of html.matchAll(ASSET_REFERENCE)) {
        const asset = sameOrigin(reference.replaceAll("&amp;", "&"));
        if (!asset || (await cache.match(asset.href))) continue;
        const kept = await old.match(asset.href);
        if (kept) await cache.put(asset.href, kept);
      }
    }
    await caches.delete(name);
  }
}
