/* Draws the charts of the public pages and the dashboard with plotly.js.
   Each chart is a <div class="chart" data-chart-url="URL" data-chart-name="NAME">; URL answers
   {"charts": {NAME: {data, layout}, ...}} and is fetched once however many charts it serves.
   The table next to each chart says the same without JavaScript, and stays alone when the
   fetch fails. No inline script, no eval: the page's CSP stays strict. */
(function () {
  "use strict";
  function draw(el, figure) {
    var layout = figure.layout || {};
    layout.autosize = true;
    window.Plotly.newPlot(el, figure.data || [], layout, {
      responsive: true,
      // The mode bar would add per-chart <style> rules, which the CSP refuses.
      displayModeBar: false
    }).then(function () { el.classList.add("chart-drawn"); });
  }
  function load(url, elements) {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("charts: " + response.status); }
        return response.json();
      })
      .then(function (body) {
        var figures = (body && body.charts) || {};
        elements.forEach(function (el) {
          var name = el.getAttribute("data-chart-name");
          if (Object.prototype.hasOwnProperty.call(figures, name) && figures[name]) {
            draw(el, figures[name]);
          }
        });
      })
      .catch(function () { /* the table beside each chart already says the same */ });
  }
  function drawAll() {
    if (typeof window.Plotly === "undefined" || typeof window.fetch !== "function") { return; }
    var byUrl = {};
    var charts = document.querySelectorAll(".chart[data-chart-url][data-chart-name]");
    for (var i = 0; i < charts.length; i++) {
      var url = charts[i].getAttribute("data-chart-url");
      (byUrl[url] = byUrl[url] || []).push(charts[i]);
    }
    Object.keys(byUrl).forEach(function (url) { load(url, byUrl[url]); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
