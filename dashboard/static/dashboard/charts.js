// Draws the charts of the Overview and Reports pages with Chart.js. Each <canvas data-chart="ID">
// reads its data from <script type="application/json" id="ID"> (written by the server, never
// executed), so the page holds no inline script; the same figures are in a table beside it.
(function () {
  "use strict";

  var ACCENT = "#4f46e5";
  var ACCENT_FILL = "rgba(79, 70, 229, 0.08)";
  var PREVIOUS = "#9aa3b5";
  var GRID = "#eceef4";
  var TEXT = "#5b6476";

  function readData(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) {
      return null;
    }
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
  }

  function number(value) {
    return Number(value).toLocaleString();
  }

  function lineDatasets(series) {
    return series.map(function (item) {
      var dashed = Boolean(item.dashed);
      return {
        label: item.label,
        data: item.data,
        borderColor: dashed ? PREVIOUS : ACCENT,
        backgroundColor: dashed ? "transparent" : ACCENT_FILL,
        borderDash: dashed ? [6, 5] : [],
        borderWidth: dashed ? 1.5 : 2.25,
        fill: !dashed,
        // Smooth, but never bending below zero or above a day's real figure.
        cubicInterpolationMode: "monotone",
        pointRadius: 0,
        pointHoverRadius: 4,
        pointHitRadius: 12,
      };
    });
  }

  function barDatasets(series) {
    return series.map(function (item, index) {
      return {
        label: item.label,
        data: item.data,
        backgroundColor: index === 0 ? ACCENT : "#c7cbe0",
        borderRadius: 4,
        maxBarThickness: 22,
      };
    });
  }

  function options(data) {
    var horizontal = data.type === "bar" && data.horizontal;
    var valueAxis = {
      beginAtZero: true,
      // Room above the highest point, so a peak never touches the frame.
      grace: "8%",
      grid: { color: GRID },
      border: { display: false },
      ticks: { color: TEXT, precision: 0, callback: number },
    };
    var labelAxis = {
      grid: { display: false },
      border: { display: false },
      ticks: {
        color: TEXT,
        autoSkip: true,
        maxRotation: 0,
        callback: function (value) {
          var label = this.getLabelForValue(value);
          return horizontal && label.length > 28 ? label.slice(0, 27) + "…" : label;
        },
      },
    };
    return {
      responsive: true,
      maintainAspectRatio: false,
      // Figures appear at once: an analytics page is read, not watched.
      animation: false,
      indexAxis: horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          backgroundColor: "#1b2130",
          padding: 10,
          callbacks: {
            label: function (context) {
              return " " + context.dataset.label + ": " + number(context.parsed[horizontal ? "x" : "y"]);
            },
          },
        },
      },
      scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
    };
  }

  function draw(canvas) {
    var data = readData(canvas);
    if (!data || typeof window.Chart === "undefined") {
      return;
    }
    var datasets = data.type === "bar" ? barDatasets(data.series) : lineDatasets(data.series);
    new window.Chart(canvas, {
      type: data.type === "bar" ? "bar" : "line",
      data: { labels: data.labels, datasets: datasets },
      options: options(data),
    });
  }

  // A chart's table is there for reading without JavaScript; once the chart is drawn it folds
  // behind a button that opens it again (for screen readers too: the button says what it holds).
  function foldTable(table) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "chart-table-toggle";
    button.setAttribute("aria-controls", table.id);
    function show(open) {
      table.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "Hide the table" : "Show as a table";
    }
    button.addEventListener("click", function () {
      show(table.hidden);
    });
    show(false);
    table.parentNode.insertBefore(button, table);
  }

  function init() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
    if (typeof window.Chart !== "undefined") {
      document.querySelectorAll("[data-chart-table]").forEach(foldTable);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
