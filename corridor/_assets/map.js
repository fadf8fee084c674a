/* corridor map: draws the features, the panel and the layer control from the page's JSON data.
 *
 * The data come from other people's geodata and scenarios. They are read from a
 * <script type="application/json"> element with JSON.parse and reach the page only through
 * textContent (or Leaflet's layer control, after escaping): never as HTML, never as script.
 * A source becomes a link only when it is an http(s) URL.
 */
"use strict";

function corridorDraw(map, dataId) {
  var data = JSON.parse(document.getElementById(dataId).textContent);

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
    return box;
  }

  function bindFacts(layer, item) {
    layer.cxItem = item;
    layer.bindTooltip(function () { return facts(item.info); }, {sticky: true});
    layer.bindPopup(function () { return facts(item.info, item.more); }, {maxWidth: 440});
  }

  function edgeLayer(group, item) {
    if (item.casing) {
      L.polyline(item.ll, {color: "#1a1a1a", weight: item.weight + 6, opacity: 0.85, className: "cx-casing",
        interactive: false}).addTo(group);
    }
    var line = L.polyline(item.ll, {color: item.color, weight: item.weight, opacity: item.opacity,
      dashArray: item.dash, className: item.cls});
    bindFacts(line, item);
    line.addTo(group);
    if (item.year) {
      line.setText(item.year, {center: true, offset: -5,
        attributes: {fill: "#444", "font-size": "11", "font-weight": "bold", "class": "cx-year"}});
    } else if (item.arrow) {
      line.setText("\u2002\u2002\u25b6\u2002\u2002\u2002\u2002", {repeat: true,
        offset: Math.round(item.arrow * 3.6) / 10,
        attributes: {fill: "#1c1c1c", "font-size": String(item.arrow), "class": "cx-arrow"}});
    }
  }

  function nodeLayer(group, item) {
    var marker = L.circleMarker(item.ll, {radius: item.radius, color: item.color, weight: item.weight,
      opacity: item.opacity, fill: true, fillColor: item.fill, fillOpacity: item.fillOpacity,
      dashArray: item.dash, className: item.cls});
    bindFacts(marker, item);
    marker.addTo(group);
  }

  function badgeLayer(group, item) {
    var badge = el("div", "cx-badge cx-sev-" + item.severity, item.rank);
    var icon = L.divIcon({html: badge, iconSize: [22, 22], iconAnchor: [11, 11], className: "cx-badge-icon"});
    var marker = L.marker(item.ll, {icon: icon});
    bindFacts(marker, item);
    marker.addTo(group);
  }

  function layerLabel(name) {
    var text = escapeHtml(name.text);
    return name.prefix ? "<span class='cx-layer-set'>" + escapeHtml(name.prefix) + "</span> " + text : text;
  }

  // base layers
  var base = {};
  var land = L.geoJSON(data.basemap.features, {
    interactive: false,
    style: function (f) {
      return f.properties.land
        ? {fillColor: data.basemap.land, fillOpacity: 1, color: data.basemap.border, weight: 0.7}
        : {fillColor: data.basemap.sea, fillOpacity: 1, stroke: false};
    },
  }).addTo(map);
  base[escapeHtml(data.basemap.name)] = land;
  if (data.tiles) {
    base[escapeHtml(data.tiles.name)] = L.tileLayer(data.tiles.url, {attribution: escapeHtml(data.tiles.attribution)});
  }

  // one set of layers per scenario (and one for the change between them)
  var overlays = {}, sets = [], nodeLayers = [];
  data.sets.forEach(function (layers, k) {
    var groups = [];
    layers.forEach(function (spec) {
      var group = L.featureGroup();
      (spec.edges || []).forEach(function (item) { edgeLayer(group, item); });
      (spec.nodes || []).forEach(function (item) { nodeLayer(group, item); });
      (spec.badges || []).forEach(function (item) { badgeLayer(group, item); });
      if (spec.nodes) { nodeLayers.push(group); }
      if (k === 0) { group.addTo(map); }
      overlays[layerLabel(spec.name)] = group;
      groups.push(group);
    });
    sets.push(groups);
  });
  L.control.layers(base, overlays, {collapsed: true, position: "topright"}).addTo(map);

  function nodesOnTop() {
    nodeLayers.forEach(function (l) { if (map.hasLayer(l)) { l.bringToFront(); } });
  }
  map.on("overlayadd", nodesOnTop);

  // the summary panel
  var panel = el("div", "cx-panel"), details = el("details");
  details.open = true;
  details.appendChild(el("summary", null, data.panel.title));
  panel.appendChild(details);

  function showSet(k) {
    sets.forEach(function (layers, i) {
      layers.forEach(function (l) { if (i === k) { map.addLayer(l); } else { map.removeLayer(l); } });
    });
    details.querySelectorAll(".cx-switch button").forEach(function (b) {
      b.classList.toggle("cx-on", Number(b.dataset.set) === k);
    });
    nodesOnTop();
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
    details.appendChild(sw);
  }

  data.panel.blocks.forEach(function (block) {
    var head = el("div", "cx-scn", block.title);
    head.appendChild(el("b", null, block.scenario));
    head.appendChild(document.createTextNode(" · " + block.meta));
    details.appendChild(head);
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
    details.appendChild(totals);
    details.appendChild(el("div", "cx-sub", "Bottlenecks (" + block.flagged + " flagged) — click to zoom"));
    if (!block.bottlenecks.length) {
      details.appendChild(el("p", "cx-none", "No bottlenecks: every asset is below the threshold."));
    } else {
      var list = el("ol", "cx-bns");
      block.bottlenecks.forEach(function (b) {
        var li = el("li"), button = el("button", "cx-bn");
        button.type = "button";
        button.dataset.set = String(b.set);
        button.appendChild(el("span", "cx-badge cx-sev-" + b.severity, b.rank));
        button.appendChild(el("span", "cx-bn-name", b.name));
        button.appendChild(el("span", "cx-bn-meta", b.meta));
        button.addEventListener("click", function () {
          if (sets.length > 1 && !sets[b.set].some(function (l) { return map.hasLayer(l); })) { showSet(b.set); }
          map.fitBounds(b.bounds, {maxZoom: 8, padding: [60, 60]});
        });
        li.appendChild(button);
        list.appendChild(li);
      });
      details.appendChild(list);
      if (block.more) { details.appendChild(el("p", "cx-more", block.more + " more are numbered on the map.")); }
    }
  });

  var key = el("div", "cx-key");
  var svgNs = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(svgNs, "svg"), dash = document.createElementNS(svgNs, "line");
  svg.setAttribute("width", "34");
  svg.setAttribute("height", "8");
  [["x1", "0"], ["y1", "4"], ["x2", "34"], ["y2", "4"], ["stroke", "#8a8a8a"], ["stroke-width", "2"],
    ["stroke-dasharray", "7 6"]].forEach(function (a) { dash.setAttribute(a[0], a[1]); });
  svg.appendChild(dash);
  key.appendChild(svg);
  key.appendChild(document.createTextNode(data.panel.key));
  details.appendChild(key);

  var control = L.control({position: "bottomright"});
  control.onAdd = function () { return panel; };
  control.addTo(map);
  L.DomEvent.disableClickPropagation(panel);
  L.DomEvent.disableScrollPropagation(panel);
  nodesOnTop();
  // the first view: no animation, so that nothing the user clicks early is swallowed by it
  map.fitBounds(data.bounds, {paddingTopLeft: [20, 70], paddingBottomRight: [20, 40], animate: false});
  return map;
}
