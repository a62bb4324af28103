/* Health charts: draws every canvas[data-chart-src] from the JSON of its json_script sibling.
   Works on full pages and on htmx fragments (loads Chart.js once if the page did not). */
(function () {
  "use strict";

  function withChart(src, callback) {
    if (window.Chart) { callback(); return; }
    var existing = document.querySelector("script[data-healthscore-chart]");
    if (!existing) {
      existing = document.createElement("script");
      existing.src = src;
      existing.defer = true;
      existing.setAttribute("data-healthscore-chart", "1");
      document.head.appendChild(existing);
    }
    existing.addEventListener("load", callback);
  }

  function bandColor(score) {
    if (score >= 70) { return "#1f9d55"; }
    if (score >= 40) { return "#d69e2e"; }
    return "#c53030";
  }

  function drawTrend(canvas) {
    var source = document.getElementById("health-trend-data");
    if (!source || canvas.dataset.drawn) { return; }
    canvas.dataset.drawn = "1";
    var data = JSON.parse(source.textContent);
    withChart(canvas.dataset.chartSrc, function () {
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [{
            label: data.label,
            data: data.scores,
            borderColor: "#3b5bdb",
            pointRadius: 0,
            pointHoverRadius: 4,
            tension: 0.25,
            segment: { borderColor: function (ctx) { return bandColor(ctx.p1.parsed.y); } }
          }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false } },
          scales: {
            y: { min: 0, max: 100, ticks: { stepSize: 20 } },
            x: { ticks: { maxTicksLimit: 6 } }
          }
        }
      });
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart-src]").forEach(drawTrend);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
  drawAll();
})();
