// Service worker of the observers' page: keeps the page and its assets on the device so that
// an observer can open it, enter and sign protocols with no network at all. It caches only
// GET requests of this origin, never the API: protocols are queued in IndexedDB by the page
// and sent by it (see src/observe/queue.ts).

const CACHE = 'fairtally-observe-v1';
const PAGES = ['observe', 'observe.html'];
const scope = new URL(self.registration.scope);

// The page's own files: the asset URLs (scripts, styles, icons, manifest) named in its HTML.
function assetsOf(html, base) {
  const urls = new Set();
  for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    const url = new URL(m[1], base);
    if (url.origin === scope.origin) urls.add(url.href);
  }
  return [...urls];
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      for (const page of PAGES) {
        const url = new URL(page, scope).href;
        const res = await fetch(url, { cache: 'no-store' }).catch(() => undefined);
        if (!res || !res.ok) continue;
        const html = await res.clone().text();
        await cache.put(url, res);
        await cache.addAll(assetsOf(html, url)).catch(() => undefined);
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok) await cache.put(request, res.clone());
    return res;
  } catch (e) {
    const cached =
      (await cache.match(request, { ignoreSearch: request.mode === 'navigate' })) ??
      (request.mode === 'navigate' ? await cache.match(new URL('observe', scope).href) : undefined);
    if (cached) return cached;
    throw e;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const res = await fetch(request);
  if (res.ok) await cache.put(request, res.clone());
  return res;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.origin) return;
  if (url.pathname.startsWith(new URL('api/', scope).pathname)) return;
  // Built assets carry their hash in their name and never change.
  const immutable = url.pathname.startsWith(new URL('assets/', scope).pathname);
  event.respondWith(immutable ? cacheFirst(request) : networkFirst(request));
});
