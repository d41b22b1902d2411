// Evidence uploads on a slow link: a phone photo is made smaller before it is sent (a
// 4 MB photo would take minutes on 2G only to be refused), and a file still over the
// limit is refused here, next to the field, before a byte is sent. The server checks
// everything again; without this script the form works as a plain upload.
(function () {
  "use strict";
  var MAX_SIDE = 1600, QUALITY = 0.82;

  function message(input, text, isError) {
    var id = input.id + (isError ? "-error" : "-note");
    var node = document.getElementById(id);
    if (!node) {
      node = document.createElement("p");
      node.id = id;
      node.className = isError ? "error" : "hint";
      if (!isError) node.setAttribute("aria-live", "polite");
      input.parentNode.appendChild(node);
    }
    node.textContent = text;
    if (isError) {
      input.setAttribute("aria-invalid", "true");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) < 0) described.push(id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
  }

  function clearError(input) {
    var node = document.getElementById(input.id + "-error");
    if (node) node.textContent = "";
    input.removeAttribute("aria-invalid");
  }

  function size(bytes) {
    if (bytes < 1048576) return Math.ceil(bytes / 1024) + " KB";
    return String(Math.round(bytes / 104857.6) / 10) + " MB";  // 2 MB, 3.3 MB: as the hint writes it
  }

  function decode(file) {
    if (window.createImageBitmap) return createImageBitmap(file, { imageOrientation: "from-image" });
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = reader.result;  // a data: URL, which the page's policy allows
      };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  function shrink(file) {
    return decode(file).then(function (picture) {
      var scale = Math.min(1, MAX_SIDE / Math.max(picture.width, picture.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(picture.width * scale);
      canvas.height = Math.round(picture.height * scale);
      canvas.getContext("2d").drawImage(picture, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
    });
  }

  function check(input) {
    var file = input.files && input.files[0];
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    clearError(input);
    if (!file) return Promise.resolve();
    var photo = /^image\/(jpeg|png)$/.test(file.type);
    if (!photo || !window.DataTransfer || file.size < 300 * 1024) {
      if (file.size > limit) tooBig(input, file.size, limit);
      return Promise.resolve();
    }
    message(input, input.getAttribute("data-shrinking"), false);
    return shrink(file).then(function (blob) {
      if (!blob || blob.size >= file.size) {
        if (file.size > limit) tooBig(input, file.size, limit);
        else message(input, "", false);
        return;
      }
      var name = file.name.replace(/\.(png|jpe?g)$/i, "") + ".jpg";
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], name, { type: "image/jpeg" }));
      input.files = transfer.files;
      message(input, input.getAttribute("data-shrunk").replace("{before}", size(file.size)).replace("{after}", size(blob.size)), false);
      if (blob.size > limit) tooBig(input, blob.size, limit);
    }, function () {
      message(input, "", false);
      if (file.size > limit) tooBig(input, file.size, limit);
    });
  }

  function tooBig(input, bytes, limit) {
    message(input, input.getAttribute("data-too-big").replace("{size}", size(bytes)).replace("{limit}", size(limit)), true);
    input.value = "";
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-bytes]"), function (input) {
    var working = null;  // the photo being made smaller, if any
    input.addEventListener("change", function () {
      var current = working = check(input).then(function () { if (working === current) working = null; });
    });
    input.form.addEventListener("submit", function (e) {
      if (working) {
        // Sent while the photo is still being made smaller: send once it is ready.
        e.preventDefault();
        var submitter = e.submitter;
        working.then(function () { input.form.requestSubmit ? input.form.requestSubmit(submitter) : input.form.submit(); });
        return;
      }
      var file = input.files && input.files[0];
      if (file && file.size > parseInt(input.getAttribute("data-max-bytes"), 10)) {
        e.preventDefault();
        tooBig(input, file.size, parseInt(input.getAttribute("data-max-bytes"), 10));
        input.focus();
      }
    });
  });
})();
