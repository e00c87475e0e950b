// report.html: optional interaction only — the charts are complete SVG without this script.
// A click on a legend entry hides or shows that series in its chart.
"use strict";
(function () {
  var charts = document.querySelectorAll("figure.chart");
  charts.forEach(function (figure) {
    figure.querySelectorAll("ul.legend li").forEach(function (item) {
      item.addEventListener("click", function () {
        var key = item.getAttribute("data-series");
        var off = item.classList.toggle("off");
        figure.querySelectorAll("svg [data-series]").forEach(function (el) {
          if (el.getAttribute("data-series") === key) {
            el.classList.toggle("hidden", off);
          }
        });
      });
    });
  });
  // Lets a headless browser test see that the script ran to the end.
  document.body.setAttribute("data-charts-ready", String(charts.length));
})();
