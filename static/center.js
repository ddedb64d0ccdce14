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
