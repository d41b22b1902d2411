// Downloads and the sync page (needs offline.js, loaded before it):
// - a course's box: download (after saying how much data it takes), update (only the
//   files whose revision changed), remove; persistent storage is asked for, and a device
//   that refuses the space is told so plainly, with nothing half-kept;
// - the sync page: what waits, what was refused and why (kept until read), what was
//   sent, the downloaded courses, and the pending work saved as a file;
// - the "no connection" page: the downloaded courses, to open them.
(function () {
  "use strict";
  var LMS = window.LMS;
  if (!LMS) return;
  var PAGES = "lms-pages", STATIC = "lms-static";
  var SHELL = ["/", "/luring", "/luring/tanpa-jaringan"];

  var say = LMS.say, size = LMS.size, when = LMS.when;
  function full(err) { return err && (err.name === "QuotaExceededError" || err.name === "NS_ERROR_DOM_QUOTA_REACHED"); }

  function openAttempt(slug) {
    return LMS.mine("outbox").then(function (items) {
      return items.some(function (x) { return x.kind === "attempt" && x.course === slug && x.state === "open"; });
    });
  }

  function room(needed) {
    var ask = navigator.storage && navigator.storage.persist ? navigator.storage.persist() : Promise.resolve(false);
    return ask.then(function () {
      if (!navigator.storage || !navigator.storage.estimate) return true;
      return navigator.storage.estimate().then(function (e) { return !e.quota || e.quota - (e.usage || 0) > needed * 2; });
    })["catch"](function () { return true; });
  }

  // Fetches what changed since the last download (everything, the first time) into the
  // caches, then records the course; on any failure the new files are dropped again.
  function download(box, state, confirmFirst) {
    var slug = box.getAttribute("data-course");
    state.textContent = say(box, "checking");
    return Promise.all([
      fetch(box.getAttribute("data-package"), { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (!r.ok || r.redirected) throw new Error("package " + r.status);
        return r.json();
      }),
      LMS.get("courses", LMS.courseKey(slug)),
      openAttempt(slug)
    ]).then(function (got) {
      var pkg = got[0], had = got[1], busy = got[2], before = (had && had.files) || {};
      var files = pkg.files.filter(function (f) {
        if (busy && f.url === pkg.quiz) return false;  // the quiz page holds the open attempt's token
        return !before[f.url] || before[f.url].rev !== f.rev;
      });
      if (busy && before[pkg.quiz] === undefined) pkg.quiz = had && had.quiz;
      if (had && !files.length) { state.textContent = say(box, "same") + (busy ? " " + say(box, "kept") : ""); return had; }
      var needed = files.reduce(function (n, f) { return n + f.bytes; }, 0);
      if (confirmFirst && !window.confirm(say(box, "ask", { size: size(needed) }))) { state.textContent = ""; return LMS.show(box); }
      return room(needed).then(function (ok) {
        if (!ok) throw { name: "QuotaExceededError" };
        return LMS.install();
      }).then(function () {
        return store(box, state, files);
      }).then(function () {
        var record = {
          key: LMS.courseKey(slug), user: LMS.user, slug: slug, title: pkg.title, url: pkg.url, version: pkg.version,
          modules: pkg.modules, quiz: pkg.quiz, token: pkg.token, bytes: pkg.bytes, at: Date.now(), files: {}
        };
        pkg.files.forEach(function (f) { record.files[f.url] = { rev: busy && f.url === pkg.quiz && before[f.url] ? before[f.url].rev : f.rev, bytes: f.bytes }; });
        var gone = Object.keys(before).filter(function (u) { return !record.files[u] && SHELL.indexOf(u) < 0; });
        return caches.open(PAGES).then(function (c) {
          return Promise.all(gone.map(function (u) { return c["delete"](u); }));
        }).then(function () { return LMS.put("courses", record); }).then(function () {
          state.textContent = say(box, "done") + (busy ? " " + say(box, "kept") : "");
          return record;
        });
      }, function (err) {
        state.textContent = full(err) ? say(box, "full", { size: size(needed) }) : say(box, "failed");
        throw err;
      });
    });
  }

  function store(box, state, files) {
    var done = 0, kept = [];
    return Promise.all([caches.open(PAGES), caches.open(STATIC)]).then(function (c) {
      // One file at a time: a slow link is not shared between a dozen requests.
      return files.reduce(function (chain, f) {
        return chain.then(function () {
          return fetch(f.url, { credentials: "same-origin" }).then(function (r) {
            if (!(r.ok || r.status === 409) || r.redirected) throw new Error(f.url + " " + r.status);
            var cache = f.url.indexOf("/static/") === 0 ? c[1] : c[0];
            return cache.put(f.url, r).then(function () {
              kept.push([cache, f.url]);
              done += 1;
              state.textContent = say(box, "busy", { done: done, total: files.length });
            });
          });
        });
      }, Promise.resolve())["catch"](function (err) {
        return Promise.all(kept.map(function (k) { return k[0]["delete"](k[1]); })).then(function () { throw err; });
      });
    });
  }

  // An attempt started offline needs its quiz page: the course stays until it is submitted.
  function remove(box, state) {
    var slug = box.getAttribute("data-course");
    return Promise.all([LMS.get("courses", LMS.courseKey(slug)), openAttempt(slug)]).then(function (got) {
      var had = got[0];
      if (got[1]) { state.textContent = say(box, "in-use"); throw new Error("in use"); }
      if (!had) return null;
      return LMS.mine("courses").then(function (mine) {
        var last = mine.length <= 1;
        return caches.open(PAGES).then(function (c) {
          return Promise.all(Object.keys(had.files).filter(function (u) {
            return last || SHELL.indexOf(u) < 0;
          }).map(function (u) { return c["delete"](u); }));
        });
      }).then(function () { return LMS.del("courses", had.key); });
    }).then(function () { state.textContent = say(box, "removed"); });
  }

  // A button of a course's box (offline.js shows the box and loads this on a click).
  LMS.act = function (box, act, button) {
    var line = box.querySelector("[role=status]");
    button.disabled = true;
    var work = act === "remove" ? remove(box, line) : download(box, line, act === "download");
    // On the Luring page the list is drawn again after a change; after a failure it stays,
    // with what went wrong said in the course's line.
    return work.then(function () { return box.id ? LMS.show(box, true) : render(); }, function () {
      return box.id ? LMS.show(box, true) : null;
    }).then(function () { button.disabled = false; });
  };

  // --- the sync page -------------------------------------------------------------------
  var page = document.getElementById("sync");
  function item(x) {
    var li = document.createElement("li");
    var title = x.kind === "module" ? say(page, "module", { title: x.title + " · " + (x.courseTitle || x.course) })
      : say(page, x.state === "open" ? "open" : "attempt", { title: x.title || x.course });
    var b = document.createElement("b");
    b.textContent = title;
    li.appendChild(b);
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = " · " + say(page, "made", { when: when(x.made) });
    li.appendChild(meta);
    if (x.result && x.result.message) {
      var p = document.createElement("p");
      p.className = x.state === "failed" ? "error" : "meta";
      p.textContent = x.result.message;
      li.appendChild(p);
    }
    if (x.result && x.result.url) li.appendChild(link(x.result.url, say(page, "result")));
    if (x.state === "open") li.appendChild(link("/kursus/" + x.course + "/kuis/luring", say(page, "continue")));
    if (x.state === "failed" && !x.seen) {
      var seen = document.createElement("button");
      seen.type = "button"; seen.className = "btn"; seen.textContent = say(page, "seen");
      seen.addEventListener("click", function () {
        x.seen = true;
        if (x.answers) delete x.answers;  // read: the answers need not stay on the device
        LMS.put("outbox", x).then(render);
      });
      li.appendChild(seen);
    }
    return li;
  }
  function link(href, text) {
    var a = document.createElement("a");
    a.href = href; a.textContent = text; a.className = "sync-link";
    return a;
  }
  function fill(id, list) {
    var ul = document.getElementById(id);
    ul.textContent = "";
    list.forEach(function (li) { ul.appendChild(li); });
    if (!list.length) { var none = document.createElement("li"); none.className = "empty"; none.textContent = say(page, "none"); ul.appendChild(none); }
  }
  function courseItem(c) {
    var li = document.createElement("li");
    li.className = "offline";
    li.setAttribute("data-course", c.slug);
    li.setAttribute("data-package", "/kursus/" + c.slug + "/luring.json");
    ["checking", "same", "busy", "done", "full", "failed", "removed", "kept", "in-use"].forEach(function (k) {
      li.setAttribute("data-" + k, page.getAttribute("data-c-" + k) || "");
    });
    li.appendChild(link(c.url, c.title));
    var state = document.createElement("p");
    state.className = "meta"; state.setAttribute("role", "status");
    state.textContent = say(page, "size", { size: size(c.bytes), when: when(c.at) });
    li.appendChild(state);
    ["update", "remove"].forEach(function (act) {
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = "btn"; btn.textContent = say(page, act);
      btn.addEventListener("click", function () { LMS.act(li, act, btn); });
      li.appendChild(btn);
    });
    return li;
  }
  function render() {
    return Promise.all([LMS.mine("outbox"), LMS.mine("courses")]).then(function (got) {
      var items = got[0].sort(function (a, b) { return b.made - a.made; });
      var waiting = items.filter(function (x) { return x.state === "waiting" || x.state === "open"; });
      fill("sync-waiting", waiting.map(item));
      document.getElementById("sync-now").hidden = !waiting.some(function (x) { return x.state === "waiting"; });
      fill("sync-failed", items.filter(function (x) { return x.state === "failed"; }).map(item));
      fill("sync-done", items.filter(function (x) { return x.state === "done"; }).slice(0, 30).map(item));
      fill("sync-courses", got[1].map(courseItem));
      var note = document.getElementById("sync-storage");
      if (navigator.storage && navigator.storage.estimate) {
        Promise.all([navigator.storage.estimate(), navigator.storage.persisted ? navigator.storage.persisted() : false]).then(function (s) {
          note.textContent = say(page, "usage", { used: size(s[0].usage || 0) }) + " " + say(page, s[1] ? "persisted" : "not-persisted");
        });
      }
      LMS.badge();
    });
  }
  function saveFile() {
    return LMS.mine("outbox").then(function (items) {
      var waiting = items.filter(function (x) { return x.state === "waiting"; }).map(function (x) {
        var out = { id: x.id, kind: x.kind, token: x.token, course: x.course, title: x.title, made: x.made };
        if (x.kind === "module") out.module = x.module;
        else { out.started_at = x.started_at; out.finished_at = x.finished_at; out.answers = x.answers; }
        return out;
      });
      var doc = { format: "lms-sinkron", version: 1, made_at: new Date().toISOString(), user: LMS.user, items: waiting };
      var a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([JSON.stringify(doc)], { type: "application/json" }));
      a.download = "lms-sinkron-" + new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "") + ".json";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    });
  }
  if (page) {
    page.hidden = false;
    var note = document.getElementById("sync-note");
    document.getElementById("sync-now").addEventListener("click", function () { note.textContent = ""; LMS.flush(); });
    document.getElementById("sync-save").addEventListener("click", saveFile);
    document.addEventListener("lms-sync", function (e) {
      var t = e.detail && e.detail.type;
      if (t === "signin") note.textContent = say(page, "signin");
      else if (t === "offline") note.textContent = say(page, "offline");
      render();
    });
    render();
  }

  // --- the "no connection" page ----------------------------------------------------------
  var list = document.getElementById("offline-courses");
  if (list) {
    LMS.mine("courses").then(function (mine) {
      if (!mine.length) { var li = document.createElement("li"); li.textContent = list.getAttribute("data-none"); list.appendChild(li); }
      mine.forEach(function (c) { var li = document.createElement("li"); li.appendChild(link(c.url, c.title)); list.appendChild(li); });
    });
  }
})();
