/* Draws every Plotly figure of a page from its JSON: <div class="chart" data-figure="ID"> reads
 * <script type="application/json" id="ID">. No inline scripts, so a strict
 * Content-Security-Policy can forbid them. A div with data-click-url opens that URL, with
 * __slug__ replaced by the clicked point's customdata[0], on a click (the timeline's bars,
 * the map's places). Hidden divs are drawn when shown (TrackerCharts.plot). */
(function () {
  "use strict";
  // Charts will be drawn: give them their room (charts.css sizes .chart under html.js only).
  document.documentElement.classList.add("js");

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var config = readJSON("plotly-config") || {};

  function onClick(div) {
    return function (ev) {
      var point = ev && ev.points && ev.points[0];
      if (!point || point.customdata === undefined || point.customdata === null) return;
      var slug = Array.isArray(point.customdata) ? point.customdata[0] : point.customdata;
      if (!slug) return;
      var url = div.dataset.clickUrl.replace("__slug__", encodeURIComponent(slug));
      if (document.body.classList.contains("embed")) window.open(url, "_blank", "noopener");
      else window.location.href = url;
    };
  }

  /* A page script may fill a figure before it is drawn: TrackerCharts.prepare(div, fig) → fig. */
  function plot(div, figure) {
    if (div.dataset.plotted && !figure) return Promise.resolve(div);
    var fig = figure || readJSON(div.dataset.figure);
    if (window.TrackerCharts.prepare) fig = window.TrackerCharts.prepare(div, fig);
    div.dataset.plotted = "1";
    return Plotly.newPlot(div, fig.data, fig.layout, config).then(function (gd) {
      if (div.dataset.clickUrl) gd.on("plotly_click", onClick(div));
      return keepPlotHeight(gd);
    });
  }

  /* layout.meta.minPlot: on a narrow screen the legend wraps to many rows and Plotly takes
   * their room from the plot; grow the figure instead, so the plot keeps that height. */
  function keepPlotHeight(gd) {
    var meta = gd.layout && gd.layout.meta;
    var size = gd._fullLayout && gd._fullLayout._size;
    if (!meta || !meta.minPlot || !size || size.h >= meta.minPlot) return Promise.resolve(gd);
    return Plotly.relayout(gd, { height: gd._fullLayout.height + meta.minPlot - size.h }).then(function () { return gd; });
  }

  window.TrackerCharts = { config: config, readJSON: readJSON, plot: plot, prepare: null };

  /* "2019–2026" / "All time": the window the figure opened on, or autorange over everything. */
  function rangeButtons(group) {
    var gd = document.getElementById(group.dataset.chart);
    var meta = gd && gd.layout && gd.layout.meta;
    var window_ = meta && meta.window;
    if (!window_) return;
    var buttons = group.querySelectorAll("button[data-range]");
    function press(which) {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.range === which)); });
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var all = button.dataset.range === "all";
        Plotly.relayout(gd, all ? { "xaxis.autorange": true } : { "xaxis.range": window_.slice(), "xaxis.autorange": false });
        press(button.dataset.range);
      });
    });
    group.hidden = false;
  }

  /* A date axis drawn alone (data-axis-for) keeps the range of its chart after a zoom. */
  function followAxis(strip) {
    var gd = document.getElementById(strip.dataset.axisFor);
    if (!gd || !gd.on) return;
    function sync() {
      var range = gd.layout.xaxis && gd.layout.xaxis.range;
      var mine = strip.layout && strip.layout.xaxis && strip.layout.xaxis.range;
      if (range && (!mine || mine[0] !== range[0] || mine[1] !== range[1])) {
        Plotly.relayout(strip, { "xaxis.range": range.slice() });
      }
    }
    gd.on("plotly_relayout", sync);
    sync();
  }

  function start() {
  var pending = [];
  document.querySelectorAll(".chart[data-figure]").forEach(function (div) {
    if (!div.hidden) pending.push(plot(div));
  });
  Promise.all(pending).then(function () {
    document.querySelectorAll(".range-buttons[data-chart]").forEach(rangeButtons);
    document.querySelectorAll(".chart[data-axis-for]").forEach(followAxis);
    document.body.dataset.chartsReady = "1";
    document.dispatchEvent(new CustomEvent("charts:ready"));
  }, function (err) {
    document.body.dataset.chartsReady = "error";
    console.error(err);
  });
  }
  /* Deferred page scripts (map.js) run before DOMContentLoaded and may set `prepare`. */
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
