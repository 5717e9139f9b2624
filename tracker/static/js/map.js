/* The ban map through time. The page carries each place once with its display stretches
 * (tracker/charts.py map_payload); this script picks the stretch holding on the slider's date
 * and refills the figure's 16 traces (4 types x in force/not yet x area/point, named in each
 * trace's meta) with the same rules as tracker/charts.py map_figure. Keep the two in step. */
(function () {
  "use strict";
  var TC = window.TrackerCharts;
  var data = TC && TC.readJSON("map-data");
  if (!data) return;
  var STRENGTH = ["ban", "moratorium", "restriction", "oversight"];
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];

  function dateLabel(iso, precision) {
    var y = +iso.slice(0, 4), m = +iso.slice(5, 7), d = +iso.slice(8, 10);
    if (precision === "year") return String(y);
    if (precision === "month") return MONTHS[m - 1] + " " + y;
    return d + " " + MONTHS[m - 1] + " " + y;
  }

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function hover(r) {
    return "<b>" + esc(r.name) + "</b><br>" + esc(r.title) + "<br>" + data.labels.types[r.type] + ", " +
      data.labels.statuses[r.status].toLowerCase() + " since " + dateLabel(r.since, r.precision) +
      "<br><i>click to open the measure</i>";
  }

  function holds(start, end, day) { return start <= day && (end === null || day < end); }

  /* The rows (one per place) holding on an ISO date. */
  function rowsOn(day) {
    var rows = [];
    data.places.forEach(function (p) {
      for (var i = 0; i < p[5].length; i++) {
        var s = p[5][i];
        if (holds(s[0], s[1], day)) {
          var m = data.measures[s[2]];
          rows.push({ name: p[0], geo: p[1], loc: p[2], lat: p[3], lon: p[4], slug: m[0], title: m[1],
            type: m[2], status: s[3], since: s[4], precision: s[5] || "day" });
          break;
        }
      }
    });
    return rows;
  }

  function better(a, b) {  /* in force first, then the stronger type */
    var ka = [a.status !== "in_effect" ? 1 : 0, STRENGTH.indexOf(a.type)];
    var kb = [b.status !== "in_effect" ? 1 : 0, STRENGTH.indexOf(b.type)];
    return ka[0] < kb[0] || (ka[0] === kb[0] && ka[1] < kb[1]) ? a : b;
  }

  function split(rows, view) {
    var areas = {}, points = [];
    function add(loc, r) { areas[loc] = areas[loc] ? better(areas[loc], r) : r; }
    rows.forEach(function (r) {
      if (r.geo === "point") points.push(r);
      else if (view === "us" && r.geo === "state") add(r.loc, r);
      else if (view === "world" && r.geo === "country") add(r.loc, r);
      else if (view === "world" && r.geo === "eu") data.eu.forEach(function (m) { add(m, r); });
    });
    return { areas: areas, points: points };
  }

  /* The figure's traces refilled for a day (the figure arrives with empty traces). */
  function fill(traces, view, day) {
    var parts = split(rowsOn(day), view);
    return traces.map(function (t) {
      var meta = t.meta, copy = Object.assign({}, t);
      var match = function (r) { return r.type === meta.type && (r.status === "in_effect") === meta.filled; };
      if (meta.role === "area") {
        var locs = Object.keys(parts.areas).sort().filter(function (loc) { return match(parts.areas[loc]); });
        copy.locations = locs;
        copy.z = locs.map(function () { return 1; });
        copy.customdata = locs.map(function (loc) { return [parts.areas[loc].slug]; });
        copy.hovertext = locs.map(function (loc) { return hover(parts.areas[loc]); });
      } else {
        var pts = parts.points.filter(match);
        copy.lat = pts.map(function (r) { return r.lat; });
        copy.lon = pts.map(function (r) { return r.lon; });
        copy.text = pts.map(function (r) { return r.name; });
        copy.customdata = pts.map(function (r) { return [r.slug]; });
        copy.hovertext = pts.map(hover);
      }
      return copy;
    });
  }

  function redraw(div, day) {
    if (!div.data) return Promise.resolve();
    return Plotly.react(div, fill(div.data, div.dataset.view, day), div.layout, TC.config)
      .then(function () { div.dataset.shownDate = day; });
  }

  function corporateOn(day) {
    var list = document.getElementById("corporate-list");
    if (!list) return;
    var live = { in_effect: 1, adopted: 1, passed: 1, pending: 1 };
    list.textContent = "";
    var url = document.querySelector(".map-chart").dataset.clickUrl;
    var shown = data.corporate.filter(function (c) { return live[c[4]] && holds(c[5], c[6], day); });
    shown.forEach(function (c) {
      var li = document.createElement("li"), a = document.createElement("a"), span = document.createElement("span");
      a.href = url.replace("__slug__", encodeURIComponent(c[0]));
      a.textContent = c[1];
      span.className = "muted";
      span.textContent = " " + data.labels.types[c[2]] + ", " + data.labels.statuses[c[4]].toLowerCase();
      li.appendChild(a); li.appendChild(span); list.appendChild(li);
    });
    if (!shown.length) { var li = document.createElement("li"); li.textContent = "None on this date."; list.appendChild(li); }
  }

  /* Slider stops: the first day of every quarter from the first event to today, plus the
   * "as of" date and today. */
  var slider = document.getElementById("map-slider");
  var output = document.getElementById("map-date");
  var first = slider.dataset.first, today = slider.dataset.today, asOf = slider.dataset.asOf;
  var stops = {};
  var y = +first.slice(0, 4), q = Math.floor((+first.slice(5, 7) - 1) / 3);
  for (;;) {
    var iso = y + "-" + String(q * 3 + 1).padStart(2, "0") + "-01";
    if (iso > today) break;
    stops[iso] = 1;
    q += 1; if (q === 4) { q = 0; y += 1; }
  }
  stops[asOf] = 1; stops[today] = 1;
  var days = Object.keys(stops).sort();
  slider.max = String(days.length - 1);
  slider.dataset.stops = days.join(",");
  slider.value = String(days.indexOf(asOf));
  slider.closest(".time-slider").hidden = false;
  var dateInput = document.getElementById("as-of-date");

  TC.prepare = function (div, fig) {
    if (!div.classList.contains("map-chart")) return fig;
    var day = days[+slider.value];
    div.dataset.shownDate = day;
    return { data: fill(fig.data, div.dataset.view, day), layout: fig.layout };
  };

  function currentDiv() { return document.querySelector(".map-chart:not([hidden])"); }

  function show(day) {
    output.textContent = dateLabel(day, "day");
    if (dateInput) dateInput.value = day;
    document.querySelectorAll(".js-map-date").forEach(function (el) { el.textContent = dateLabel(day, "day"); });
    corporateOn(day);
    return redraw(currentDiv(), day);
  }

  slider.addEventListener("input", function () { show(days[+slider.value]); });

  var playButton = document.getElementById("map-play"), timer = null;
  function stop() { clearInterval(timer); timer = null; playButton.textContent = "\u25B6 Play"; }
  playButton.addEventListener("click", function () {
    if (timer) { stop(); return; }
    if (+slider.value >= days.length - 1) slider.value = "0";
    playButton.textContent = "\u275A\u275A Pause";
    show(days[+slider.value]);
    timer = setInterval(function () {
      if (+slider.value >= days.length - 1) { stop(); return; }
      slider.value = String(+slider.value + 1);
      show(days[+slider.value]);
    }, 700);
  });

  document.querySelectorAll(".view-toggle a[data-view]").forEach(function (link) {
    link.addEventListener("click", function (ev) {
      ev.preventDefault();
      var view = link.dataset.view;
      document.querySelectorAll(".map-chart").forEach(function (div) { div.hidden = div.dataset.view !== view; });
      document.querySelectorAll(".view-toggle a").forEach(function (a) {
        var on = a === link;
        a.classList.toggle("current", on);
        if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
      });
      var hiddenView = document.querySelector(".map-controls input[name=view]");
      if (hiddenView) hiddenView.value = view;
      if (window.history && history.replaceState) history.replaceState(null, "", link.href);
      var div = currentDiv();
      TC.plot(div).then(function () { return redraw(div, days[+slider.value]); });
    });
  });
})();
