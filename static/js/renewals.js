/* Retention report charts (Chart.js 4, vendored). Data comes from the json_script element
   #retention-chart-data; no inline scripts. Each canvas gets data-rendered="<start>/<end>"
   once drawn, so tests and people can tell the chart matches the figures on the page. */
(function () {
  "use strict";

  function readData() {
    var element = document.getElementById("retention-chart-data");
    if (!element) return null;
    try { return JSON.parse(element.textContent); } catch (error) { return null; }
  }

  var charts = [];

  function percentTick(value) { return Math.round(value * 100) + "%"; }

  function money(value) {
    return new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 0 }).format(value);
  }

  function drawTrend(data) {
    var canvas = document.getElementById("retention-trend-chart");
    if (!canvas) return;
    charts.push(new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.labels_text.grr, data: data.grr, borderColor: "#4f46e5", backgroundColor: "#4f46e5", tension: 0.2, spanGaps: true },
          { label: data.labels_text.nrr, data: data.nrr, borderColor: "#15803d", backgroundColor: "#15803d", tension: 0.2, spanGaps: true }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { ticks: { callback: percentTick } } },
        plugins: { tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + (ctx.parsed.y * 100).toFixed(1) + "%"; } } } }
      }
    }));
    canvas.dataset.rendered = data.period.join("/");
  }

  function drawBridge(data) {
    var canvas = document.getElementById("retention-bridge-chart");
    if (!canvas) return;
    var b = data.bridge;
    var afterExpansion = b.start + b.expansion;
    var afterContraction = afterExpansion - b.contraction;
    // Floating bars: [from, to] per step, so the chart reads as a waterfall.
    var steps = [[0, b.start], [b.start, afterExpansion], [afterContraction, afterExpansion], [b.end, afterContraction], [0, b.end]];
    var colours = ["#6366f1", "#16a34a", "#f59e0b", "#dc2626", "#4f46e5"];
    var t = data.labels_text;
    charts.push(new window.Chart(canvas, {
      type: "bar",
      data: { labels: [t.start, t.expansion, t.contraction, t.churn, t.end], datasets: [{ data: steps, backgroundColor: colours }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (ctx) { var r = ctx.raw; return money(Math.abs(r[1] - r[0])); } } } },
        scales: { y: { ticks: { callback: money } } }
      }
    }));
    canvas.dataset.rendered = data.period.join("/");
  }

  function draw() {
    if (!window.Chart) return;
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    var data = readData();
    if (!data) return;
    drawTrend(data);
    drawBridge(data);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
  document.addEventListener("htmx:afterSettle", draw);
})();
