/* The ban map. The page carries the map of one date (map-data: tracker/render/maps.py
 * map_record, the same record /map.json answers); this script draws it, asks /map.json for
 * the date the slider stops on, keeps as_of in the address (back and forward work), rebuilds
 * the list under the map, clusters places too close to tell apart at the current zoom into
 * numbered markers, opens a panel for a place or a cluster, and finds places by name.
 * Colours and symbols come from the record's "styles" (render/maps.py map_styles). */
(function () {
  "use strict";
  var TC = window.TrackerCharts;
  var record = TC && TC.readJSON("map-data");
  if (!record) return;
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var CLUSTER_PX = 14;  /* places closer than this on screen share one marker */
  var cache = {};
  var current = record;
  var panelPlace = null;

  function dateLabel(iso, precision) {
    var y = +iso.slice(0, 4), m = +iso.slice(5, 7), d = +iso.slice(8, 10);
    if (precision === "year") return String(y);
    if (precision === "month") return MONTHS[m - 1] + " " + y;
    return d + " " + MONTHS[m - 1] + " " + y;
  }
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function addDays(iso, n) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function withParams(link, params) {
    var url = new URL(link, window.location.origin);
    Object.keys(params).forEach(function (k) {
      if (params[k] === null) url.searchParams.delete(k); else url.searchParams.set(k, params[k]);
    });
    return url.pathname + url.search + url.hash;
  }
  function measureUrl(slug) { return record.links.measure.replace("__slug__", encodeURIComponent(slug)); }
  function placeUrl(slug, day) {
    return record.links.place.replace("__slug__", encodeURIComponent(slug)) + "?as_of=" + day + "#h-applies";
  }
  function sincePhrase(m) {
    return record.labels.statuses[m.status].toLowerCase() + " since " + dateLabel(m.since, m.precision);
  }
  function scopeText(m) {
    var names = m.scope.map(function (s) { return record.labels.scopes[s].toLowerCase(); });
    return (m.scope_class === "general" ? "general" : "narrow") + (names.length ? " (" + names.join(", ") + ")" : "");
  }
  function styleOf(m) {
    return record.styles[m.type + "|" + (m.status === "in_effect" ? "in_effect" : "not_yet") + "|" + m.scope_class];
  }
  /* tracker/core/mapping.py display_key: in force, then general, then the stronger type. */
  var STRENGTH = ["ban", "moratorium", "restriction", "oversight"];
  function rank(m) {
    return [m.status !== "in_effect" ? 1 : 0, m.scope_class !== "general" ? 1 : 0, STRENGTH.indexOf(m.type), m.since];
  }
  function better(a, b) {
    var ka = rank(a.measure), kb = rank(b.measure);
    for (var i = 0; i < ka.length; i++) { if (ka[i] !== kb[i]) return ka[i] < kb[i] ? a : b; }
    return a;
  }
  function hover(p) {
    var m = p.measure;
    return "<b>" + esc(p.name) + "</b><br>" + esc(m.title) + "<br>" + record.labels.types[m.type] + ", " +
      esc(scopeText(m)) + "<br>" + esc(sincePhrase(m)) +
      (p.count > 1 ? "<br>" + p.count + " measures here" : "") + "<br><i>click for every measure here</i>";
  }

  /* --- drawing ---------------------------------------------------------------------------- */

  function projector(div) {
    var sub = div._fullLayout && div._fullLayout.geo && div._fullLayout.geo._subplot;
    return sub && sub.projection ? sub.projection : null;
  }

  function areaTraces(view) {
    var areas = {};
    function add(loc, p) { areas[loc] = areas[loc] ? better(areas[loc], p) : p; }
    current.places.forEach(function (p) {
      if (view === "us" && p.geo === "state") add(p.loc, p);
      else if (view === "world" && p.geo === "country") add(p.loc, p);
    });
    if (view === "world") {
      current.places.forEach(function (p) {
        if (p.geo === "eu") record.eu.forEach(function (m) { add(m, p); });
      });
    }
    var byStyle = {};
    Object.keys(areas).sort().forEach(function (loc) {
      var p = areas[loc], key = p.measure.type + "|" + p.measure.status + "|" + p.measure.scope_class;
      (byStyle[key] = byStyle[key] || []).push([loc, p]);
    });
    return Object.keys(byStyle).sort().map(function (key) {
      var items = byStyle[key], s = styleOf(items[0][1].measure);
      return {
        type: "choropleth", locationmode: view === "us" ? "USA-states" : "ISO-3",
        locations: items.map(function (i) { return i[0]; }), z: items.map(function () { return 1; }),
        colorscale: [[0, s.fill], [1, s.fill]], zmin: 0, zmax: 1, showscale: false,
        marker: { line: { color: s.line, width: s.width } },
        customdata: items.map(function (i) { return ["place", i[1].slug, i[1].measure.slug]; }),
        hovertext: items.map(function (i) { return hover(i[1]); }),
        hovertemplate: "%{hovertext}<extra></extra>",
        meta: { role: "area", style: key }
      };
    });
  }

  /* Points, greedily clustered in screen space: the strongest place first, each later one
   * joins the first cluster within CLUSTER_PX of it. Without a projection (before the first
   * draw) every place is its own marker. */
  function clusters(div) {
    var pts = current.places.filter(function (p) { return p.geo === "point" && p.lat !== null; });
    pts.sort(function (a, b) { return better(a, b) === a ? -1 : 1; });
    var proj = projector(div), out = [];
    pts.forEach(function (p) {
      var xy = proj ? proj([p.lon, p.lat]) : null;
      if (xy && isFinite(xy[0])) {
        for (var i = 0; i < out.length; i++) {
          var c = out[i];
          if (c.xy && Math.abs(c.xy[0] - xy[0]) < CLUSTER_PX && Math.abs(c.xy[1] - xy[1]) < CLUSTER_PX) {
            c.members.push(p); return;
          }
        }
      }
      out.push({ xy: xy && isFinite(xy[0]) ? xy : null, members: [p] });
    });
    return out;
  }

  function pointTrace(div) {
    var cs = clusters(div);
    div._mapClusters = cs;
    var t = { type: "scattergeo", mode: "markers+text", lat: [], lon: [], text: [], customdata: [], hovertext: [],
      hovertemplate: "%{hovertext}<extra></extra>", textfont: { color: "#111", size: 11 }, textposition: "middle center",
      marker: { size: [], symbol: [], color: [], line: { color: [], width: [] } }, meta: { role: "point" } };
    cs.forEach(function (c, i) {
      var best = c.members[0], s = styleOf(best.measure), n = c.members.length;
      t.lat.push(best.lat); t.lon.push(best.lon);
      t.text.push(n > 1 ? String(n) : "");
      t.marker.size.push(n > 1 ? 20 : 11);
      t.marker.symbol.push(n > 1 ? "circle" : s.symbol);
      t.marker.color.push(n > 1 ? "#ffffff" : s.colour);
      t.marker.line.color.push(n > 1 ? s.colour : (s.symbol.indexOf("open") > 0 ? s.colour : "#ffffff"));
      t.marker.line.width.push(n > 1 ? 3 : (s.symbol.indexOf("open") > 0 ? 2.2 : 1));
      if (n > 1) {
        t.customdata.push(["cluster", i]);
        t.hovertext.push("<b>" + n + " places</b><br>" + c.members.map(function (p) { return esc(p.name); }).join("<br>") +
          "<br><i>click to list them, or zoom in</i>");
      } else {
        t.customdata.push(["place", best.slug, best.measure.slug]);
        t.hovertext.push(hover(best));
      }
    });
    return t;
  }

  function traces(div) { return areaTraces(div.dataset.view).concat([pointTrace(div)]); }

  function viewKey(div) {
    var g = div._fullLayout && div._fullLayout.geo;
    if (!g) return "";
    var rot = g.projection.rotation || {}, c = g.center || {};
    return [g.projection.scale, c.lon, c.lat, rot.lon, div.clientWidth].join(",");
  }

  function redraw(div) {
    if (!div || !div.data) return Promise.resolve();
    div._mapKey = viewKey(div);
    return Plotly.react(div, traces(div), div.layout, TC.config).then(function () {
      div.dataset.shownDate = current.as_of;
      div._mapKey = viewKey(div);
    });
  }

  /* The map's height follows its width (a phone gets no empty band above and below it). */
  function fitHeight(div, layout) {
    var ratio = div.dataset.view === "us" ? 0.62 : 0.56, width = div.clientWidth || 800;
    return Object.assign({}, layout, { height: Math.round(Math.max(240, Math.min(layout.height, width * ratio))) });
  }

  TC.prepare = function (div, fig) {
    if (!div.classList.contains("map-chart")) return fig;
    div.dataset.shownDate = current.as_of;
    return { data: traces(div), layout: fitHeight(div, fig.layout) };
  };

  function wire(div) {
    if (div._mapWired) return;
    div._mapWired = true;
    div.on("plotly_click", function (ev) {
      var pt = ev && ev.points && ev.points[0];
      if (!pt || !pt.customdata) return;
      if (pt.customdata[0] === "cluster") openCluster(div, div._mapClusters[pt.customdata[1]]);
      else openPlace(pt.customdata[1]);
    });
    /* Zoom or pan: cluster again for the new scale (not after our own redraws). */
    div.on("plotly_relayout", function () {
      if (viewKey(div) !== div._mapKey) redraw(div);
    });
  }

  function currentDiv() { return document.querySelector(".map-chart:not([hidden])"); }

  function zoomTo(div, lat, lon, scale) {
    if (!div || lat === null || lon === null) return Promise.resolve();
    return Plotly.relayout(div, { "geo.center.lat": lat, "geo.center.lon": lon, "geo.projection.scale": scale })
      .then(function () { return redraw(div); });
  }

  /* --- the panel -------------------------------------------------------------------------- */

  var panel = document.getElementById("map-panel");
  var panelTitle = document.getElementById("map-panel-title");
  var panelBody = document.getElementById("map-panel-body");
  document.getElementById("map-panel-close").addEventListener("click", function () {
    panel.hidden = true; panelPlace = null;
  });

  function measureItem(m) {
    var li = el("li");
    li.appendChild(el("a", { href: measureUrl(m.slug) }, m.title));
    li.appendChild(el("span", { class: "muted" }, " " + record.labels.types[m.type] + ", " + scopeText(m) + "; " +
      sincePhrase(m) + (m.adopter ? " (" + m.adopter + ")" : "")));
    return li;
  }

  function findPlace(slug) {
    for (var i = 0; i < current.places.length; i++) if (current.places[i].slug === slug) return current.places[i];
    return null;
  }

  /* On a phone the panel is below the map and its legend: bring it into view. */
  function reveal() {
    var r = panel.getBoundingClientRect();
    if (r.top > window.innerHeight || r.bottom < 0) panel.scrollIntoView({ block: "start" });
  }

  function openPlace(slug, quiet) {
    var p = findPlace(slug);
    panelPlace = slug;
    panel.hidden = false;
    panel.dataset.place = slug;
    panelBody.textContent = "";
    if (!p) {
      panelTitle.textContent = "Not on the map";
      panelBody.appendChild(el("p", {}, "No measure of this filter there on " + dateLabel(current.as_of) + "."));
      return Promise.resolve();
    }
    panelTitle.textContent = p.name;
    if (!quiet) reveal();
    var applies = el("p");
    applies.appendChild(el("a", { href: placeUrl(p.slug, current.as_of), class: "map-applies" },
      "What applies in " + p.name + " on " + dateLabel(current.as_of) + ""));
    applies.appendChild(document.createTextNode(" (its own measures and its state's and country's)"));
    panelBody.appendChild(applies);
    panelBody.appendChild(el("p", { class: "chart-help" }, p.count === 1 ? "1 measure here on this date:" :
      p.count + " measures here on this date, the one the map shows first:"));
    var list = el("ul", { class: "map-panel-measures" });
    list.appendChild(measureItem(p.measure));
    panelBody.appendChild(list);
    panelBody.appendChild(el("p", { class: "chart-help" }, "Each measure's page lists its events and the sources for them."));
    if (p.count <= 1) return Promise.resolve();
    var day = current.as_of;
    return fetchRecord(day, slug).then(function (rec) {
      if (panelPlace !== slug || current.as_of !== day) return;
      var full = null;
      rec.places.forEach(function (q) { if (q.slug === slug) full = q; });
      if (!full || !full.measures) return;
      list.textContent = "";
      full.measures.forEach(function (m) { list.appendChild(measureItem(m)); });
    }, function () {
      list.appendChild(el("li", {}, "The other measures could not be loaded; see the place's page."));
    });
  }

  function openCluster(div, c) {
    panelPlace = null;
    panel.hidden = false;
    panel.dataset.place = "";
    panelTitle.textContent = c.members.length + " places here";
    panelBody.textContent = "";
    reveal();
    var list = el("ul", { class: "map-panel-places" });
    c.members.slice().sort(function (a, b) { return a.name < b.name ? -1 : 1; }).forEach(function (p) {
      var li = el("li"), b = el("button", { type: "button", class: "link-button", "data-place": p.slug }, p.name);
      b.addEventListener("click", function () { openPlace(p.slug); });
      li.appendChild(b);
      li.appendChild(el("span", { class: "muted" }, " " + record.labels.types[p.measure.type] + ", " + sincePhrase(p.measure)));
      list.appendChild(li);
    });
    panelBody.appendChild(list);
    var zoom = el("button", { type: "button", class: "map-zoom" }, "Zoom in here");
    zoom.addEventListener("click", function () {
      var g = div._fullLayout.geo;
      zoomTo(div, c.members[0].lat, c.members[0].lon, Math.max(8, g.projection.scale * 4));
    });
    panelBody.appendChild(zoom);
  }

  /* --- the list under the map and the companies ------------------------------------------- */

  function renderList() {
    var box = document.getElementById("map-places");
    box.textContent = "";
    var day = current.as_of;
    Object.keys(record.labels.geos).forEach(function (geo) {
      var rows = current.places.filter(function (p) { return p.geo === geo; });
      if (!rows.length) return;
      box.appendChild(el("h3", {}, record.labels.geos[geo]));
      var table = el("table", { class: "places" }), head = el("tr"), body = el("tbody");
      ["Place", "Strongest measure", "Type and scope", "Status"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
      table.appendChild(el("thead")).appendChild(head);
      rows.forEach(function (p) {
        var tr = el("tr", { "data-place": p.slug }), td = el("td");
        td.appendChild(el("a", { href: placeUrl(p.slug, day), title: "What applies in " + p.name + " on " + dateLabel(day) }, p.name));
        if (p.count > 1) td.appendChild(el("span", { class: "muted" }, " (" + p.count + " measures)"));
        tr.appendChild(td);
        var tm = el("td"); tm.appendChild(el("a", { href: measureUrl(p.measure.slug) }, p.measure.title)); tr.appendChild(tm);
        tr.appendChild(el("td", {}, record.labels.types[p.measure.type] + ", " + scopeText(p.measure)));
        tr.appendChild(el("td", {}, sincePhrase(p.measure)));
        body.appendChild(tr);
      });
      table.appendChild(body);
      box.appendChild(table);
    });
    if (!current.places.length) box.appendChild(el("p", {}, "No place had a measure of this filter on " + dateLabel(day) + "."));
    if (current.unplaced.length) {
      box.appendChild(el("h3", {}, "Not on the map"));
      box.appendChild(el("p", { class: "chart-help" }, "Court orders, settlements, resolutions, and measures of places without coordinates" +
        (current.unplaced_total > current.unplaced.length ? ": the " + current.unplaced.length + " most recent of " + current.unplaced_total.toLocaleString("en") : "") + "."));
      var ul = el("ul");
      current.unplaced.forEach(function (m) {
        var li = el("li");
        li.appendChild(el("a", { href: measureUrl(m.slug) }, m.title));
        li.appendChild(el("span", { class: "muted" }, " (" + m.adopter + ", " + record.labels.statuses[m.status].toLowerCase() + ")"));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    var corp = document.getElementById("corporate-list");
    corp.textContent = "";
    current.corporate.forEach(function (m) {
      var li = el("li");
      li.appendChild(el("a", { href: measureUrl(m.slug) }, m.title));
      li.appendChild(el("span", { class: "muted" }, " " + record.labels.types[m.type] + ", " + record.labels.statuses[m.status].toLowerCase()));
      corp.appendChild(li);
    });
    if (!current.corporate.length) corp.appendChild(el("li", {}, "None on this date."));
    var more = document.getElementById("corporate-more");
    more.hidden = current.corporate_total <= current.corporate.length;
    more.querySelector(".js-corporate-shown").textContent = String(current.corporate.length);
    more.querySelector(".js-corporate-total").textContent = current.corporate_total.toLocaleString("en");
  }

  /* --- dates -------------------------------------------------------------------------------- */

  var first = record.steps.first;
  var days = record.steps.days.map(function (n) { return addDays(first, n); });
  var frames = record.steps.play.map(function (n) { return addDays(first, n); });
  var slider = document.getElementById("map-slider");
  var output = document.getElementById("map-date");
  var dateInput = document.getElementById("as-of-date");
  slider.max = String(days.length - 1);
  slider.dataset.stops = String(days.length);
  function indexOf(day) {
    var i = 0;
    while (i + 1 < days.length && days[i + 1] <= day) i++;
    return i;
  }
  slider.value = String(indexOf(record.as_of));
  /* For the browser tests and the console: the stops and how to find one. */
  window.TrackerMap = { days: days, frames: frames, indexOf: indexOf };
  slider.closest(".time-slider").hidden = false;
  document.querySelector(".map-hint").hidden = false;

  function fetchRecord(day, place) {
    var url = withParams(record.links.json, { as_of: day, place: place || null });
    if (cache[url]) return cache[url];
    cache[url] = fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("map data " + r.status);
      return r.json();
    });
    cache[url].catch(function () { delete cache[url]; });
    return cache[url];
  }
  cache[withParams(record.links.json, { as_of: record.as_of, place: null })] = Promise.resolve(record);

  function addressFor(day) { return withParams(window.location.href, { as_of: day }); }

  function syncLinks(day) {
    document.getElementById("map-csv").href = withParams(record.links.csv, { as_of: day });
    document.querySelectorAll(".view-toggle a[data-view]").forEach(function (a) { a.href = withParams(a.href, { as_of: day }); });
  }

  var wanted = null;
  /* Show a date: ask for it (cached), then redraw the map, the list, the panel and links. */
  function show(day, how) {
    wanted = day;
    output.textContent = dateLabel(day);
    if (how === "push") history.pushState({ as_of: day }, "", addressFor(day));
    else if (how === "replace") history.replaceState({ as_of: day }, "", addressFor(day));
    return fetchRecord(day).then(function (rec) {
      if (wanted !== day) return;
      current = rec;
      if (dateInput) dateInput.value = day;
      document.querySelectorAll(".js-map-date").forEach(function (n) { n.textContent = dateLabel(day); });
      syncLinks(day);
      renderList();
      fillNames();
      if (panelPlace) openPlace(panelPlace, true);
      return redraw(currentDiv());
    }, function (err) { console.warn(err); });
  }

  slider.addEventListener("input", function () { show(days[+slider.value], null); });
  slider.addEventListener("change", function () { show(days[+slider.value], "push"); });
  window.addEventListener("popstate", function () {
    var asOf = new URL(window.location.href).searchParams.get("as_of") || days[days.length - 1];
    slider.value = String(indexOf(asOf));
    show(asOf, null);
  });

  var playButton = document.getElementById("map-play"), timer = null, frame = 0;
  function stop() { clearTimeout(timer); timer = null; playButton.textContent = "\u25B6 Play"; }
  function step() {
    if (frame >= frames.length) { stop(); return; }
    var day = frames[frame++];
    slider.value = String(indexOf(day));
    if (frame < frames.length) fetchRecord(frames[frame]);
    show(day, "replace").then(function () { if (timer) timer = setTimeout(step, 900); });
  }
  playButton.addEventListener("click", function () {
    if (timer) { stop(); return; }
    var at = days[+slider.value];
    frame = 0;
    /* From where the record is dense; resume from the slider when it is further along. */
    while (frame < frames.length - 1 && frames[frame] <= at && at < frames[frames.length - 1]) frame++;
    if (at >= frames[frames.length - 1]) frame = 0;
    playButton.textContent = "\u275A\u275A Pause";
    timer = setTimeout(step, 0);
  });

  /* --- views, search ------------------------------------------------------------------------ */

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
      var hiddenView = document.querySelector(".map-filters input[name=view]");
      if (hiddenView) hiddenView.value = view;
      history.replaceState(history.state, "", link.href);
      var div = currentDiv();
      TC.plot(div).then(function () { wire(div); return redraw(div); });
    });
  });

  var searchForm = document.getElementById("map-search-form");
  var searchInput = document.getElementById("map-search");
  var searchStatus = document.getElementById("map-search-status");
  function fillNames() {
    var list = document.getElementById("map-place-names");
    list.textContent = "";
    current.places.map(function (p) { return p.name; }).sort().forEach(function (name) {
      list.appendChild(el("option", { value: name }));
    });
  }
  function lookup(text) {
    var q = text.trim().toLowerCase();
    if (!q) return null;
    var tests = [function (n) { return n === q; }, function (n) { return n.indexOf(q) === 0; }, function (n) { return n.indexOf(q) >= 0; }];
    for (var t = 0; t < tests.length; t++) {
      for (var i = 0; i < current.places.length; i++) if (tests[t](current.places[i].name.toLowerCase())) return current.places[i];
    }
    return null;
  }
  searchForm.hidden = false;
  searchForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var p = lookup(searchInput.value);
    if (!p) {
      searchStatus.textContent = "No place named \u201C" + searchInput.value.trim() + "\u201D is on the map on " + dateLabel(current.as_of) + ".";
      return;
    }
    searchStatus.textContent = "";
    openPlace(p.slug);
    var div = currentDiv();
    if (p.geo === "point") zoomTo(div, p.lat, p.lon, div.dataset.view === "us" ? 12 : 20);
  });
  fillNames();

  document.addEventListener("charts:ready", function () {
    document.querySelectorAll(".map-chart").forEach(function (div) { if (div.data) { wire(div); redraw(div); } });
  });
})();
