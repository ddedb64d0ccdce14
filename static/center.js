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
