// 综治中心页面：点击热点表中的一行，地图缩放到该网格。
(function () {
  var rows = document.querySelectorAll('#gm-hotspots tbody tr[data-bounds]');
  rows.forEach(function (row) {
    function zoom() {
      var b = JSON.parse(row.getAttribute('data-bounds'));
      window.gmMap.fitBounds([[b[1], b[0]], [b[3], b[2]]], {maxZoom: 16});
      rows.forEach(function (r) { r.classList.remove('gm-selected'); });
      row.classList.add('gm-selected');
    }
    row.addEventListener('click', zoom);
    row.addEventListener('keydown', function (e) { if (e.key === 'Enter') { zoom(); } });
  });
})();

// 选择片区后，村（社区）列表只列出该片区的村（社区）；已选的村若不在其中则清空。
(function () {
  var area = document.querySelector('select[name=package_area]');
  var village = document.querySelector('select[name=village]');
  if (!area || !village) { return; }
  function narrow() {
    var chosen = area.value;
    Array.prototype.forEach.call(village.options, function (o) {
      var pa = o.getAttribute('data-package-area');
      var fits = !chosen || !pa || pa === chosen;
      o.hidden = !fits;
      o.disabled = !fits;
      if (!fits && o.selected) { village.value = ''; }
    });
  }
  area.addEventListener('change', narrow);
  narrow();
})();

// 从案件页回到地图（/center/?focus=案件编号）：地图在该案件处打开，圈出它并打开其弹窗，
// 弹窗链接回案件页。文字一律以 textContent 放入。
(function () {
  var data = document.getElementById('gm-focus');
  if (!data || !window.gmMap) { return; }
  var f = JSON.parse(data.textContent);
  function line(tag, text, attrs) {
    var node = document.createElement(tag);
    node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  var box = document.createElement('div');
  box.className = 'gm-focus-popup';
  box.appendChild(line('a', '案件 ' + f.id + ' · ' + f.kind_name, {href: f.url, id: 'gm-focus-link'}));
  box.appendChild(line('div', f.title || '（无标题）'));
  box.appendChild(line('div', f.status_name + (f.deadline ? ' · 期限 ' + f.deadline : ''), {'class': 'gm-hint'}));
  window.gmMap.setView([f.lat, f.lon], 17, {animate: false});
  var ring = L.circleMarker([f.lat, f.lon], {radius: 16, color: '#8b1a1a', weight: 3, fill: false,
                                             className: 'gm-focus'});
  ring.addTo(window.gmMap).bindPopup(box, {maxWidth: 300}).openPopup();
  window.gmFocus = ring;
})();

// 手机上：筛选条件收在地图上方的按钮里，点一下展开，再点一下收起。
(function () {
  var box = document.getElementById('gm-filters');
  var toggle = document.getElementById('gm-filter-toggle');
  if (!box || !toggle) { return; }
  toggle.addEventListener('click', function () {
    var open = box.classList.toggle('gm-open');
    toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
})();
