// The quiz form, made kinder by script (without it, it is a plain POST form that works):
// - every answer is kept on the device the moment it is chosen (a matching question's
//   pairs one by one, as "<question>.<pair>"), and sent to the server
//   until the server has it, however often the connection drops; the status line says
//   how many answers are still waiting, and "all saved" only when none is;
// - submitting with questions unanswered asks first;
// - a timed attempt counts down from the server's clock and sends itself when time is up.
// On a downloaded course's offline quiz page (data-offline-token), the attempt is the
// device's: started and answered without a network, every answer written to IndexedDB
// as it is chosen, and on submit put in the outbox that the service worker sends.
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form || !window.fetch) return;
  var text = function (name) { return form.getAttribute("data-" + name) || ""; };

  function inputs(name) { return form.querySelectorAll("[name='" + name + "']"); }

  function valueOf(name) {
    var all = inputs(name), first = all[0];
    if (first.type === "checkbox") {
      return Array.prototype.filter.call(all, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (first.type === "radio") {
      var chosen = Array.prototype.filter.call(all, function (i) { return i.checked; })[0];
      return chosen ? chosen.value : null;
    }
    return first.value;
  }

  function restore(name, answer) {
    Array.prototype.forEach.call(inputs(name), function (input) {
      if (input.type === "checkbox") input.checked = (answer || []).indexOf(input.value) >= 0;
      else if (input.type === "radio") input.checked = input.value === answer;
      else input.value = answer || "";
    });
  }

  // Calls chosen(name) when an answer is picked, and while typing once the typing pauses.
  function watch(chosen, pause) {
    var typing = {};
    form.addEventListener("change", function (e) { clearTimeout(typing[e.target.name]); chosen(e.target.name); });
    form.addEventListener("input", function (e) {
      var name = e.target.name;
      if (e.target.type !== "text" || !name) return;
      clearTimeout(typing[name]);
      typing[name] = setTimeout(function () { chosen(name); }, pause);
    });
  }

  // A matching question has a field per pair ("q-<id>.<pair>"): answered when any is.
  function answeredCount() {
    var names = {}, answered = {};
    Array.prototype.forEach.call(form.querySelectorAll("[name^='q-']"), function (i) { names[i.name] = true; });
    Object.keys(names).forEach(function (name) {
      var question = name.split(".")[0], v = valueOf(name);
      answered[question] = answered[question] || Boolean(v && (typeof v === "string" ? v.trim() : v.length));
    });
    var all = Object.keys(answered);
    return [all.filter(function (q) { return answered[q]; }).length, all.length];
  }

  // Asks before submitting with questions unanswered; true when the learner goes on.
  function sure() {
    var counts = answeredCount();
    return counts[0] >= counts[1] ||
      window.confirm(text("confirm").replace("{answered}", counts[0]).replace("{total}", counts[1]));
  }

  // Counts down to ``end`` (ms on this device's clock) and calls over() at zero.
  function countdown(end, over) {
    var timer = document.getElementById("timer");
    if (!timer) return;
    timer.hidden = false;
    var interval = setInterval(tick, 1000);
    function tick() {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      var mm = Math.floor(s / 60), ss = s % 60;
      timer.textContent = timer.getAttribute("data-label") + ": " + mm + ":" + (ss < 10 ? "0" : "") + ss;
      if (s === 0) {
        clearInterval(interval);
        timer.textContent = timer.getAttribute("data-over");
        over();
      }
    }
    tick();
  }

  if (form.hasAttribute("data-offline-token")) { offline(); return; }

  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrf_token]").value;
  var status = document.getElementById("save-state");
  var key = "lms-quiz-" + form.getAttribute("data-attempt");
  var store = null;
  try { store = window.localStorage; store.getItem(key); } catch (e) { store = null; }

  // Answers left behind by attempts submitted long ago are cleared after two weeks.
  if (store) {
    for (var i = store.length - 1; i >= 0; i -= 1) {
      var old = store.key(i);
      if (old && old.indexOf("lms-quiz-") === 0 && old !== key) {
        try {
          var entries = JSON.parse(store.getItem(old)) || {};
          var newest = Math.max.apply(null, Object.keys(entries).map(function (q) { return entries[q].at || 0; }).concat([0]));
          if (Date.now() - newest > 14 * 864e5) store.removeItem(old);
        } catch (e) { store.removeItem(old); }
      }
    }
  }

  // Answers not yet confirmed by the server: {questionId: {answer: ..., at: ms}}.
  var pending = {};
  try { pending = JSON.parse((store && store.getItem(key)) || "{}") || {}; } catch (e) { pending = {}; }
  var sending = false, retry = null, delay = 2000, refused = "";

  function keep() {
    if (!store) return;
    try {
      if (Object.keys(pending).length) store.setItem(key, JSON.stringify(pending));
      else store.removeItem(key);
    } catch (e) { /* storage full: the answers are still in the form */ }
  }

  function show() {
    var n = Object.keys(pending).length;
    if (sending && n) { status.textContent = text("saving"); return; }
    if (n === 1) status.textContent = text("waiting-one");
    else if (n > 1) status.textContent = text("waiting-many").replace("{n}", n);
    else status.textContent = refused || text("saved");
  }

  function later() {
    clearTimeout(retry);
    retry = setTimeout(send, delay);
    delay = Math.min(delay * 2, 30000);
  }

  function send() {
    var ids = Object.keys(pending);
    if (sending || !ids.length) { show(); return; }
    var qid = ids[0], entry = pending[qid];
    sending = true;
    show();
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ question: qid, answer: entry.answer })
    }).then(function (r) {
      return r.json().then(function (body) { return [r.status, body]; }, function () { return [r.status, {}]; });
    }).then(function (reply) {
      sending = false;
      var code = reply[0], body = reply[1];
      if ((code === 200 && body.saved) || code === 404 || code === 409) {
        // Stored, or refused for good (time over, attempt closed): either way, not resent.
        if (pending[qid] === entry) delete pending[qid];
        if (code !== 200) refused = text("refused") + " " + (body.error || code);
        keep();
        delay = 2000;
        send();
        return;
      }
      later();  // no database, signed out, a proxy's page instead of ours: keep it, try again
      show();
    }).catch(function () { sending = false; later(); show(); });
  }

  function chosen(name) {
    if (!name || name.indexOf("q-") !== 0) return;
    pending[name.slice(2)] = { answer: valueOf(name), at: Date.now() };
    keep();
    send();
  }

  // Answers chosen on an earlier visit that never reached the server are put back.
  Object.keys(pending).forEach(function (qid) { if (inputs("q-" + qid).length) restore("q-" + qid, pending[qid].answer); else delete pending[qid]; });
  keep();
  send();
  window.addEventListener("online", function () { delay = 2000; send(); });

  watch(chosen, 800);

  function confirmed() {
    var flag = document.createElement("input");
    flag.type = "hidden"; flag.name = "confirmed"; flag.value = "1";
    form.appendChild(flag);
  }

  form.addEventListener("submit", function (e) {
    var button = e.submitter;
    if (form.getAttribute("data-timeout") || (button && button.name === "confirmed")) return;
    if (button && button.value !== "submit") return;
    if (sure()) confirmed();
    else e.preventDefault();
  });

  // Timed quizzes: count down from what the server says is left (the device clock may be
  // wrong) and send the answers when the time is up, without asking.
  var left = parseInt(form.getAttribute("data-seconds-left"), 10);
  if (!isNaN(left)) {
    countdown(Date.now() + left * 1000, function () {
      var submitButton = form.querySelector("button[value=submit]");
      form.setAttribute("data-timeout", "1");
      confirmed();
      if (form.requestSubmit) { form.requestSubmit(submitButton); } else { submitButton.click(); }
    });
  }

  // --- offline --------------------------------------------------------------------------
  // The attempt lives in the outbox (state "open" while answered, "waiting" once submitted)
  // under the token of this page; the service worker sends it and says what became of it.
  function offline() {
    var LMS = window.LMS, tokenId = text("token-id");
    var begin = document.getElementById("oq-begin"), intro = document.getElementById("oq-intro");
    var line = document.getElementById("oq-state"), after = document.getElementById("oq-after");
    var status = document.getElementById("save-state");
    if (!LMS || !begin) return;
    var attempt = null, limit = parseInt(text("time-limit"), 10) || 0;

    function tell(message, kind) {
      line.hidden = !message;
      line.textContent = message;
      line.className = "flash" + (kind ? " flash-" + kind : "");
    }
    function keep() {
      return LMS.put("outbox", attempt).then(function () { status.textContent = text("saved"); }, function () {
        tell(text("full"), "error");
        throw new Error("not kept");
      });
    }
    function shown(state) {
      form.hidden = state !== "open";
      intro.hidden = Boolean(attempt);
      after.hidden = !attempt || state === "open";
      begin.hidden = Boolean(attempt);
      if (state === "waiting") tell(text(navigator.onLine ? "sending" : "queued"), "info");
      else if (state === "failed") tell(text("refused") + " " + attempt.result.message, "error");
      else if (state === "done") {
        tell(attempt.result.message, "success");
        if (navigator.onLine && attempt.result.url) location.href = attempt.result.url;
      }
    }
    function submit() {
      attempt.state = "waiting";
      attempt.finished_at = Date.now();
      keep().then(function () { shown("waiting"); LMS.flush(); }, function () { attempt.state = "open"; });
    }
    function answering() {
      Object.keys(attempt.answers).forEach(function (key) {
        if (inputs("q-" + key).length) restore("q-" + key, attempt.answers[key].answer);
      });
      shown("open");
      watch(function (name) {
        if (!name || name.indexOf("q-") !== 0 || attempt.state !== "open") return;
        attempt.answers[name.slice(2)] = { answer: valueOf(name), at: Date.now() };
        keep()["catch"](function () { /* said on the page */ });
      }, 300);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (attempt.state === "open" && (form.getAttribute("data-timeout") || sure())) submit();
      });
      if (limit) {
        countdown(attempt.started_at + limit * 60000, function () {
          form.setAttribute("data-timeout", "1");
          if (attempt.state === "open") submit();
        });
      }
    }
    document.addEventListener("lms-sync", function (e) {
      var d = e.detail || {};
      if (!attempt || attempt.state === "open") return;
      if (d.type === "offline" || d.type === "signin") { tell(text("queued"), "info"); return; }
      LMS.get("outbox", attempt.id).then(function (x) { if (x) { attempt = x; shown(x.state); } });
    });
    window.addEventListener("pageshow", function () { if (attempt && attempt.state === "waiting") LMS.flush(); });
    LMS.mine("outbox").then(function (items) {
      attempt = items.filter(function (x) { return x.kind === "attempt" && x.token_id === tokenId; })[0] || null;
      if (attempt && attempt.state === "open") answering();
      else shown(attempt ? attempt.state : null);
      if (attempt && attempt.state === "waiting" && navigator.onLine) LMS.flush();
    });
    begin.addEventListener("click", function () {
      var expires = parseInt(text("expires"), 10);
      if (expires && Date.now() > expires) { tell(text("expired"), "error"); return; }
      var now = Date.now();
      attempt = {
        id: crypto.randomUUID(),  // offline needs a secure context, which has it
        user: LMS.user, kind: "attempt", course: text("course"), title: text("title"),
        courseTitle: text("course-title"), token: text("offline-token"), token_id: tokenId,
        state: "open", started_at: now, made: now, answers: {}
      };
      keep().then(answering, function () { attempt = null; });
    });
  }
})();
