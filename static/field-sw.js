// 我的网格的 service worker（作用范围 /field/）：保存页面及其脚本、样式、字体与图标，
// 使页面在没有网络时也能打开。页面优先从网络取（取到即更新所存的一份），取不到时用所存的；
// 静态文件优先用所存的。上报与跟进（POST）从不经过这里：它们由页面的发件箱保存和重发。
'use strict';

var CACHE = 'gridmap-field-v1';
var PAGE = '/field/';

self.addEventListener('install', function () { self.skipWaiting(); });

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf('gridmap-field-') === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('message', function (event) {
  var data = event.data || {};
  if (data.type === 'keep') {
    // The assets the page loaded before this worker could see them.
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      return Promise.all((data.urls || []).filter(sameOrigin).map(function (url) {
        return cache.match(url).then(function (hit) {
          return hit || fetch(url, {credentials: 'same-origin'}).then(function (r) {
            return r.ok && !r.redirected ? cache.put(url, r) : null;
          }).catch(function () { return null; });
        });
      }));
    }));
  } else if (data.type === 'forget') {
    event.waitUntil(caches.delete(CACHE));
  }
});

function sameOrigin(url) {
  return new URL(url, self.location.href).origin === self.location.origin;
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET' || !sameOrigin(request.url)) { return; }
  var url = new URL(request.url);
  if (request.mode === 'navigate' && url.pathname === PAGE) {
    event.respondWith(networkFirst(request, PAGE));
  } else if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(cacheFirst(request));
  } else if (/^\/api\/incidents(\/\d+)?$/.test(url.pathname)) {
    // The last list and the cases opened are shown again when there is no network.
    event.respondWith(networkFirst(request, url.pathname + url.search));
  }
});

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }, function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (hit) {
      return hit || new Response(JSON.stringify({error: 'offline', message: '网络不可用，本机也没有保存的内容。'}),
                                 {status: 503, headers: {'Content-Type': 'application/json; charset=utf-8'}});
    });
  });
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
}
