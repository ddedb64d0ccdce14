// 规划编辑器的地图操作：按网格着色的单元、涂色（点击或按住拖过，如 Districtr）、
// 拖动顶点重画边界（吸附到相邻单元的边上）、画线分割单元、问题以红色标出。
(function () {
  'use strict';
  var P = window.gmPlanner, map = window.gmMap;
  var SNAP_PX = 12;
  var mode = 'paint', stroke = false, unitsLayer = null, problemLayer = null, edgeLayer = null;
  var handles = [], selected = null, cutLine = [], cutShape = null;

  P.drawEdge = function (geometry) {
    edgeLayer = L.geoJSON(geometry, {
      style: {color: '#333333', weight: 3, fill: false, dashArray: '6 4'}, interactive: false
    }).addTo(map);
  };

  // A unit's tooltip, as a node holding text: Leaflet puts a string tooltip in as HTML, and
  // unit names are typed by planners (and reach every later plan once published).
  function label(p) {
    return P.el('span', p.name + '（' + p.households + ' 户）· ' + p.grid);
  }

  P.drawUnits = function (fit) {
    if (unitsLayer) { map.removeLayer(unitsLayer); }
    unitsLayer = L.geoJSON(P.state.units, {
      style: function (f) {
        return {color: '#ffffff', weight: 1.5, fillColor: P.colour(f.properties.grid),
                fillOpacity: 0.6, className: 'gm-unit gm-unit-' + f.properties.code};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(label(p), {sticky: true});
        layer.on('mousedown', function (e) { onDown(f, e); });
        layer.on('mouseover', function () { if (stroke) { paint(f); } });
        layer.on('click', function (e) { onClick(f, layer, e); });
      }
    }).addTo(map);
    if (fit) { map.fitBounds(unitsLayer.getBounds()); }
    if (selected && mode === 'edit') { showHandles(selected); }
    if (problemLayer) { problemLayer.bringToFront(); }
  };

  function feature(code) {
    return P.state.units.features.filter(function (f) { return f.properties.code === code; })[0];
  }

  var stepped = false;
  function paint(f) {
    if (!P.current || f.properties.grid === P.current) { return; }
    if (!stepped) { P.step(); stepped = true; }  // one undo step per stroke, if it changed
    f.properties.grid = P.current;
    unitsLayer.eachLayer(function (l) {
      if (l.feature.properties.code === f.properties.code) {
        l.setStyle({fillColor: P.colour(P.current)});
        l.setTooltipContent(label(f.properties));
      }
    });
  }

  function onDown(f, e) {
    if (mode !== 'paint' || !P.setup.editable) { return; }
    L.DomEvent.stop(e);
    map.dragging.disable();
    stroke = true;
    stepped = false;
    paint(f);
  }
  document.addEventListener('mouseup', function () {
    if (!stroke) { return; }
    stroke = false;
    map.dragging.enable();
    if (stepped) { P.refresh(); }
  });

  function onClick(f, layer, e) {
    if (!P.setup.editable) { return; }
    if (mode === 'edit') {
      L.DomEvent.stop(e);
      selected = f.properties.code;
      showHandles(selected);
      P.say('拖动顶点重画「' + f.properties.name + '」的边界；靠近相邻单元的边时会吸附上去。');
    } else if (mode === 'cut') {
      if (!selected) {  // once a unit is chosen, clicks on its neighbours draw the line
        L.DomEvent.stop(e);
        selected = f.properties.code;
        cutLine = [];
        drawCut();
        document.getElementById('gm-cut-box').hidden = false;
        document.getElementById('gm-cut-households').max = f.properties.households;
        P.say('点出分割线：从「' + f.properties.name + '」一侧边界外点到另一侧边界外' +
              '（可点在相邻单元上），填分割线左侧（沿画线方向）部分的户数，再点「完成分割」。');
      }
    }
  }

  map.on('click', function (e) {
    if (mode !== 'cut' || !selected) { return; }
    cutLine.push([e.latlng.lng, e.latlng.lat]);
    drawCut();
  });

  function drawCut() {
    if (cutShape) { map.removeLayer(cutShape); }
    cutShape = L.polyline(cutLine.map(function (c) { return [c[1], c[0]]; }),
                          {color: '#000000', weight: 2, dashArray: '4 4'}).addTo(map);
  }

  P.finishCut = function () {
    var typed = document.getElementById('gm-cut-households').value.trim();
    if (typed === '') { P.fail('请填写分割线左侧部分的户数'); return; }
    if (cutLine.length < 2) { P.fail('请至少点出两个点作为分割线'); return; }
    var households = Number(typed);
    var body = P.content();
    body.unit = selected;
    body.line = cutLine;
    body.households = households;
    P.api('/cut', body).then(function (answer) {
      if (answer.status !== 200) { P.fail(answer.body.message); return; }
      P.fail('');
      var parent = selected;
      P.change(function () {
        var rest = P.state.units.features.filter(function (f) {
          return f.properties.code !== parent;
        });
        rest.forEach(function (f) {  // neighbours take the cut's new corners on their edges
          var shape = answer.body.neighbours[f.properties.code];
          if (shape) { f.geometry = shape; P.edited[f.properties.code] = true; }
        });
        answer.body.parts.forEach(function (part) {
          var props = {code: part.code, name: part.name, kind: part.kind,
                       households: part.households, population: part.population,
                       grid: part.grid_code, cut_from: part.split_from};
          rest.push({type: 'Feature', geometry: part.geometry, properties: props});
          P.edited[part.code] = true;
        });
        P.state.units.features = rest;
      });
      P.say('已分割为 ' + answer.body.parts.map(function (p) {
        return p.name + ' ' + p.households + ' 户';
      }).join('、') + '。');
      endCut();
    });
  };

  function endCut() {
    selected = null;
    cutLine = [];
    if (cutShape) { map.removeLayer(cutShape); cutShape = null; }
    document.getElementById('gm-cut-box').hidden = true;
  }

  // 顶点：每个环的每个点一个可拖动的把手（首尾同一点）。
  function showHandles(code) {
    clearHandles();
    var f = feature(code);
    if (!f) { return; }
    rings(f.geometry).forEach(function (ring) {
      for (var i = 0; i < ring.length - 1; i++) { handles.push(handle(f, ring, i)); }
    });
  }

  function rings(geometry) {
    var polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    var out = [];
    polygons.forEach(function (p) { p.forEach(function (r) { out.push(r); }); });
    return out;
  }

  function handle(f, ring, i) {
    var icon = L.divIcon({className: 'gm-vertex', iconSize: [12, 12]});
    var m = L.marker([ring[i][1], ring[i][0]], {draggable: true, icon: icon}).addTo(map);
    var shared = [];
    m.on('dragstart', function () {
      P.step();
      shared = document.getElementById('gm-topology').checked ? coincident(ring[i], f) : [];
    });
    m.on('dragend', function () {
      var at = shared.length ? m.getLatLng() : snap(m.getLatLng(), f.properties.code);
      m.setLatLng(at);
      ring[i] = [at.lng, at.lat];
      if (i === 0) { ring[ring.length - 1] = [at.lng, at.lat]; }
      P.edited[f.properties.code] = true;
      shared.forEach(function (s) {  // the neighbours' copy of a shared vertex moves with it
        s.ring[s.i] = [at.lng, at.lat];
        P.edited[s.code] = true;
      });
      P.refresh();
    });
    return m;
  }

  // The same vertex in the neighbours' rings (a shared corner or a point of a shared edge).
  function coincident(point, own) {
    var out = [];
    P.state.units.features.forEach(function (f) {
      if (f === own) { return; }
      rings(f.geometry).forEach(function (ring) {
        ring.forEach(function (c, j) {
          if (c[0] === point[0] && c[1] === point[1]) { out.push({ring: ring, i: j, code: f.properties.code}); }
        });
      });
    });
    return out;
  }

  function clearHandles() {
    handles.forEach(function (h) { map.removeLayer(h); });
    handles = [];
  }

  // The nearest point of a neighbour's edge (or vertex) within SNAP_PX pixels, else as dropped.
  function snap(latlng, own) {
    var p = map.latLngToLayerPoint(latlng), best = null, bestD = SNAP_PX;
    P.state.units.features.forEach(function (f) {
      if (f.properties.code === own) { return; }
      rings(f.geometry).forEach(function (ring) {
        for (var i = 0; i < ring.length - 1; i++) {
          var a = map.latLngToLayerPoint([ring[i][1], ring[i][0]]);
          var b = map.latLngToLayerPoint([ring[i + 1][1], ring[i + 1][0]]);
          var q = L.LineUtil.closestPointOnSegment(p, a, b);
          var d = q.distanceTo(p);
          if (a.distanceTo(p) < SNAP_PX) { q = a; d = a.distanceTo(p) - 0.01; }
          if (d < bestD) { bestD = d; best = q; }
        }
      });
    });
    return best ? map.layerPointToLatLng(best) : latlng;
  }

  P.drawProblems = function () {
    if (problemLayer) { map.removeLayer(problemLayer); }
    problemLayer = L.featureGroup().addTo(map);
    var red = {color: '#d00000', weight: 4, fillColor: '#d00000', fillOpacity: 0.25,
               className: 'gm-problem-shape'};
    P.problems.forEach(function (p) {
      if (p.geometry) { L.geoJSON(p.geometry, {style: red, interactive: false}).addTo(problemLayer); }
      (p.units || []).forEach(function (code) {
        var f = feature(code);
        if (f) {
          L.geoJSON(f.geometry, {style: {color: '#d00000', weight: 3, fill: false,
                                          className: 'gm-problem-shape'},
                                  interactive: false}).addTo(problemLayer);
        }
      });
    });
  };

  P.zoomTo = function (problem) {
    var group = L.featureGroup();
    if (problem.geometry) { group.addLayer(L.geoJSON(problem.geometry)); }
    (problem.units || []).forEach(function (code) {
      var f = feature(code);
      if (f) { group.addLayer(L.geoJSON(f.geometry)); }
    });
    if (problem.grid) {
      P.state.units.features.forEach(function (f) {
        if (f.properties.grid === problem.grid) { group.addLayer(L.geoJSON(f.geometry)); }
      });
    }
    if (group.getLayers().length) { map.fitBounds(group.getBounds(), {maxZoom: 17, padding: [30, 30]}); }
  };

  function setMode(next) {
    mode = next;
    clearHandles();
    endCut();
    document.querySelectorAll('[data-mode]').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
    });
    P.say({paint: '涂色：先在左侧选一个网格，再点击或按住拖过单元。',
           edit: '编辑边界：点击一个单元，拖动它的顶点。',
           cut: '分割单元：点击要分割的单元。'}[mode]);
  }

  document.querySelectorAll('[data-mode]').forEach(function (b) {
    b.addEventListener('click', function () { setMode(b.dataset.mode); });
  });
  document.getElementById('gm-cut-done').addEventListener('click', P.finishCut);
  document.getElementById('gm-cut-cancel').addEventListener('click', endCut);
  P.start();
})();
