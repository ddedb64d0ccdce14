// 我的网格：页签、网络状态、案件列表（按紧急程度）与地图上的案件标注、按地址 #case=编号
// 打开案件；注册 service worker，使页面在没有网络时也能打开；申请持久存储，使发件箱不被清理。
(function () {
  'use strict';
  var F = window.gmField;
  var COLOURS = {green: '#2e7d32', yellow: '#f9a825', red: '#c62828'};
  var tabs = ['cases', 'report', 'outbox', 'todo', 'case'];
  var shown = 'cases';

  F.tab = function () { return shown; };
  F.show = function (name) {
    shown = name;
    tabs.forEach(function (t) {
      document.getElementById('gm-tab-' + t).hidden = t !== name;
    });
    document.querySelectorAll('.gm-tabs [data-tab]').forEach(function (b) {
      b.setAttribute('aria-selected', b.dataset.tab === name ? 'true' : 'false');
    });
    if (name !== 'case' && location.hash.indexOf('#case=') === 0) {
      history.replaceState(null, '', location.pathname);
    }
  };
  document.querySelectorAll('[data-tab]').forEach(function (b) {
    b.addEventListener('click', function () { F.show(b.dataset.tab); });
  });

  // --- network --------------------------------------------------------------------------

  function network() {
    var p = document.getElementById('gm-net');
    p.textContent = navigator.onLine ? '' : '离线：上报先保存在本机，联网后自动发送。';
    p.className = 'gm-net' + (navigator.onLine ? '' : ' gm-offline');
  }
  window.addEventListener('online', network);
  window.addEventListener('offline', network);

  // --- the open cases, most urgent first ------------------------------------------------

  var markers = L.layerGroup().addTo(F.map);
  var next = null;

  F.reloadCases = function () {
    markers.clearLayers();
    F.clear(document.getElementById('gm-cases'));
    return load('/api/incidents?state=open&sort=urgency&limit=50');
  };

  function load(url) {
    var note = document.getElementById('gm-cases-note');
    return F.api('GET', url).then(function (answer) {
      if (answer.status !== 200) { note.textContent = F.reason(answer); return; }
      note.textContent = answer.body.items.length || next ? '' : '您的网格目前没有在办案件。';
      answer.body.items.forEach(add);
      next = answer.body.next;
      document.getElementById('gm-cases-more').hidden = !next;
      var count = document.querySelectorAll('#gm-cases > li').length;
      document.getElementById('gm-count-cases').textContent = '(' + count + (next ? '+' : '') + ')';
    }, function () {
      note.textContent = '网络不可用：暂时无法加载案件列表。';
    });
  }
  document.getElementById('gm-cases-more').addEventListener('click', function () {
    if (next) { load(next); }
  });

  function add(it) {
    var open = function () { F.openCase(it.id); };
    var li = F.el('li', {'class': 'gm-card gm-case-card', dataset: {id: it.id}, tabindex: 0,
                         on: {click: open, keydown: function (e) { if (e.key === 'Enter') { open(); } }}}, [
      F.el('span', {'class': 'gm-dot gm-dot-' + (it.light || 'none')}),
      F.el('div', {'class': 'gm-card-title'}, it.title || '（无标题）'),
      F.el('div', {'class': 'gm-hint'}, it.kind_name + (it.category_name ? ' · ' + it.category_name : '') +
           ' · ' + it.status_name + ' · ' + (it.grid_name || it.grid_code)),
      F.el('div', {'class': 'gm-days'}, it.due_at ? '期限 ' + F.dueDay(it.due_at) + '，' + F.daysText(it.days_left) : '无期限')
    ]);
    document.getElementById('gm-cases').appendChild(li);
    // A tap on a case's dot opens the case; it does not also drop a pin there.
    var dot = L.circleMarker([it.lat, it.lon], {radius: 9, weight: 2, color: '#fff', fillOpacity: 0.9,
                                                fillColor: COLOURS[it.light] || '#757575',
                                                bubblingMouseEvents: false});
    dot.bindTooltip(F.el('span', {}, it.title || it.kind_name));
    dot.on('click', open);
    markers.addLayer(dot);
  }

  // --- the address names the open case (#case=12), so that a link or a reload reopens it ----

  function route() {
    var m = /^#case=(\d+)$/.exec(location.hash);
    if (m) { F.openCase(Number(m[1])); }
  }
  window.addEventListener('hashchange', route);

  // --- offline ---------------------------------------------------------------------------

  // Once the worker runs, give it every asset this page loaded (it cannot have seen the first
  // load), so that the next opening works with no network.
  function offline() {
    if (!('serviceWorker' in navigator)) { return; }
    navigator.serviceWorker.register('/field/sw.js', {scope: '/field/'}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var urls = performance.getEntriesByType('resource').map(function (e) { return e.name; })
        .filter(function (u) { return u.indexOf(location.origin + '/static/') === 0; });
      urls.push(location.origin + '/field/');
      reg.active.postMessage({type: 'keep', urls: urls});
    }).catch(function (e) { console.warn('gridmap service worker', e); });
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().then(function (granted) { F.persistent = granted; });
    }
  }

  // Signing out forgets the page kept for offline use (it shows this person's grids); the
  // outbox stays, and is sent when the same person signs in again.
  document.querySelectorAll('form[action$="/signout"]').forEach(function (form) {
    form.addEventListener('submit', function () {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({type: 'forget'});
      }
    });
  });

  network();
  F.outbox.render();
  F.reloadCases().then(function () { return F.outbox.flush(); });
  F.reloadTodo();
  route();
  offline();
  window.gmFieldReady = true;
})();
