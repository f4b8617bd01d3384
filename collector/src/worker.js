// The runner's service worker (served as /sw.js, scope /), so that a member
// who opened the runner once can open it again with no network and answer.
// The collector writes VERSION and SHELL above this line at start.
//
// What it keeps, in the cache "chorus-" + VERSION:
// - SHELL: the runner's files (Trunk's page, the hashed wasm, JS and CSS),
//   the manifest and icon, and the runner's words in every language;
// - the list of open surveys and the definition of every open survey — all
//   of them, not only those a member opened, so the cache does not tell
//   which survey this phone was used for.
// What it never keeps: a page (server pages may hold answers) or anything
// sent (answers are POSTs and always go to the network). The answers that
// wait to be sent are not here: they are the page's, in IndexedDB, which
// this worker never touches.
//
// Updates: a new VERSION installs beside the old one and waits (no
// skipWaiting) until every page of the old one is closed, so it never takes
// over while a page is sending an answer. The waiting answers stay in
// IndexedDB through the update; every version of the runner reads them.

const CACHE = "chorus-" + VERSION;
const LIST = "/api/surveys";
const DEFINITION = /^\/api\/surveys\/[^/]+$/;
const WORDS = /^\/api\/ui\/[^/]+$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      // Through the HTTP cache: the hashed files the page has just loaded
      // (immutable) are not downloaded a second time on a slow network.
      await cache.addAll(SHELL.map((path) => new Request(path, { credentials: "omit" })));
      // The surveys open now, best effort: offline the runner can do
      // without them only until the first time it is online.
      try {
        const list = await fetch(LIST, { cache: "no-store", credentials: "omit" });
        if (list.ok) {
          await cache.put(LIST, list.clone());
          await keepDefinitions(cache, list);
        }
      } catch (_) {}
    }),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith("chorus-") && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (request.mode === "navigate") {
    // Never cached; offline, the shell starts on the list of surveys.
    event.respondWith(fetch(request).catch(() => fromCache("/index.html")));
  } else if (SHELL.includes(path)) {
    event.respondWith(fromCache(path).catch(() => fetch(request)));
  } else if (path === LIST || DEFINITION.test(path) || WORDS.test(path)) {
    event.respondWith(networkFirst(event, request, path));
  }
});

async function fromCache(path) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(path, { ignoreVary: true });
  if (!hit) throw new Error("not kept: " + path);
  return hit;
}

// The network's answer when there is one (kept when it is a success, so that
// a 404 for a closed survey comes through and is not kept); the kept copy
// only when the network cannot be reached.
async function networkFirst(event, request, path) {
  let response;
  try {
    response = await fetch(request);
  } catch (offline) {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(path, { ignoreVary: true });
    if (hit) return hit;
    throw offline;
  }
  if (response.ok) {
    const copy = response.clone();
    event.waitUntil(
      caches.open(CACHE).then(async (cache) => {
        await cache.put(path, copy.clone());
        if (path === LIST) await keepDefinitions(cache, copy);
      }),
    );
  }
  return response;
}

// Fetches and keeps the definition of every survey in `list` (a response of
// /api/surveys), and drops the definitions of surveys no longer open.
async function keepDefinitions(cache, list) {
  const surveys = await list.json();
  if (!Array.isArray(surveys)) return;
  const open = new Set(surveys.map((s) => "/api/surveys/" + encodeURIComponent(s.id)));
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (DEFINITION.test(path) && !open.has(path)) await cache.delete(request);
  }
  await Promise.all(
    [...open].map(async (path) => {
      try {
        const response = await fetch(path, { cache: "no-store", credentials: "omit" });
        if (response.ok) await cache.put(path, response);
      } catch (_) {}
    }),
  );
}
