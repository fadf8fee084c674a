/* corridor map: draws the features, labels, legend, panel, heading and layer control from the page's JSON data.
 *
 * The data come from other people's geodata and scenarios. They are read from a
 * <script type="application/json"> element with JSON.parse and reach the page only through
 * textContent (or Leaflet's layer control, after escaping): never as HTML, never as script.
 * A source becomes a link only when it is an http(s) URL; a colour only when it is #rrggbb.
 */
"use strict";

function corridorDraw(map, dataId) {
  var data = JSON.parse(document.getElementById(dataId).textContent);
  var NARROW = 600;
  var narrow = map.getSize().x < NARROW;
  // a large network is drawn on a canvas (SVG with ten thousand paths pans at a frame a second), without arrows
  var BIG = 3000, total = 0;
  data.sets[0].forEach(function (spec) { total += (spec.edges || []).length + (spec.nodes || []).length; });
  var big = total > BIG, renderer = big ? L.canvas({padding: 0.3, tolerance: 3}) : undefined;

  // ------------------------------------------------------------------------------------------
  // helpers

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function escapeHtml(text) {
    // only for Leaflet's layer control, which sets its labels with innerHTML
    return String(text).replace(/[&<>"'`]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }

  function colour(c, fallback) {
    return /^#[0-9a-fA-F]{6}$/.test(String(c)) ? String(c) : (fallback || "#888888");
  }

  // the http(s) URL a source starts with (as corridor._untrusted.web_url), else null
  var WEB_URL = /^https?:\/\/[^\s<>"'`\u0000-\u001f\u007f]+/i;

  function sourceCell(text) {
    var td = el("td"), trimmed = String(text).trim(), match = WEB_URL.exec(trimmed);
    if (!match) { td.textContent = String(text); return td; }
    var a = el("a", null, match[0]);
    a.href = match[0];
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    td.appendChild(a);
    if (trimmed.length > match[0].length) { td.appendChild(document.createTextNode(trimmed.slice(match[0].length))); }
    return td;
  }

  function facts(info, more) {
    var box = el("div", "cx-tip"), table = el("table");
    box.appendChild(el("b", null, info.title));
    if (info.set) { box.appendChild(document.createTextNode(" ")); box.appendChild(el("span", "cx-set", info.set)); }
    info.rows.concat(more || []).forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", null, row[0]));
      tr.appendChild(row[0] === "source" ? sourceCell(row[1]) : el("td", null, row[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (!more) { box.appendChild(el("div", "cx-hint", "click for the sources")); }
    return box;
  }

  // one popup at a time and no tooltip while it is open
  var popupOpen = false;
  map.on("popupopen", function (e) {
    popupOpen = true;
    var src = e.popup._source;
    if (src && src.closeTooltip) { src.closeTooltip(); }
    map.getPane("tooltipPane").style.display = "none";
  });
  map.on("popupclose", function () {
    popupOpen = false;
    map.getPane("tooltipPane").style.display = "";
  });

  function bindFacts(layer, item) {
    layer.cxItem = item;
    layer.bindTooltip(function () { return facts(item.info); }, {sticky: true, className: "cx-tooltip"});
    layer.bindPopup(function () { return facts(item.info, item.more); }, {maxWidth: 440, autoPanPadding: [30, 30]});
    layer.on("tooltipopen", function () { if (popupOpen) { layer.closeTooltip(); } });
  }

  // ------------------------------------------------------------------------------------------
  // line styles per mode: colour shows utilisation, the pattern shows the mode (the legend draws the same)

  var MODE_STYLE = {
    rail: {},
    road: {centre: 0.34},                       // double line: a light centre stripe
    sea: {dash: [2.4, 1.6]},                    // dashed
    pipeline: {casing: "#4a4a4a", extra: 3},    // cased: dark edges
    power_cable: {dash: [3.2, 1.2, 0.5, 1.2]},  // dash-dot
    fiber: {dash: [0.05, 2.2], cap: "round", max: 3.5},  // thin, dotted
    transfer: {max: 4},
  };

  function modeStyle(mode) { return MODE_STYLE[mode] || {}; }

  function dashFor(style, weight) {
    if (!style.dash) { return null; }
    var w = Math.max(weight, 2);
    return style.dash.map(function (v) { return Math.max(0.1, Math.round(v * w * 10) / 10); }).join(" ");
  }

  function lineParts(item, ll) {
    // the layers that draw one edge: optional bottleneck outline, mode casing, the line, a centre stripe
    var style = modeStyle(item.mode), parts = [];
    var weight = style.max ? Math.min(item.weight, style.max) : item.weight;
    var cls = item.cls + (item.active === false ? " cx-idle" : "");
    if (item.casing) {
      parts.push(L.polyline(ll, {color: "#111111", weight: weight + (style.extra || 0) + 6, opacity: 0.85,
        className: "cx-casing", interactive: false, renderer: renderer}));
    }
    if (style.casing) {
      parts.push(L.polyline(ll, {color: style.casing, weight: weight + style.extra,
        opacity: item.active === false ? 0.35 : 0.9, className: "cx-mode-casing", interactive: false,
        renderer: renderer}));
    }
    var line = L.polyline(ll, {color: colour(item.color), weight: weight, opacity: item.opacity,
      dashArray: dashFor(style, weight), lineCap: style.cap || "round", className: cls, renderer: renderer});
    parts.push(line);
    if (style.centre) {
      parts.push(L.polyline(ll, {color: "#ffffff", weight: Math.max(1, weight * style.centre), opacity: 0.95,
        className: "cx-mode-centre", interactive: false, renderer: renderer}));
    }
    return {line: line, parts: parts, weight: weight};
  }

  function geometry(item) {
    var ll = data.geom[item.g];
    if (!item.rev) { return ll; }
    if (Array.isArray(ll[0][0])) { return ll.slice().reverse().map(function (p) { return p.slice().reverse(); }); }
    return ll.slice().reverse();
  }

  // ------------------------------------------------------------------------------------------
  // commodity filter: a line shows while one of its commodities is shown

  var hiddenCommodities = {}, drawnEdges = [], filtering = false;

  function edgeVisible(item) {
    if (!item.com || !item.com.length) { return true; }
    return item.com.some(function (c) { return !hiddenCommodities[c]; });
  }

  function applyFilter(entry) {
    var show = edgeVisible(entry.item);
    entry.parts.forEach(function (p) {
      if (renderer) {  // a canvas: no classes, so an invisible stroke
        if (p.cxOpacity === undefined) { p.cxOpacity = p.options.opacity; }
        if ((p.options.opacity === 0) === show) { p.setStyle({opacity: show ? p.cxOpacity : 0}); }
        return;
      }
      if (p._path) { p._path.classList.toggle("cx-off", !show); }
      if (p._textNode) { p._textNode.classList.toggle("cx-off", !show); }
    });
  }

  // ------------------------------------------------------------------------------------------
  // features

  function edgeLayer(group, item) {
    var ll = geometry(item), drawn = lineParts(item, ll);
    bindFacts(drawn.line, item);
    drawn.parts.forEach(function (p) { p.addTo(group); });
    var entry = {item: item, parts: drawn.parts};
    drawnEdges.push(entry);
    if (item.arrow && !big) {
      var size = Math.min(item.arrow, drawn.weight + 5);
      drawn.line.setText("\u2002\u2002\u25b6\u2002\u2002\u2002\u2002", {repeat: true,
        offset: Math.round(size * 3.6) / 10, attributes: {fill: "#1c1c1c", "font-size": String(size), "class": "cx-arrow"}});
    }
    group.on("add", function () { if (filtering) { applyFilter(entry); } });
  }

  function nodeLayer(group, item) {
    var marker = L.circleMarker(data.geom[item.g], {radius: item.radius, color: colour(item.color), weight: item.weight,
      opacity: item.opacity, fill: true, fillColor: colour(item.fill), fillOpacity: item.fillOpacity,
      dashArray: item.dash, className: item.cls, renderer: renderer});
    bindFacts(marker, item);
    marker.addTo(group);
  }

  var badgeIndex = {};

  function badgeLayer(group, item, k) {
    var badge = el("div", "cx-badge cx-sev-" + item.severity, item.rank);
    var icon = L.divIcon({html: badge, iconSize: [22, 22], iconAnchor: [11, 11], className: "cx-badge-icon"});
    var marker = L.marker(item.ll, {icon: icon, keyboard: false, riseOnHover: true, zIndexOffset: 500});
    bindFacts(marker, item);
    marker.addTo(group);
    badgeIndex[k + ":" + item.id] = marker;
  }

  function overlayLayer(group, item) {
    var layer;
    if (item.kind === "node") {
      layer = L.circleMarker(data.geom[item.g], {radius: 13, stroke: false, fillColor: colour(item.color),
        fillOpacity: 0.75, className: item.cls});
    } else {
      layer = L.polyline(data.geom[item.g], {color: colour(item.color), weight: 16, opacity: 0.7, className: item.cls});
    }
    bindFacts(layer, item);
    layer.addTo(group);
  }

  function layerLabel(name) {
    var text = escapeHtml(name.text);
    return name.prefix ? "<span class='cx-layer-set'>" + escapeHtml(name.prefix) + "</span> " + text : text;
  }

  // ------------------------------------------------------------------------------------------
  // base layers and credits

  var base = {};
  var land = L.geoJSON(data.basemap.features, {
    interactive: false,
    style: function (f) {
      return f.properties.land
        ? {fillColor: colour(data.basemap.land), fillOpacity: 1, color: colour(data.basemap.border), weight: 0.7}
        : {fillColor: colour(data.basemap.sea), fillOpacity: 1, stroke: false};
    },
  }).addTo(map);
  base[escapeHtml(data.basemap.name)] = land;
  if (data.tiles) {
    base[escapeHtml(data.tiles.name)] = L.tileLayer(data.tiles.url, {attribution: escapeHtml(data.tiles.attribution)});
  }
  if (!map.attributionControl) { L.control.attribution({position: "bottomright"}).addTo(map); }
  // constant text (no data): rail geometry is derived from OpenStreetMap, pipeline routes from Global Energy
  // Monitor's traces (CC BY 4.0), the outlines are Natural Earth's
  map.attributionControl.addAttribution(
    "Rail geometry \u00a9 <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap contributors</a> (ODbL)"
    + " \u00b7 pipeline routes: <a href=\"https://globalenergymonitor.org/\">Global Energy Monitor</a> (CC BY 4.0)"
    + " \u00b7 countries: <a href=\"https://www.naturalearthdata.com/\">Natural Earth</a>");

  // ------------------------------------------------------------------------------------------
  // layers: one persistent group per layer name; a scenario (compare) or a year (timeline) fills them

  var overlays = {}, persistent = {}, order = [], nodeGroups = [];
  var built = {};  // "set|key" -> featureGroup

  function keyOf(spec) { return spec.name.prefix + "|" + spec.name.text; }

  data.sets.forEach(function (layers) {
    layers.forEach(function (spec) {
      var key = keyOf(spec);
      if (persistent[key]) { return; }
      persistent[key] = L.layerGroup();
      order.push(key);
      overlays[layerLabel(spec.name)] = persistent[key];
      if (spec.nodes) { nodeGroups.push(persistent[key]); }
    });
  });

  function content(k, spec) {
    var id = k + "|" + keyOf(spec);
    if (!built[id]) {
      var group = L.featureGroup();
      (spec.edges || []).forEach(function (item) { edgeLayer(group, item); });
      (spec.nodes || []).forEach(function (item) { nodeLayer(group, item); });
      (spec.badges || []).forEach(function (item) { badgeLayer(group, item, k); });
      (spec.overlay || []).forEach(function (item) { overlayLayer(group, item); });
      built[id] = group;
    }
    return built[id];
  }

  function nodesOnTop() {
    nodeGroups.forEach(function (g) {
      if (map.hasLayer(g)) { g.eachLayer(function (l) { if (l.bringToFront) { l.bringToFront(); } }); }
    });
  }

  var timeline = data.timeline, current = 0;

  function showFrame(k) {
    // the timeline: every group shows year k's features
    current = k;
    order.forEach(function (key) { persistent[key].clearLayers(); });
    data.sets[k].forEach(function (spec) { persistent[keyOf(spec)].addLayer(content(k, spec)); });
    nodesOnTop();
    if (labels) { placeLabels(); }
  }

  function setKeys(k) { return data.sets[k].map(keyOf); }

  if (timeline) {
    order.forEach(function (key) { persistent[key].addTo(map); });
    showFrame(timeline.start);
  } else {
    data.sets.forEach(function (layers, k) {
      layers.forEach(function (spec) { persistent[keyOf(spec)].addLayer(content(k, spec)); });
    });
    setKeys(0).forEach(function (key) { persistent[key].addTo(map); });
  }

  // commodities: toggles in the layer control (empty groups whose presence on the map is the switch)
  var commodityToggles = [];
  (data.legend.commodities || []).forEach(function (c) {
    var toggle = L.layerGroup().addTo(map);
    toggle.cxCommodity = c[0];
    overlays["<span class='cx-layer-set'>Commodity</span> " + escapeHtml(c[1]) + " (" + escapeHtml(c[2]) + ")"] = toggle;
    commodityToggles.push(toggle);
  });

  function commodityChanged(e) {
    if (e.layer.cxCommodity === undefined) { return; }
    hiddenCommodities[e.layer.cxCommodity] = e.type === "overlayremove";
    filtering = true;
    drawnEdges.forEach(applyFilter);
  }

  var layerControl = L.control.layers(base, overlays, {collapsed: true, position: "topright"}).addTo(map);
  map.on("overlayadd", function (e) { commodityChanged(e); nodesOnTop(); placeLabels(); });
  map.on("overlayremove", function (e) { commodityChanged(e); placeLabels(); });

  // ------------------------------------------------------------------------------------------
  // place labels: by zoom, greedy by priority, hidden where they would overlap one already placed

  var labelPane = map.createPane("cx-labels");
  labelPane.style.zIndex = 450;
  labelPane.style.pointerEvents = "none";
  var labels = (data.labels || []).map(function (spec, i) {
    var div = el("div", "cx-label cx-label-" + spec.c, spec.t);
    labelPane.appendChild(div);
    return {spec: spec, el: div, w: 0, h: 0, i: i, node: spec.c !== "sea" && spec.c !== "country"};
  }).sort(function (a, b) { return a.spec.p - b.spec.p || a.i - b.i; });

  function measure() {
    labels.forEach(function (lab) {
      lab.el.style.display = "block";
      lab.el.style.visibility = "hidden";
    });
    labels.forEach(function (lab) { lab.w = lab.el.offsetWidth; lab.h = lab.el.offsetHeight; });
    labels.forEach(function (lab) { lab.el.style.visibility = ""; lab.el.style.display = "none"; });
  }

  function overlaps(a, b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  }

  function placeLabels() {
    if (!labels.length) { return; }
    if (!labels[0].w) { measure(); }
    var z = map.getZoom(), size = map.getSize(), placed = [], GAP = 2;
    Object.keys(badgeIndex).forEach(function (k) {  // the numbered badges first: a label never hides one
      var marker = badgeIndex[k];
      if (!map.hasLayer(marker)) { return; }
      var p = map.latLngToContainerPoint(marker.getLatLng());
      placed.push({x: p.x - 12, y: p.y - 12, w: 24, h: 24});
    });
    labels.forEach(function (lab) {
      lab.el.style.display = "none";
      if (z < lab.spec.z || (lab.spec.x && z > lab.spec.x)) { return; }
      var cp = map.latLngToContainerPoint(lab.spec.ll);
      var candidates = lab.node
        ? [[8, -lab.h / 2], [-8 - lab.w, -lab.h / 2], [-lab.w / 2, -lab.h - 6], [-lab.w / 2, 6]]
        : [[-lab.w / 2, -lab.h / 2]];
      for (var n = 0; n < candidates.length; n++) {
        var box = {x: cp.x + candidates[n][0] - GAP, y: cp.y + candidates[n][1] - GAP, w: lab.w + 2 * GAP,
          h: lab.h + 2 * GAP};
        if (box.x + box.w < 0 || box.y + box.h < 0 || box.x > size.x || box.y > size.y) { return; }
        if (placed.some(function (b) { return overlaps(b, box); })) { continue; }
        placed.push(box);
        var lp = map.containerPointToLayerPoint([Math.round(cp.x + candidates[n][0]), Math.round(cp.y + candidates[n][1])]);
        L.DomUtil.setPosition(lab.el, lp);
        lab.el.style.display = "block";
        return;
      }
    });
  }

  map.on("zoomstart", function () { labelPane.style.visibility = "hidden"; });
  map.on("zoomend moveend resize viewreset", function () { placeLabels(); labelPane.style.visibility = ""; });

  // ------------------------------------------------------------------------------------------
  // heading: scenario, year, provenance (and the year slider)

  var heading = el("div", "cx-heading");
  var h1 = el("h1", null, data.heading);
  heading.appendChild(h1);
  heading.appendChild(el("div", "cx-prov", data.provenance));
  var headControl = L.control({position: "topleft"});
  headControl.onAdd = function () { return heading; };
  headControl.addTo(map);
  // first in its corner: the zoom buttons stay visible below it
  heading.parentNode.insertBefore(heading, heading.parentNode.firstChild);
  L.DomEvent.disableClickPropagation(heading);
  L.DomEvent.disableScrollPropagation(heading);

  // ------------------------------------------------------------------------------------------
  // legend: colour scales, line styles per mode, what widths, outlines and grey mean

  var legend = el("div", "cx-legend"), ldetails = el("details");
  ldetails.open = !narrow;
  ldetails.appendChild(el("summary", null, "Legend"));
  legend.appendChild(ldetails);
  var svgNs = "http://www.w3.org/2000/svg";

  function svg(w, h) {
    var s = document.createElementNS(svgNs, "svg");
    s.setAttribute("width", String(w));
    s.setAttribute("height", String(h));
    return s;
  }

  function svgLine(s, attrs) {
    var line = document.createElementNS(svgNs, "line");
    Object.keys(attrs).forEach(function (a) { line.setAttribute(a, String(attrs[a])); });
    s.appendChild(line);
  }

  function sample(mode, stroke, width) {
    var style = modeStyle(mode), s = svg(40, 14), w = style.max ? Math.min(width, style.max) : width;
    var at = {x1: 3, y1: 7, x2: 37, y2: 7};
    if (style.casing) { svgLine(s, Object.assign({stroke: style.casing, "stroke-width": w + style.extra}, at)); }
    var main = Object.assign({stroke: stroke, "stroke-width": w, "stroke-linecap": style.cap || "butt"}, at);
    var dash = dashFor(style, w);
    if (dash) { main["stroke-dasharray"] = dash; }
    svgLine(s, main);
    if (style.centre) { svgLine(s, Object.assign({stroke: "#ffffff", "stroke-width": Math.max(1, w * style.centre)}, at)); }
    return s;
  }

  (data.legend.scales || []).forEach(function (scale) {
    var box = el("div", "cx-scale");
    box.appendChild(el("div", "cx-caption", scale.caption));
    var bar = el("div", "cx-bar");
    bar.style.background = "linear-gradient(to right, " + scale.stops.map(function (s) {
      return colour(s[1]) + " " + (Number(s[0]) * 100).toFixed(2) + "%";
    }).join(", ") + ")";
    box.appendChild(bar);
    var ticks = el("div", "cx-ticks");
    scale.ticks.forEach(function (t) {
      var tick = el("span", null, t[1]);
      tick.style.left = (Number(t[0]) * 100).toFixed(2) + "%";
      ticks.appendChild(tick);
    });
    box.appendChild(ticks);
    ldetails.appendChild(box);
  });

  var modes = el("table", "cx-modes");
  (data.legend.modes || []).forEach(function (m) {
    var tr = el("tr"), td = el("td");
    td.appendChild(sample(m[0], "#5fa3c7", 4));
    tr.appendChild(td);
    tr.appendChild(el("td", null, m[1]));
    tr.appendChild(el("td", "cx-muted", m[2]));
    modes.appendChild(tr);
  });
  var idle = el("tr"), idleTd = el("td");
  idleTd.appendChild(sample("rail", "#9a9a9a", 2));
  idle.appendChild(idleTd);
  idle.appendChild(el("td", null, "grey, faint"));
  idle.appendChild(el("td", "cx-muted", "not in service that year (start year in its facts)"));
  modes.appendChild(idle);
  var bn = el("tr"), bnTd = el("td");
  bnTd.appendChild(el("span", "cx-badge cx-sev-binding", "1"));
  bn.appendChild(bnTd);
  bn.appendChild(el("td", null, "bottleneck"));
  bn.appendChild(el("td", "cx-muted", "dark outline, numbered (panel)"));
  modes.appendChild(bn);
  ldetails.appendChild(modes);
  ldetails.appendChild(el("div", "cx-key", "Width: flow (widest = " + data.legend.widths + "; each unit scaled "
    + "separately); \u25b6 direction of flow. Click a line, a point or a badge for its facts and sources."));
  function foldable(box, det) {
    function sync() { box.classList.toggle("cx-closed", !det.open); }
    det.addEventListener("toggle", sync);
    sync();
  }
  foldable(legend, ldetails);
  var legendControl = L.control({position: "bottomleft"});
  legendControl.onAdd = function () { return legend; };
  legendControl.addTo(map);
  L.DomEvent.disableClickPropagation(legend);
  L.DomEvent.disableScrollPropagation(legend);

  // ------------------------------------------------------------------------------------------
  // the summary panel

  var panel = el("div", "cx-panel"), details = el("details");
  details.open = !narrow;
  details.appendChild(el("summary", null, data.panel.title));
  panel.appendChild(details);
  var body = el("div", "cx-body");
  details.appendChild(body);
  var shownSet = 0;

  function showSet(k) {
    shownSet = k;
    var keys = setKeys(k);
    order.forEach(function (key) {
      if (keys.indexOf(key) >= 0) { map.addLayer(persistent[key]); } else { map.removeLayer(persistent[key]); }
    });
    panel.querySelectorAll(".cx-switch button").forEach(function (b) {
      b.classList.toggle("cx-on", Number(b.dataset.set) === k);
    });
    nodesOnTop();
    placeLabels();
  }

  function zoomTo(b) {
    if (data.panel.switch && shownSet !== b.set) { showSet(b.set); }
    var size = map.getSize(), pw = panel.offsetWidth, lw = legend.offsetWidth;
    if (pw > size.x * 0.5) { details.open = false; pw = 0; }  // a phone: fold the panel away first
    map.closePopup();
    map.fitBounds(b.bounds, {maxZoom: 8, paddingTopLeft: [Math.min(lw, size.x * 0.3) + 30, 80],
      paddingBottomRight: [pw + 30, 40], animate: false});
    var marker = badgeIndex[(timeline ? current : b.set) + ":" + b.id];
    if (marker && map.hasLayer(marker)) { marker.openPopup(); }
  }

  function fillBlocks(blocks) {
    blocks.forEach(function (block) {
      var head = el("div", "cx-scn", block.title);
      head.appendChild(el("b", null, block.scenario));
      head.appendChild(document.createTextNode(" \u00b7 " + block.meta));
      body.appendChild(head);
      var totals = el("table", "cx-totals"), tr = el("tr");
      ["", "demand", "served", "unserved", ""].forEach(function (h) { tr.appendChild(el("th", null, h)); });
      totals.appendChild(tr);
      block.totals.forEach(function (t) {
        var row = el("tr");
        row.appendChild(el("th", null, t.commodity));
        row.appendChild(el("td", null, t.demand));
        row.appendChild(el("td", null, t.served));
        row.appendChild(el("td", t.short ? "cx-bad" : null, t.unserved));
        row.appendChild(el("td", null, t.unit));
        totals.appendChild(row);
      });
      body.appendChild(totals);
      body.appendChild(el("div", "cx-sub", "Bottlenecks (" + block.flagged + " flagged) \u2014 click to zoom"));
      if (!block.bottlenecks.length) {
        body.appendChild(el("p", "cx-none", "No bottlenecks: every asset is below the threshold."));
        return;
      }
      var list = el("ol", "cx-bns");
      block.bottlenecks.forEach(function (b) {
        var li = el("li"), button = el("button", "cx-bn");
        button.type = "button";
        button.dataset.set = String(b.set);
        button.appendChild(el("span", "cx-badge cx-sev-" + b.severity, b.rank));
        button.appendChild(el("span", "cx-bn-name", b.name));
        button.appendChild(el("span", "cx-bn-meta", b.meta));
        button.addEventListener("click", function () { zoomTo(b); });
        li.appendChild(button);
        list.appendChild(li);
      });
      body.appendChild(list);
      if (block.more) { body.appendChild(el("p", "cx-more", block.more + " more are numbered on the map.")); }
    });
  }

  if (data.panel.switch) {
    var sw = el("div", "cx-switch");
    sw.appendChild(document.createTextNode("Show: "));
    data.panel.switch.forEach(function (label, k) {
      var b = el("button", k === 0 ? "cx-on" : null, label);
      b.type = "button";
      b.dataset.set = String(k);
      b.addEventListener("click", function () { showSet(k); });
      sw.appendChild(b);
    });
    details.insertBefore(sw, body);
  }

  function showYear(k) {
    showFrame(k);
    body.textContent = "";
    fillBlocks([data.panel.blocks[k]]);
    if (timeline.first.length) {  // the whole period: when each bottleneck starts to bind
      var years = timeline.years;
      body.appendChild(el("div", "cx-sub", "When each starts to bind (" + years[0] + "\u2013" + years[years.length - 1] + ")"));
      var list = el("ul", "cx-first");
      timeline.first.forEach(function (f) {
        var li = el("li", f[1] <= years[k] ? "cx-now" : null);
        li.appendChild(el("b", null, String(f[1])));
        li.appendChild(document.createTextNode(" " + f[3] + (f[2] ? "" : " (near capacity)")));
        list.appendChild(li);
      });
      body.appendChild(list);
    }
    h1.textContent = data.heading.replace(/\s*\u00b7[^\u00b7]*$/, "") + " \u00b7 " + timeline.years[k];
    if (slider) { slider.value = String(k); yearOut.textContent = String(timeline.years[k]); }
  }

  var slider = null, yearOut = null;
  if (timeline) {
    var bar = el("div", "cx-timeline"), lab = el("label", null, "Year ");
    slider = el("input", "cx-slider");
    slider.type = "range";
    slider.min = "0";
    slider.max = String(timeline.years.length - 1);
    slider.step = "1";
    slider.value = String(timeline.start);
    slider.setAttribute("aria-label", "year");
    yearOut = el("output", "cx-year", timeline.years[timeline.start]);
    lab.appendChild(slider);
    bar.appendChild(lab);
    bar.appendChild(yearOut);
    heading.appendChild(bar);
    slider.addEventListener("input", function () { showYear(Number(slider.value)); });
    showYear(timeline.start);
  } else {
    fillBlocks(data.panel.blocks);
  }

  foldable(panel, details);
  var control = L.control({position: "bottomright"});
  control.onAdd = function () { return panel; };
  control.addTo(map);
  L.DomEvent.disableClickPropagation(panel);
  L.DomEvent.disableScrollPropagation(panel);
  nodesOnTop();

  // ------------------------------------------------------------------------------------------
  // the first view: the corridor's busy network (no animation, so that nothing clicked early is swallowed)

  function firstView() {
    var size = map.getSize();
    if (size.x < NARROW) {
      map.fitBounds(data.view, {padding: [6, 6], animate: false});
      if (map.getZoom() < 4) { map.setView(L.latLngBounds(data.view).getCenter(), 4, {animate: false}); }
    } else {
      // above the legend and the panel when there is room for it (the corridor is wide, not tall)
      var below = Math.max(legend.offsetHeight, panel.offsetHeight) + 20, top = heading.offsetHeight + 20;
      if (size.y - below - top < size.y * 0.4) { below = Math.round(below / 2); }
      map.fitBounds(data.view, {paddingTopLeft: [30, top], paddingBottomRight: [30, below], animate: false});
    }
  }

  // a short or narrow screen: fold the legend and the panel where they would reach the zoom or layer controls
  function keepControlsClear() {
    var keep = [map.zoomControl, layerControl].filter(Boolean).map(function (c) {
      return c.getContainer().getBoundingClientRect();
    });
    [[legend, ldetails], [panel, details]].forEach(function (pair) {
      if (!pair[1].open) { return; }
      var r = pair[0].getBoundingClientRect();
      if (keep.some(function (k) { return r.left < k.right && k.left < r.right && r.top < k.bottom && k.top < r.bottom; })) {
        pair[1].open = false;
      }
    });
  }

  keepControlsClear();
  map.on("resize", keepControlsClear);
  firstView();
  placeLabels();
  map.cx = {showYear: timeline ? showYear : null, showSet: showSet, placeLabels: placeLabels, labels: labels,
    badges: badgeIndex};
  return map;
}
