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
// sent (answers are POSTs and always go to the network, passed through). The answers that
// wait to be sent are not here: they are the page's outbox, in IndexedDB
// (database "chorus", store "outbox"; runner/src/outbox.rs).
//
// Background Sync (Chromium): when a submission the page sends fails (no
// network, a 5xx, 408 or 429), this worker asks for a "chorus-outbox" sync
// (the page has kept the request in its outbox before sending it), and the
// browser wakes the worker when it is online, even with no page of the
// runner open. The worker then sends each
// waiting item once, exactly as the page would (the same request, the same
// submission id: the collector stores it once whoever sends it), and
// deletes only what the collector acknowledged as stored. Everything else
// — a refusal to show the member, a retry — is left for the page, whose
// rules (runner::outbox) decide; a failed attempt makes the browser try
// the sync again later. Browsers without Background Sync (Firefox, Tor
// Browser, Safari) send when a page of the runner is open.
//
// Updates: a new VERSION installs beside the old one and waits (no
// skipWaiting) until every page of the old one is closed, so it never takes
// over while a page is sending an answer. The waiting answers stay in
// IndexedDB through the update; every version of the runner reads them.

const CACHE = "chorus-" + VERSION;
const LIST = "/api/surveys";
const DEFINITION = /^\/api\/surveys\/[^/]+$/;
const WORDS = /^\/api\/ui\/[^/]+$/;
const RESPONSES = /^\/api\/surveys\/[^/]+\/responses$/;

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
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (request.method === "POST" && RESPONSES.test(path)) {
    // Passed through unchanged; a failure asks for a sync.
    event.respondWith(
      fetch(request).then(
        (response) => {
          if (response.status >= 500 || response.status === 408 || response.status === 429) askForSync(event);
          return response;
        },
        (error) => {
          askForSync(event);
          throw error;
        },
      ),
    );
    return;
  }
  if (request.method !== "GET") return;
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

function askForSync(event) {
  const sync = self.registration.sync;
  if (sync) event.waitUntil(sync.register("chorus-outbox").catch(() => {}));
}

self.addEventListener("sync", (event) => {
  if (event.tag === "chorus-outbox") event.waitUntil(sendWaiting());
});

const OUTBOX_DB = "chorus";
const OUTBOX = "outbox";

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// Sends every waiting item; rejects (so the browser tries again later) when
// one could not be sent and may still be.
async function sendWaiting() {
  const open = indexedDB.open(OUTBOX_DB);
  // Never creates the database: that is the page's.
  open.onupgradeneeded = () => open.transaction.abort();
  let db;
  try {
    db = await request(open);
  } catch (_) {
    return;
  }
  try {
    if (!db.objectStoreNames.contains(OUTBOX)) return;
    const tx = db.transaction(OUTBOX);
    const [keys, values] = await Promise.all([
      request(tx.objectStore(OUTBOX).getAllKeys()),
      request(tx.objectStore(OUTBOX).getAll()),
    ]);
    let again = false;
    for (let i = 0; i < keys.length; i++) {
      const item = decodeItem(values[i]);
      if (!item || !item.waiting) continue;
      let response;
      try {
        response = await fetch(item.url, {
          method: "POST",
          credentials: "omit",
          headers: item.headers,
          body: item.body,
        });
      } catch (_) {
        again = true;
        continue;
      }
      if (await acknowledged(response)) {
        await request(db.transaction(OUTBOX, "readwrite").objectStore(OUTBOX).delete(keys[i])).catch(() => {});
      } else if (response.status >= 500 || response.status === 408 || response.status === 429) {
        again = true;
      }
    }
    if (again) throw new Error("answers still waiting");
  } finally {
    db.close();
  }
}

// The collector's acknowledgement, read as runner::outbox's Verdict reads
// it: 200 or 201 with a JSON object whose status is "stored" or
// "duplicate". Anything else (a proxy's page too) is not.
async function acknowledged(response) {
  if (response.status !== 200 && response.status !== 201) return false;
  try {
    const status = (await response.json()).status;
    return status === "stored" || status === "duplicate";
  } catch (_) {
    return false;
  }
}

// Reads an outbox item (runner::outbox::Item::encode, format 1): "CHOB",
// format, survey id, version, submission id, attempts, next attempt, body,
// state; integers little-endian, strings as a u32 length and bytes. Null
// for anything else (another format: the page that wrote it sends it).
function decodeItem(value) {
  if (!(value instanceof Uint8Array)) return null;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  let at = 0;
  const need = (n) => {
    if (at + n > value.length) throw new Error("short");
    const from = at;
    at += n;
    return from;
  };
  const u8 = () => value[need(1)];
  const u32 = () => view.getUint32(need(4), true);
  const bytes = () => {
    const n = u32();
    const from = need(n);
    return value.subarray(from, from + n);
  };
  const text = () => new TextDecoder().decode(bytes());
  try {
    if (String.fromCharCode(...value.subarray(0, 4)) !== "CHOB") return null;
    need(4);
    if (u8() !== 1) return null;
    const surveyId = text();
    const version = u32();
    const submissionId = text();
    need(4 + 8); // attempts, next attempt: the page's back-off
    const kind = u8();
    const body = bytes();
    const waiting = u8() === 1;
    const headers =
      kind === 1
        ? {
            "Content-Type": "application/vnd.chorus.envelope",
            "Chorus-Submission-Id": submissionId,
            "Chorus-Version": String(version),
          }
        : { "Content-Type": "application/json" };
    const url = "/api/surveys/" + encodeURIComponent(surveyId) + "/responses";
    return kind === 1 || kind === 2 ? { url, waiting, body, headers } : null;
  } catch (_) {
    return null;
  }
}
