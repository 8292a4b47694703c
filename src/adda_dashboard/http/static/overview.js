// The overview's charts, drawn with Chart.js from the numbers embedded in the page
// (#overview-data), so no second request is made. Every chart has a text alternative in the
// page itself; without scripts the tables still say everything.
(function () {
  "use strict";

  var RED = "#DC143C";
  var FINAL = "#157347";
  var REEDIT = "#d39200";
  var GRID = "#e3e5e8";
  var TEXT = "#1f2328";

  function readData() {
    var node = document.getElementById("overview-data");
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    var existing = window.Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    new window.Chart(canvas, config);
    canvas.setAttribute("data-drawn", "true");
  }

  function options(extra) {
    var base = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { labels: { color: TEXT } } },
      scales: {
        x: { ticks: { color: TEXT }, grid: { color: GRID } },
        y: { ticks: { color: TEXT, precision: 0 }, grid: { color: GRID }, beginAtZero: true }
      }
    };
    return Object.assign(base, extra || {});
  }

  function shorten(label, max) {
    return label.length > max ? label.slice(0, max - 1) + "\u2026" : label;
  }

  function verticalsChart(data) {
    draw("chart-verticals", {
      type: "bar",
      data: {
        labels: data.verticals.map(function (v) { return v.name; }),
        datasets: [{ label: "Entries", data: data.verticals.map(function (v) { return v.total; }),
                     backgroundColor: RED, maxBarThickness: 72 }]
      },
      options: options({ plugins: { legend: { display: false } } })
    });
  }

  function weeksChart(data) {
    var stacked = {
      x: { stacked: true, ticks: { color: TEXT }, grid: { color: GRID } },
      y: { stacked: true, beginAtZero: true, ticks: { color: TEXT, precision: 0 }, grid: { color: GRID } }
    };
    draw("chart-weeks", {
      type: "bar",
      data: {
        labels: data.weeks.map(function (w) { return w.label; }),
        datasets: [
          { label: "Final", data: data.weeks.map(function (w) { return w.final; }), backgroundColor: FINAL },
          { label: "Re-edit", data: data.weeks.map(function (w) { return w.reedit; }), backgroundColor: REEDIT }
        ]
      },
      options: options({ scales: stacked })
    });
  }

  function contributorsChart(data) {
    var box = document.querySelector(".ov-chart-rows");
    if (box) {
      // One bar per contributor: the box grows with the rows so bars keep a readable height.
      var rows = Math.max(parseInt(box.getAttribute("data-rows"), 10) || 0, 3);
      box.style.height = (rows * 30 + 70) + "px";
    }
    var narrow = window.matchMedia("(max-width: 640px)").matches;
    var stacked = {
      x: { stacked: true, beginAtZero: true, ticks: { color: TEXT, precision: 0 }, grid: { color: GRID } },
      y: { stacked: true, ticks: { color: TEXT }, grid: { display: false } }
    };
    draw("chart-contributors", {
      type: "bar",
      data: {
        labels: data.contributors.map(function (p) { return shorten(p.email, narrow ? 18 : 40); }),
        datasets: [
          { label: "Final", data: data.contributors.map(function (p) { return p.final; }),
            backgroundColor: FINAL, maxBarThickness: 28 },
          { label: "Re-edit", data: data.contributors.map(function (p) { return p.reedit; }),
            backgroundColor: REEDIT, maxBarThickness: 28 }
        ]
      },
      options: options({
        indexAxis: "y",
        scales: stacked,
        plugins: {
          legend: { labels: { color: TEXT } },
          tooltip: { callbacks: { title: function (items) {
            return items.length ? data.contributors[items[0].dataIndex].email : "";
          } } }
        }
      })
    });
  }

  function start() {
    var data = readData();
    if (!data || !window.Chart) { return; }
    verticalsChart(data);
    weeksChart(data);
    contributorsChart(data);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
