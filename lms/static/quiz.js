// Saves each answer to the server as it is chosen, so a reload, a logout or a dropped
// connection loses nothing. Without this file the form still works: it is a plain POST.
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form || !window.fetch) return;
  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrf_token]").value;
  var status = document.getElementById("save-state");
  // The messages come translated from the page.
  var text = {
    saving: form.getAttribute("data-saving"),
    saved: form.getAttribute("data-saved"),
    failed: form.getAttribute("data-failed")
  };
  var timers = {};

  function valueOf(name) {
    var inputs = form.querySelectorAll("[name='" + name + "']");
    var first = inputs[0];
    if (first.type === "checkbox") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (first.type === "radio") {
      var chosen = Array.prototype.filter.call(inputs, function (i) { return i.checked; })[0];
      return chosen ? chosen.value : null;
    }
    return first.value;
  }

  function save(name) {
    status.textContent = text.saving;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ question: name.slice(2), answer: valueOf(name) })
    }).then(function (r) {
      if (r.ok) { status.textContent = text.saved; return; }
      return r.json().then(function (body) { status.textContent = body.error || text.failed; });
    }).catch(function () { status.textContent = text.failed; });
  }

  // Timed quizzes: count down from what the server says is left (the device clock may be
  // wrong) and send the answers when the time is up.
  var timer = document.getElementById("timer");
  var left = parseInt(form.getAttribute("data-seconds-left"), 10);
  if (timer && !isNaN(left)) {
    var end = Date.now() + left * 1000;
    var submitButton = form.querySelector("button[value=submit]");
    timer.hidden = false;
    var tick = function () {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      var mm = Math.floor(s / 60), ss = s % 60;
      timer.textContent = timer.getAttribute("data-label") + ": " + mm + ":" + (ss < 10 ? "0" : "") + ss;
      if (s === 0) {
        clearInterval(interval);
        timer.textContent = timer.getAttribute("data-over");
        if (form.requestSubmit) { form.requestSubmit(submitButton); } else { submitButton.click(); }
      }
    };
    var interval = setInterval(tick, 1000);
    tick();
  }

  form.addEventListener("change", function (e) {
    var name = e.target.name;
    if (!name || name.indexOf("q-") !== 0) return;
    clearTimeout(timers[name]);
    save(name);
  });
  form.addEventListener("input", function (e) {
    var name = e.target.name;
    if (e.target.type !== "text" || name.indexOf("q-") !== 0) return;
    clearTimeout(timers[name]);
    timers[name] = setTimeout(function () { save(name); }, 800);
  });
})();
