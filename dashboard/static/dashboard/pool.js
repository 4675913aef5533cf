// The pool page's chart: visitors who found every number taken, per day. The figures
// come from the canvas's data-chart attribute (the table beside it has them too).
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("exhaustion-chart");
    if (!canvas || !window.Chart) {
      return;
    }
    var data = JSON.parse(canvas.getAttribute("data-chart") || "{}");
    var accent = getComputedStyle(document.documentElement).getPropertyValue("--app-accent").trim() || "#4f46e5";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels || [],
        datasets: [{ label: "Visitors who saw the fallback", data: data.values || [], backgroundColor: accent, borderRadius: 4, maxBarThickness: 28 }]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
          y: { beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
