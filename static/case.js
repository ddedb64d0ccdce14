// 案件页的小地图：事发网格的边界（实线）、网格调整后现负责网格的边界（虚线）与事发位置。
// 数据取自页面内的 JSON（#gm-case-place）；网格名称以 textContent 放入提示框，不作为标记解析。
(function () {
  'use strict';
  var data = document.getElementById('gm-case-place');
  var map = window.gmMap;
  if (!data || !map) { return; }
  var place = JSON.parse(data.textContent);

  function label(text) {
    var span = document.createElement('span');
    span.textContent = text;
    return span;
  }

  var drawn = [];
  function outline(geometry, name, style) {
    if (!geometry) { return; }
    var layer = L.geoJSON(geometry, {style: function () { return style; }, interactive: true});
    layer.bindTooltip(label(name), {sticky: true});
    layer.addTo(map);
    drawn.push(layer);
  }
  outline(place.grid, '事发网格：' + place.grid_name,
          {color: '#8b1a1a', weight: 2, fillColor: '#8b1a1a', fillOpacity: 0.08, className: 'gm-case-grid'});
  outline(place.handler_grid, '现负责网格：' + place.handler_grid_name,
          {color: '#1f77b4', weight: 2, dashArray: '6 4', fill: false, className: 'gm-case-handler-grid'});

  var point = L.circleMarker([place.lat, place.lon], {radius: 7, color: '#fff', weight: 2,
                                                      fillColor: '#c62828', fillOpacity: 1,
                                                      className: 'gm-case-point'});
  point.bindTooltip(label('事发位置'));
  point.addTo(map);

  var bounds = L.featureGroup(drawn.concat([point])).getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds, {padding: [16, 16], maxZoom: 17}); }
  window.gmCaseMap = {grid: drawn[0], point: point};
})();
