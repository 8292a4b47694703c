// Entry forms: Final/Re-edit fields, Escape to cancel and Enter to save an inline edit, focus
// kept on the row after it changes, and message rows spanning the whole table.
// Loaded by the add page and by every entry row partial, so it guards against running twice.
(function () {
  "use strict";
  if (window.addaEntryForm) { window.addaEntryForm.refresh(document); return; }

  var CONTROLS = "input, select, textarea";

  // A Re-edit entry has no Final-only columns: hide them and keep them out of the post, so
  // what is stored stays as it is (switching back brings the values back).
  function applyStatus(scope) {
    var control = scope.querySelector("[data-status-control]");
    if (!control) { return; }
    var reedit = control.value.toLowerCase() === "re-edit";
    scope.querySelectorAll("[data-final-only]").forEach(function (el) {
      el.hidden = reedit;
      var controls = el.matches(CONTROLS) ? [el] : el.querySelectorAll(CONTROLS);
      controls.forEach(function (c) { c.disabled = reedit; });
    });
    scope.querySelectorAll("[data-reedit-only]").forEach(function (el) { el.hidden = !reedit; });
  }

  function spanRows(root) {
    root.querySelectorAll("td[data-span-row]").forEach(function (td) {
      var table = td.closest("table");
      var head = table && table.tHead && table.tHead.rows[0];
      if (!head) { return; }
      var count = 0;
      for (var i = 0; i < head.cells.length; i++) { count += head.cells[i].colSpan || 1; }
      if (count > 0) { td.colSpan = count; }
    });
  }

  function refresh(root) {
    if (!root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches("[data-entry-fields]")) { applyStatus(root); }
    root.querySelectorAll("[data-entry-fields]").forEach(applyStatus);
    spanRows(root);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-status-control]")) {
      var scope = target.closest("[data-entry-fields]");
      if (scope) { applyStatus(scope); }
    }
  });

  document.addEventListener("keydown", function (event) {
    var row = event.target.closest && event.target.closest("[data-edit-row]");
    if (!row) { return; }
    if (event.key === "Escape") {
      event.preventDefault();
      row.querySelector("[data-cancel]").click();
    } else if (event.key === "Enter" && event.target.matches("input")) {
      event.preventDefault();
      row.querySelector("[data-save]").click();
    }
  });

  // When a row being edited, in conflict or just deleted turns back into a plain row, put the
  // focus on that row's first button, where the keyboard user was.
  var ROWS = "[data-edit-row], [data-conflict-row], [data-deleted-row]";
  var pending = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = event.target.closest && event.target.closest(ROWS);
    pending = row ? row.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!pending) { return; }
    var row = document.getElementById(pending);
    pending = null;
    if (!row || row.matches(ROWS)) { return; }  // those rows focus their own first control
    var first = row.querySelector("[data-col='actions'] button") || row.querySelector("button");
    if (first) { first.focus(); }
  });

  document.addEventListener("htmx:load", function (event) { refresh(event.detail.elt); });

  window.addaEntryForm = { refresh: refresh };
  refresh(document);
})();
