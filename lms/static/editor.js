// The module editor's preview follows the text as it is typed: the server renders and
// sanitises it exactly as learners will get it. Without this script the "Show the
// preview" button does the same with a full page.
const form = document.getElementById("module-form");
const preview = document.getElementById("preview");

if (form && preview) {
  const text = form.querySelector("textarea[name=body_md]");
  const token = form.querySelector("input[name=csrf_token]");
  let timer = null;
  let sent = "";

  async function refresh() {
    if (text.value === sent) return;
    sent = text.value;
    const body = new FormData();
    body.append("csrf_token", token.value);
    body.append("body_md", sent);
    try {
      const response = await fetch(form.dataset.preview, { method: "POST", body, credentials: "same-origin" });
      if (response.ok && sent === text.value) preview.innerHTML = await response.text();
    } catch {
      // Offline for a moment: the preview catches up with the next keystroke.
      sent = "";
    }
  }

  text.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  });

  for (const button of document.querySelectorAll("button.insert")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const at = text.selectionStart ?? text.value.length;
      const snippet = button.dataset.snippet;
      text.setRangeText(`\n${snippet}\n`, at, text.selectionEnd ?? at, "end");
      text.focus();
      refresh();
    });
  }
}

// Forms that remove something ask first.
for (const element of document.querySelectorAll("form[data-confirm]")) {
  element.addEventListener("submit", (event) => {
    if (!window.confirm(element.dataset.confirm)) event.preventDefault();
  });
}
