// The service worker: what makes downloaded courses open without a network, and what
// sends the work done offline once there is one. Served from /sw.js with the app's
// revision in it, so a new version of the app reaches every device on its next visit.
//
// Caches: "lms-static" holds the fingerprinted styles and scripts (kept as they pass
// by); "lms-pages" holds this device's user's downloaded pages and pictures, and is
// emptied on sign-out or when someone else signs in. Nothing else is ever cached: the
// other pages are personal and stay out of every cache.
"use strict";
var REVISION = {{ revision|tojson }};
var APP = {{ app_files|tojson }};
var PAGES = "lms-pages", STATIC = "lms-static";
var OFFLINE = "/luring/tanpa-jaringan";

self.addEventListener("install", function (e) {
  // A new version takes over at once; an open attempt keeps working, since everything it
  // needs is in IndexedDB and the caches, which an update leaves alone.
  e.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.keys().then(function (keys) {
      var kept = keys.map(function (k) { return k.url; });
      var current = APP.map(function (u) { return new URL(u, self.location).href; }).filter(function (u) { return kept.indexOf(u) >= 0; });
      return Promise.all(keys.filter(function (k) {
        // An old version of an app file goes once its new version is kept (until then the
        // pages kept offline need it: an update may come in the middle of an attempt).
        var path = new URL(k.url).pathname;
        return current.indexOf(k.url) < 0 && current.some(function (c) { return new URL(c).pathname === path; });
      }).map(function (k) { return cache["delete"](k); }));
    });
  }).then(function () { return self.clients.claim(); }));
});

// --- the device's store (the same IndexedDB database as offline.js) ------------------
function req(r) {
  return new Promise(function (ok, fail) { r.onsuccess = function () { ok(r.result); }; r.onerror = function () { fail(r.error); }; });
}
function db() {
  var r = indexedDB.open("lms", 1);
  r.onupgradeneeded = function () {
    ["courses", "outbox", "meta"].forEach(function (name, i) {
      r.result.createObjectStore(name, { keyPath: ["key", "id", "k"][i] });
    });
  };
  return req(r);
}
function all(store) {
  return db().then(function (d) { var out = req(d.transaction(store).objectStore(store).getAll()); d.close(); return out; });
}
function put(store, value) {
  return db().then(function (d) {
    var t = d.transaction(store, "readwrite", { durability: "strict" });
    t.objectStore(store).put(value);
    return new Promise(function (ok, fail) { t.oncomplete = function () { d.close(); ok(); }; t.onerror = function () { fail(t.error); }; });
  });
}
function get(store, key) {
  return db().then(function (d) { var out = req(d.transaction(store).objectStore(store).get(key)); d.close(); return out; });
}

function tell(message) {
  return self.clients.matchAll({ includeUncontrolled: true }).then(function (list) {
    list.forEach(function (c) { c.postMessage(message); });
  });
}

// Signing out, or someone else signing in on this device: the downloads go. The outbox
// stays: it is sent when its owner signs in here again.
function forget() {
  return caches["delete"](PAGES).then(db).then(function (d) {
    var t = d.transaction("courses", "readwrite");
    t.objectStore("courses").clear();
    return new Promise(function (ok) { t.oncomplete = t.onerror = function () { d.close(); ok(); }; });
  });
}

self.addEventListener("message", function (e) {
  var m = e.data || {};
  if (m.type === "hello" || m.type === "flush") {
    e.waitUntil(get("meta", "owner").then(function (owner) {
      var changed = owner && owner.user !== m.user;
      return (changed ? forget() : Promise.resolve()).then(function () {
        return put("meta", { k: "owner", user: m.user, csrf: m.csrf });
      });
    }).then(function () { return m.type === "flush" ? flush() : null; }));
  }
});

self.addEventListener("sync", function (e) {
  if (e.tag === "lms-outbox") e.waitUntil(flush());
});

// --- sending the outbox ----------------------------------------------------------------
// A flush asked for while one is on its way runs after it: it may bring a new session's
// token, or work queued since the outbox was read.
var sending = null, again = false;
function wire(x) {
  var item = { id: x.id, kind: x.kind, token: x.token };
  if (x.kind === "module") item.module = x.module;
  else { item.started_at = x.started_at; item.finished_at = x.finished_at; item.answers = x.answers; }
  return item;
}

function flush() {
  if (sending) { again = true; return sending; }
  again = false;
  sending = Promise.all([get("meta", "owner"), all("outbox")]).then(function (got) {
    var owner = got[0], items = got[1].filter(function (x) { return owner && x.user === owner.user && x.state === "waiting"; });
    if (!items.length) return tell({ type: "synced", results: [] });
    items = items.slice(0, 50);
    return fetch("/luring/sinkron", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": owner.csrf || "" },
      body: JSON.stringify({ items: items.map(wire) })
    }).then(function (r) {
      if (r.redirected || r.status === 401 || r.status === 403 || r.status === 400) {
        return tell({ type: "signin" });  // the session ended: kept, sent after signing in
      }
      if (!r.ok) return tell({ type: "later", status: r.status });
      return r.json().then(function (reply) { return settle(items, reply.results || []); });
    }, function () { return tell({ type: "offline" }); });
  }).then(function (v) { sending = null; return again ? flush() : v; }, function (err) { sending = null; throw err; });
  return sending;
}

function settle(items, results) {
  var byId = {};
  items.forEach(function (x) { byId[x.id] = x; });
  var quizzes = {}, moved = 0;
  return Promise.all(results.map(function (res) {
    var x = byId[res.id];
    if (!x || res.status === "retry") return null;  // kept as it is: sent again next time
    x.state = res.status === "refused" ? "failed" : "done";
    x.result = res;
    x.sent = Date.now();
    moved += 1;
    if (x.kind === "attempt") quizzes[x.course] = true;
    return put("outbox", x);
  })).then(function () {
    return tell({ type: "synced", results: results });
  }).then(function () {
    // The download's quiz page held the token just used: fetch a fresh one.
    return Promise.all(Object.keys(quizzes).map(refreshQuiz));
  }).then(function () {
    // A full batch that went through: more may wait (sent by the flush that follows this
    // one; a flush() from inside it would wait for itself). Only "retry" back: stop.
    if (moved && items.length === 50) again = true;
  });
}

function refreshQuiz(slug) {
  var url = "/kursus/" + slug + "/kuis/luring";
  return caches.open(PAGES).then(function (cache) {
    return cache.match(url).then(function (kept) {
      if (!kept) return null;
      return fetch(url, { credentials: "same-origin" }).then(function (r) {
        if ((r.ok || r.status === 409) && !r.redirected) return cache.put(url, r);
        return null;
      }, function () { return null; });
    });
  });
}

// --- answering requests ------------------------------------------------------------------
// "Mark as done" without a network, in a downloaded course: queued, and on to the next step.
function doneOffline(slug, module) {
  return get("meta", "owner").then(function (owner) {
    return owner ? get("courses", owner.user + " " + slug).then(function (course) { return [owner, course]; }) : [null, null];
  }).then(function (got) {
    var owner = got[0], course = got[1];
    if (!course) return offline(new URL("/", self.location));
    var steps = course.modules.map(function (m) { return m.slug; }), i = steps.indexOf(module);
    var next = i >= 0 && i + 1 < steps.length ? course.modules[i + 1].url : (course.quiz ? "/kursus/" + slug + "/kuis" : course.url);
    return put("outbox", {
      id: crypto.randomUUID(), user: owner.user, kind: "module", course: slug, module: module,
      title: i >= 0 ? course.modules[i].title : module, courseTitle: course.title,
      token: course.token, state: "waiting", made: Date.now()
    }).then(function () {
      tell({ type: "queued" });
      if (self.registration.sync) self.registration.sync.register("lms-outbox")["catch"](function () { /* later, by a page */ });
      return Response.redirect(new URL(next, self.location).href, 303);
    });
  });
}

function offline(url) {
  return caches.open(PAGES).then(function (cache) {
    var quiz = url.pathname.match(/^\/kursus\/([^/]+)\/kuis$/);
    return (quiz ? cache.match(url.pathname + "/luring") : Promise.resolve(null)).then(function (hit) {
      return hit || cache.match(OFFLINE);
    }).then(function (hit) { return hit || Response.error(); });
  });
}

function within(promise, ms) {
  return new Promise(function (ok, fail) {
    var timer = setTimeout(function () { fail(new Error("timeout")); }, ms);
    promise.then(function (v) { clearTimeout(timer); ok(v); }, function (err) { clearTimeout(timer); fail(err); });
  });
}

// Pages: from the network, so what is shown is current; a downloaded page is kept up to
// date by each visit, and shown from the device when the network fails or hangs.
function page(request, url) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (kept) {
      var live = fetch(request).then(function (r) {
        if (kept && r.ok && !r.redirected && r.type === "basic") cache.put(request, r.clone());
        return r;
      });
      if (!kept) return live["catch"](function () { return offline(url); });
      return within(live, 8000)["catch"](function () { return kept; });
    });
  });
}

function fromStatic(request) {
  return caches.open(STATIC).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || fetch(request).then(function (r) {
        if (r.ok) cache.put(request, r.clone());
        return r;
      })["catch"](function () {
        // An older page asks for an older version of a file: the current one serves it.
        return cache.match(request, { ignoreSearch: true }).then(function (old) { return old || Response.error(); });
      });
    });
  });
}

self.addEventListener("fetch", function (e) {
  var request = e.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (url.pathname === "/keluar" || url.pathname === "/akun/keluar-semua") {
      e.respondWith(forget().then(function () { return fetch(request); }));
      return;
    }
    var done = url.pathname.match(/^\/kursus\/([^/]+)\/modul\/([^/]+)\/selesai$/);
    if (done && request.mode === "navigate") {
      e.respondWith(fetch(request.clone())["catch"](function () { return doneOffline(done[1], done[2]); }));
    }
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.indexOf("/static/") === 0) { e.respondWith(fromStatic(request)); return; }
  if (url.pathname.indexOf("/media/") === 0) {
    e.respondWith(caches.match(request, { cacheName: PAGES }).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  // The offline quiz page holds the token of an attempt that may be under way: always the
  // downloaded copy (the course's "Update" replaces it when no attempt is open).
  if (/^\/kursus\/[^/]+\/kuis\/luring$/.test(url.pathname) && request.mode === "navigate") {
    e.respondWith(caches.match(url.pathname, { cacheName: PAGES }).then(function (hit) {
      return hit || fetch(request)["catch"](function () { return offline(url); });
    }));
    return;
  }
  if (request.mode === "navigate") e.respondWith(page(request, url));
});
