// The entries list: which columns show (kept in the URL as cols= and remembered in this
// browser), and keeping the URL, the links and history in step with htmx swaps.
(function () {
  "use strict";
  var STORE = "adda.entries.cols";
  var LIST = "/ui/entries";

  function view() { return document.getElementById("entries-view"); }
  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#entry-columns input[type=checkbox]"));
  }
  function allSlugs() { return boxes().map(function (box) { return box.value; }); }

  // "" means every column; otherwise the visible slugs in table order.
  function normalise(value) {
    var all = allSlugs();
    var wanted = String(value || "").split(",");
    var visible = all.filter(function (slug) { return wanted.indexOf(slug) >= 0; });
    return visible.length === 0 || visible.length === all.length ? "" : visible.join(",");
  }
  function current() { var v = view(); return v ? v.dataset.cols || "" : ""; }

  function isListPath(path) {
    var url = new URL(path, window.location.origin);
    return url.pathname === LIST && url.origin === window.location.origin;
  }
  function withCols(path, cols) {
    var url = new URL(path, window.location.origin);
    if (cols) { url.searchParams.set("cols", cols); } else { url.searchParams.delete("cols"); }
    // Commas need no escaping in a query: keep cols=a,b readable, as the server writes it.
    return url.pathname + url.search.replace(/%2C/gi, ",");
  }

  function remember(cols) {
    try {
      if (cols) { window.localStorage.setItem(STORE, cols); } else { window.localStorage.removeItem(STORE); }
    } catch (e) { /* storage may be off: the URL still holds the choice */ }
  }
  function stored() {
    try { return window.localStorage.getItem(STORE); } catch (e) { return null; }
  }

  function apply(cols) {
    var v = view();
    if (!v) { return; }
    var shown = cols ? cols.split(",") : allSlugs();
    allSlugs().forEach(function (slug) { v.classList.toggle("hide-" + slug, shown.indexOf(slug) < 0); });
    boxes().forEach(function (box) { box.checked = shown.indexOf(box.value) >= 0; });
    v.dataset.cols = cols;
    var hidden = document.querySelector("#entry-filters input[name=cols]");
    if (hidden) { hidden.value = cols; }
    document.querySelectorAll("a[data-entries-link]").forEach(function (link) {
      link.setAttribute("href", withCols(link.getAttribute("href"), cols));
    });
    var here = withCols(window.location.pathname + window.location.search, cols);
    if (here !== window.location.pathname + window.location.search) {
      window.history.replaceState(window.history.state, "", here + window.location.hash);
    }
  }

  function init() {
    if (!view()) { return; }
    var inUrl = new URL(window.location.href).searchParams.get("cols");
    if (inUrl) {
      remember(current());
    } else {
      var saved = normalise(stored());
      if (saved) { apply(saved); }
    }
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("#entry-columns input[type=checkbox]")) { return; }
    var chosen = boxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    if (chosen.length === 0) { box.checked = true; return; } // at least one column stays
    var cols = normalise(chosen.join(","));
    apply(cols);
    remember(cols);
  });

  // Requests of the list carry the column choice, whatever the link was rendered with.
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!view() || detail.verb !== "get" || !isListPath(detail.path)) { return; }
    var cols = current();
    if (detail.elt && detail.elt.id === "entry-filters") {
      detail.parameters.cols = cols;
    } else {
      detail.path = withCols(detail.path, cols);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "entries-results") {
      // The list changed successfully: an earlier message about a bad filter no longer applies.
      document.querySelectorAll("#flash .alert-error[data-status]").forEach(function (alert) {
        alert.remove();
      });
    }
  });

  // A page kept in history must show the search its table was made with, not what was typed.
  document.addEventListener("htmx:beforeHistorySave", function () {
    var q = document.getElementById("entry-q");
    var results = document.getElementById("entries-results");
    if (q && results) { q.setAttribute("value", results.dataset.q || ""); }
  });
  document.addEventListener("htmx:historyRestore", function () {
    if (view()) { apply(normalise(new URL(window.location.href).searchParams.get("cols"))); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
