// The Videos page: uploads with a real progress bar, and download jobs followed live.
// Uploads use XMLHttpRequest because fetch reports no upload progress. Both forms call the JSON
// API with the page's anti-forgery header, which lets the session cookie stand in for a token.
(function () {
  "use strict";

  var LOGIN = "/ui/login?next=" + encodeURIComponent("/ui/videos");
  var ENTRY_ID = /^[1-9][0-9]{0,11}$/;

  function byId(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function sizeText(bytes) {
    if (typeof bytes !== "number") { return "unknown"; }
    if (bytes < 1024) { return bytes + " B"; }
    var units = ["KB", "MB", "GB"];
    var value = bytes / 1024;
    for (var i = 0; i < units.length; i++) {
      if (value < 1024 || i === units.length - 1) { return value.toFixed(1) + " " + units[i]; }
      value /= 1024;
    }
    return bytes + " B";
  }

  function durationText(seconds) {
    if (typeof seconds !== "number") { return null; }
    var whole = Math.round(seconds);
    var h = Math.floor(whole / 3600);
    var m = Math.floor((whole % 3600) / 60);
    var s = whole % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function verdictText(body) {
    var shorts = body.shorts || {};
    if (shorts.qualifies) { return "Qualifies as a Short"; }
    var warnings = shorts.warnings || [];
    return warnings.length ? "Not a Short: " + warnings.join("; ") : "Not a Short";
  }

  // Field messages ------------------------------------------------------------------------------

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      if (input.dataset.describedby !== undefined) {
        if (input.dataset.describedby) { input.setAttribute("aria-describedby", input.dataset.describedby); }
        else { input.removeAttribute("aria-describedby"); }
      }
    });
  }

  // Puts ``message`` next to the form's field named ``field``; false when there is no such field.
  function fieldError(prefix, field, message) {
    var p = field ? byId(prefix + "-" + field + "-error") : null;
    if (!p) { return false; }
    p.textContent = message;
    p.hidden = false;
    var input = p.closest(".field").querySelector("input, select");
    if (input) {
      if (input.dataset.describedby === undefined) {
        input.dataset.describedby = input.getAttribute("aria-describedby") || "";
      }
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", (input.dataset.describedby + " " + p.id).trim());
      input.focus();
    }
    return true;
  }

  function alertBox(kind, message, withLogin) {
    var box = el("div", "alert alert-" + kind);
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.appendChild(el("strong", null, message));
    if (withLogin) {
      box.appendChild(document.createTextNode(" "));
      var link = el("a", null, "Sign in again");
      link.href = LOGIN;
      box.appendChild(link);
    }
    return box;
  }

  // The server's own words for a failed call (every API error carries "message").
  function serverMessage(status, text) {
    var body = null;
    try { body = text ? JSON.parse(text) : null; } catch (ignored) { body = null; }
    var message = body && (body.message || body.error);
    if (!message) {
      if (status === 413) { message = "The video is larger than the server accepts"; }
      else if (status === 401) { message = "Your session has ended"; }
      else if (status === 0) { message = "The server could not be reached. Check your connection and try again."; }
      else { message = "The request failed (HTTP " + status + ")"; }
    }
    return { message: String(message), field: body && body.field ? String(body.field) : null };
  }

  // Shows a failed call: next to its field when the server named one of this form's fields.
  function showFailure(prefix, area, status, text) {
    var failure = serverMessage(status, text);
    if (status === 401) {
      area.replaceChildren(alertBox("error", failure.message + ".", true));
      return;
    }
    if (!fieldError(prefix, failure.field, failure.message)) {
      area.replaceChildren(alertBox("error", failure.message));
    }
  }

  function checkEntry(prefix, input) {
    var value = input.value.trim();
    if (value && !ENTRY_ID.test(value)) {
      fieldError(prefix, "entry_id", "Entry id must be a positive whole number, such as 42");
      return false;
    }
    return true;
  }

  // Upload --------------------------------------------------------------------------------------

  function setupUpload() {
    var form = byId("upload-form");
    if (!form) { return; }
    var fileInput = byId("upload-video");
    var kind = byId("upload-content-type");
    var entry = byId("upload-entry");
    var submit = byId("upload-submit");
    var abort = byId("upload-abort");
    var box = byId("upload-progress-box");
    var bar = byId("upload-progress");
    var percent = byId("upload-percent");
    var state = byId("upload-state");
    var result = byId("upload-result");
    var maxBytes = parseInt(form.dataset.maxBytes, 10) || 0;
    var current = null;

    function progress(value, words) {
      var shown = Math.max(0, Math.min(100, Math.floor(value)));
      bar.value = shown;
      bar.textContent = shown + "%";
      percent.textContent = shown + "%";
      if (words !== undefined) { state.textContent = words; }
    }

    function busy(on) {
      current = on || null;
      submit.disabled = !!on;
      abort.hidden = !on;
    }

    function showStored(body) {
      var ok = !!(body.shorts && body.shorts.qualifies);
      var card = el("div", "alert " + (ok ? "alert-success" : "alert-warning"));
      card.setAttribute("role", "status");
      var name = body.original_name || body.filename;
      card.appendChild(el("strong", null, (body.duplicate ? "Already in the library: " : "Stored: ") + name));
      var facts = el("dl");
      var meta = body.metadata || {};
      var add = function (label, value) {
        if (value === null || value === undefined || value === "") { return; }
        facts.appendChild(el("dt", null, label));
        var dd = el("dd");
        if (value instanceof Node) { dd.appendChild(value); } else { dd.textContent = String(value); }
        facts.appendChild(dd);
      };
      var link = el("a", null, body.filename);
      link.href = "/ui/videos/file/" + encodeURIComponent(body.filename);
      link.target = "_blank";
      link.rel = "noopener";
      add("Stored as", link);
      add("Size", sizeText(body.size_bytes));
      add("Duration", durationText(meta.duration));
      add("Resolution", meta.width && meta.height ? meta.width + "×" + meta.height : null);
      add("Content type", body.content_type && body.content_type !== "Unknown" ? body.content_type.replace(/_/g, " ") : null);
      if (body.entry && body.entry.id !== undefined) { add("Entry", "#" + body.entry.id + " now links to this video"); }
      card.appendChild(facts);
      card.appendChild(el("p", "verdict " + (ok ? "verdict-yes" : "verdict-no"), verdictText(body)));
      result.replaceChildren(card);
    }

    abort.addEventListener("click", function () { if (current) { current.abort(); } });
    window.addEventListener("beforeunload", function (event) {
      if (current) { event.preventDefault(); event.returnValue = ""; }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (current) { return; }
      clearErrors(form);
      result.replaceChildren();
      var file = fileInput.files && fileInput.files[0];
      if (!file) { fieldError("upload", "video", "Choose a video file to upload"); return; }
      if (file.size === 0) { fieldError("upload", "video", "The chosen file is empty"); return; }
      if (maxBytes && file.size > maxBytes) {
        fieldError("upload", "video", "The video is larger than the limit of " + form.dataset.maxText);
        return;
      }
      if (!checkEntry("upload", entry)) { return; }

      var data = new FormData();
      data.append("video", file, file.name);
      if (kind.value) { data.append("contentType", kind.value); }
      if (entry.value.trim()) { data.append("entry_id", entry.value.trim()); }

      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/upload-video");
      xhr.setRequestHeader("X-CSRF-Token", window.addaCsrf());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable && e.total > 0) { progress((e.loaded / e.total) * 100, "Uploading " + file.name + "…"); }
      };
      xhr.upload.onload = function () { progress(100, "Sent; checking the video…"); };
      xhr.onload = function () {
        busy(false);
        if (xhr.status >= 200 && xhr.status < 300) {
          var body;
          try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
          if (!body) { showFailure("upload", result, xhr.status, ""); return; }
          progress(100, "Upload complete");
          showStored(body);
          fileInput.value = "";
          if (window.htmx) { window.htmx.trigger(document.body, "videos-changed"); }
          return;
        }
        state.textContent = "Upload failed";
        showFailure("upload", result, xhr.status, xhr.responseText);
      };
      xhr.onerror = function () {
        busy(false);
        state.textContent = "Upload failed";
        result.replaceChildren(alertBox("error", "The upload was interrupted: the server could not be reached or closed the connection. Nothing was stored; try again."));
      };
      xhr.onabort = function () {
        busy(false);
        progress(0, "Upload stopped; nothing was stored");
      };
      box.hidden = false;
      progress(0, "Starting…");
      busy(xhr);
      xhr.send(data);
    });
  }

  // Downloads -----------------------------------------------------------------------------------

  function setupDownloads() {
    var form = byId("download-form");
    if (!form) { return; }
    var url = byId("download-url");
    var kind = byId("download-content-type");
    var entry = byId("download-entry");
    var submit = byId("download-submit");
    var message = byId("download-message");
    var empty = byId("jobs-empty");
    var announce = byId("jobs-announce");
    var seen = {};
    // Jobs the page was rendered with (the recent ones) announce only a change of status.
    document.querySelectorAll("#jobs .job").forEach(function (job) {
      seen[job.dataset.job || job.id] = job.dataset.status;
    });
    var words = { queued: "waiting", downloading: "downloading", completed: "completed", failed: "failed", cancelled: "cancelled", gone: "no longer known" };

    // Each new or replaced job element says its status out loud once, when it changes.
    document.body.addEventListener("htmx:load", function (event) {
      var job = event.detail.elt;
      if (!job || !job.classList || !job.classList.contains("job")) { return; }
      var id = job.dataset.job || job.id;
      var status = job.dataset.status;
      if (seen[id] !== status) {
        seen[id] = status;
        announce.textContent = "Download " + (words[status] || status) + ".";
      }
      empty.hidden = true;
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submit.disabled) { return; }
      clearErrors(form);
      message.replaceChildren();
      var link = url.value.trim();
      if (!link) { fieldError("download", "youtube_url", "Enter the link of the video to download"); return; }
      if (!checkEntry("download", entry)) { return; }
      var body = { youtube_url: link, async: true };
      if (kind.value) { body.content_type = kind.value; }
      if (entry.value.trim()) { body.entry_id = parseInt(entry.value.trim(), 10); }
      submit.disabled = true;
      fetch("/api/download-youtube", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": window.addaCsrf() },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.text().then(function (text) { return { status: response.status, text: text }; });
      }).then(function (answer) {
        submit.disabled = false;
        if (answer.status !== 202 && answer.status !== 200) {
          showFailure("download", message, answer.status, answer.text);
          return;
        }
        var job = JSON.parse(answer.text);
        url.value = "";
        message.replaceChildren(alertBox("success", "Download queued; its progress is shown below."));
        window.htmx.ajax("GET", "/ui/videos/jobs/" + encodeURIComponent(job.download_id), { target: "#jobs", swap: "afterbegin" });
      }).catch(function () {
        submit.disabled = false;
        showFailure("download", message, 0, "");
      });
    });
  }

  function start() {
    setupUpload();
    setupDownloads();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
