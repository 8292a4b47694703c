// Small behaviours shared by every dashboard page. Page-specific scripts live beside this file.
(function () {
  "use strict";
  // The anti-forgery token, for scripts that call the API themselves (uploads, job polling).
  window.addaCsrf = function () { return document.body.dataset.csrf || ""; };

  // After htmx replaces the message area, move focus there so screen readers announce it.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "flash") {
      var alert = event.detail.target.querySelector("[role=alert]");
      if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
    }
  });
  // Dismiss buttons of messages (no inline handlers: the pages' policy allows only script files).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss]");
    if (button && button.parentElement) { button.parentElement.remove(); }
  });
  // A network failure (server down) is said, not silently swallowed.
  document.addEventListener("htmx:sendError", function () {
    var flash = document.getElementById("flash");
    if (flash) {
      flash.innerHTML = '<div class="alert alert-error" role="alert">The server could not be reached. Check your connection and try again.</div>';
    }
  });
})();
