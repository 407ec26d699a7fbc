/* Draws the charts of the public pages and the dashboard with plotly.js.
   Each chart is a <div class="chart" data-chart-source="ID"> whose figure (data and layout)
   sits in <script type="application/json" id="ID">. The table next to it says the same
   without JavaScript. No inline script, no eval: the page's CSP stays strict. */
(function () {
  "use strict";
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart-source"));
    if (!source || typeof window.Plotly === "undefined") { return; }
    var figure;
    try { figure = JSON.parse(source.textContent); } catch (e) { return; }
    var layout = figure.layout || {};
    layout.autosize = true;
    window.Plotly.newPlot(el, figure.data || [], layout, {
      responsive: true,
      // The mode bar would add per-chart <style> rules, which the CSP refuses.
      displayModeBar: false
    }).then(function () { el.classList.add("chart-drawn"); });
  }
  function drawAll() {
    var charts = document.querySelectorAll(".chart[data-chart-source]");
    for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
