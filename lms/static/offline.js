// The offline client's part of every signed-in page, kept small (it is in every page's
// budget): pictures on tap (data saver), the service worker, the device's store
// (IndexedDB "lms": downloaded courses, and the outbox of work done offline), the
// header's badge while something waits, and sending what waits when the network is back.
// The heavier parts load only where they are used: luring.js (downloads, the sync page)
// and quiz.js (the quiz).
(function () {
  "use strict";
  var body = document.body, user = body.getAttribute("data-u");

  // Data saver: a picture shown as a link becomes the picture when tapped.
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a.tap-img") : null;
    if (!a) return;
    e.preventDefault();
    var img = new Image();
    img.alt = a.getAttribute("data-alt") || "";
    ["width", "height"].forEach(function (k) { if (a.getAttribute("data-" + k)) img.setAttribute(k, a.getAttribute("data-" + k)); });
    img.src = a.href;
    a.parentNode.replaceChild(img, a);
  });

  // A result page: the attempt is submitted, so its answers kept by quiz.js can go.
  var done = document.querySelector("[data-quiz-done]");
  if (done) {
    try { window.localStorage.removeItem("lms-quiz-" + done.getAttribute("data-quiz-done")); } catch (e) { /* none kept */ }
  }

  if (!user || !("serviceWorker" in navigator) || !window.indexedDB || !window.Promise) return;
  var field = document.querySelector("#signout input[name=csrf_token]");
  var LMS = window.LMS = { user: user, csrf: field ? field.value : "" };

  function req(r) {
    return new Promise(function (ok, fail) { r.onsuccess = function () { ok(r.result); }; r.onerror = function () { fail(r.error); }; });
  }
  var opened = null;
  // Shared with the service worker (sw.js opens it with the same version and stores).
  LMS.db = function () {
    if (!opened) {
      var r = indexedDB.open("lms", 1);
      r.onupgradeneeded = function () {
        var db = r.result;
        db.createObjectStore("courses", { keyPath: "key" });
        db.createObjectStore("outbox", { keyPath: "id" });
        db.createObjectStore("meta", { keyPath: "k" });
      };
      opened = req(r).then(function (db) { db.onversionchange = function () { db.close(); opened = null; }; return db; });
    }
    return opened;
  };
  LMS.tx = function (store, mode, fn) {
    return LMS.db().then(function (db) {
      // "strict": the write is on disk before it counts as done (a phone may lose power).
      var t = db.transaction(store, mode || "readonly", { durability: "strict" }), s = t.objectStore(store);
      var out = fn(s);
      return new Promise(function (ok, fail) {
        t.oncomplete = function () { ok(out instanceof IDBRequest ? out.result : out); };
        t.onerror = t.onabort = function () { fail(t.error); };
      });
    });
  };
  LMS.get = function (store, key) { return LMS.tx(store, "readonly", function (s) { return s.get(key); }); };
  LMS.put = function (store, value) { return LMS.tx(store, "readwrite", function (s) { s.put(value); }); };
  LMS.del = function (store, key) { return LMS.tx(store, "readwrite", function (s) { s["delete"](key); }); };
  // This user's records only: on a shared PC, the others' stay out of sight.
  LMS.mine = function (store) {
    return LMS.tx(store, "readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (x) { return x.user === user; });
    });
  };
  LMS.courseKey = function (slug) { return user + " " + slug; };
  LMS.waiting = function (x) { return x.state === "waiting" || (x.state === "failed" && !x.seen); };

  function worker(message) {
    return navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) reg.active.postMessage(message);
    });
  }
  // Also asks the browser to wake the service worker when the network is back, should the
  // page be closed by then (Background Sync, where the browser has it).
  LMS.flush = function () {
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) reg.sync.register("lms-outbox")["catch"](function () { /* not allowed here */ });
    });
    return worker({ type: "flush", user: user, csrf: LMS.csrf });
  };

  var badge = document.getElementById("sync-badge");
  LMS.badge = function () {
    return LMS.mine("outbox").then(function (items) {
      var n = items.filter(LMS.waiting).length;
      if (badge) { badge.textContent = n ? String(n) : ""; badge.hidden = !n; }
      return n;
    }, function () { return 0; });
  };

  // A send that failed (no network after all, the server away) is tried again, less and
  // less often, while the device believes it is online; the "online" event also sends.
  var retry = null, delay = 2000;
  navigator.serviceWorker.addEventListener("message", function (e) {
    var t = e.data && e.data.type;
    if (t === "offline" || t === "later") {
      clearTimeout(retry);
      retry = setTimeout(function () { if (navigator.onLine) LMS.flush(); }, delay);
      delay = Math.min(delay * 2, 60000);
    } else if (t === "synced") delay = 2000;
    LMS.badge();
    document.dispatchEvent(new CustomEvent("lms-sync", { detail: e.data }));
  });
  // The service worker comes with the first download (luring.js calls LMS.install), so a
  // learner who never studies offline never pays for it; once there, the browser keeps
  // it up to date.
  LMS.install = function () {
    return navigator.serviceWorker.register(body.getAttribute("data-sw"), { scope: "/" }).then(function () {
      return worker({ type: "hello", user: user, csrf: LMS.csrf });
    });
  };
  window.addEventListener("load", function () {
    navigator.serviceWorker.getRegistration("/").then(function (reg) {
      if (!reg) return;
      worker({ type: "hello", user: user, csrf: LMS.csrf });
      if (navigator.onLine) LMS.badge().then(function (n) { if (n) LMS.flush(); });
    });
  });
  window.addEventListener("online", function () { LMS.flush(); });
  LMS.badge();

  // Signing out leaves work that has not reached the server on the device: say so first.
  var signout = document.getElementById("signout");
  if (signout) {
    signout.addEventListener("submit", function (e) {
      if (badge && !badge.hidden && !window.confirm(signout.getAttribute("data-waiting"))) e.preventDefault();
    });
  }

  // The rest of the offline client, loaded when a page needs it.
  LMS.more = function () {
    if (!LMS.loading) {
      LMS.loading = new Promise(function (ok, fail) {
        var s = document.createElement("script");
        s.src = (document.querySelector("[data-script]") || {}).getAttribute("data-script");
        s.onload = ok; s.onerror = fail;
        document.head.appendChild(s);
      });
    }
    return LMS.loading;
  };
  // Words come from the page (data-* attributes, translated), with {placeholders}.
  LMS.say = function (el, name, values) {
    var text = el.getAttribute("data-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  };
  LMS.size = function (bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  };
  LMS.when = function (ms) {
    return new Date(ms).toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
  };
  // A course's box: its buttons for what the device has, and its line unless told quiet.
  LMS.show = function (box, quiet) {
    return LMS.get("courses", LMS.courseKey(box.getAttribute("data-course"))).then(function (had) {
      var line = box.querySelector("[role=status]");
      var stale = had && box.getAttribute("data-version") && String(had.version) !== box.getAttribute("data-version");
      if (!quiet) line.textContent = had ? LMS.say(box, "have", { size: LMS.size(had.bytes), when: LMS.when(had.at) }) : LMS.say(box, "none");
      if (stale && !quiet) line.textContent += " " + LMS.say(box, "stale");
      ["download", "update", "remove"].forEach(function (act, i) { box.querySelector("[data-act=" + act + "]").hidden = !had === Boolean(i); });
    });
  };
  var box = document.getElementById("offline-course");
  if (box) {
    box.hidden = false;
    LMS.show(box);
    box.addEventListener("click", function (e) {
      var act = e.target.getAttribute("data-act");
      if (act) LMS.more().then(function () { LMS.act(box, act, e.target); });
    });
  }
})();
