/* Upload fields (templates/files/_upload.html), progressively enhanced: a file chosen or dropped is
 * uploaded at once to /files/upload/ with a progress bar, and the stored file's id goes into the
 * field's hidden input. Without this script the file input is sent with its form as usual.
 * No inline script (the CSP forbids it): every sentence comes from the fragment's data attributes,
 * translated by the server. Included once per fragment; it sets each fragment up only once. */
(function () {
  "use strict";

  function sentence(body, fallback) {
    if (body && body.errors && body.errors.file && body.errors.file.length) return body.errors.file.join(" ");
    return (body && body.detail) || fallback;
  }

  function setUp(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    var input = box.querySelector("input[type=file]");
    var hidden = box.querySelector("input[data-file-id]");
    var zone = box.querySelector("[data-drop-zone]");
    var progress = box.querySelector("[data-upload-progress]");
    var status = box.querySelector("[data-upload-status]");
    var errors = box.querySelector(".errorlist");
    zone.hidden = false;

    function say(text, failed) {
      box.classList.toggle("has-error", Boolean(failed));
      if (errors) errors.remove();
      errors = null;
      status.textContent = text;
      status.setAttribute("role", failed ? "alert" : "status");
    }

    function done(body) {
      hidden.value = String(body.id);
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
      input.value = "";  // the bytes are stored: the form sends only the id
      box.classList.remove("has-error");
      status.textContent = box.dataset.msgDone + " ";
      var link = document.createElement("a");
      link.href = body.download;
      link.textContent = body.name;
      status.appendChild(link);
      status.setAttribute("role", "status");
    }

    function send(file) {
      if (file.size > Number(box.dataset.maxBytes)) {
        say(box.dataset.msgTooLarge, true);
        input.value = "";
        return;
      }
      var data = new FormData();
      data.append("file", file, file.name);
      data.append("name", file.name);
      var request = new XMLHttpRequest();
      request.open("POST", box.dataset.uploadUrl);
      request.setRequestHeader("X-CSRFToken", box.dataset.csrf);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          progress.max = event.total;
          progress.value = event.loaded;
        }
      });
      request.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = null; }
        if (request.status === 201 && body) {
          progress.value = progress.max;
          done(body);
        } else {
          progress.hidden = true;
          say(sentence(body, box.dataset.msgFailed), true);
        }
        box.classList.remove("is-busy");
      });
      request.addEventListener("error", function () {
        progress.hidden = true;
        box.classList.remove("is-busy");
        say(box.dataset.msgFailed, true);
      });
      progress.value = 0;
      progress.hidden = false;
      box.classList.add("is-busy");
      say(box.dataset.msgSending, false);
      request.send(data);
    }

    input.addEventListener("change", function () {
      if (input.files && input.files.length) send(input.files[0]);
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) send(files[0]);
    });
  }

  function setUpAll(root) {
    if (root && root.querySelectorAll) root.querySelectorAll("[data-file-upload]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUpAll(document); });
  } else {
    setUpAll(document);
  }
  document.addEventListener("htmx:load", function (event) { setUpAll(event.target); });
})();
