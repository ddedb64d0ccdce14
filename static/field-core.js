// 我的网格（手机页）的公共部分：设置、建元素（文字一律以 textContent 放入）、时间格式、
// 调用 JSON 接口（带 CSRF 令牌）、期限与信号灯的说法。其余脚本都挂在 window.gmField 上。
(function () {
  'use strict';
  var F = window.gmField = {};
  F.setup = JSON.parse(document.getElementById('gm-field-setup').textContent);
  F.map = window.gmMap;

  // An element with attributes and children; strings become text nodes, never markup.
  F.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === 'on') {
        Object.keys(v).forEach(function (ev) { node.addEventListener(ev, v[ev]); });
      } else if (k === 'dataset') {
        Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
      } else {
        node.setAttribute(k, v === true ? '' : String(v));
      }
    });
    [].concat(children === undefined ? [] : children).forEach(function (c) {
      if (c === null || c === undefined || c === false) { return; }
      node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return node;
  };

  F.clear = function (node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    return node;
  };

  // Beijing time, as every page of the street shows it: 2026-11-20 09:05.
  var parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
  });
  F.time = function (value) {
    if (!value) { return ''; }
    var p = {};
    parts.formatToParts(new Date(value)).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
  };
  // A deadline as every page writes it (gridmap.core.clock.deadline_words): a period's last
  // day ends at 24:00 and is stored as the next day's 00:00, so it reads 2026-11-16 24:00 前;
  // a deadline at another moment keeps its minute (2026-11-16 15:30 前).
  var DAY = 86400000, BEIJING = 8 * 3600000;  // UTC+8 all year
  F.dueDay = function (value) {
    if (!value) { return ''; }
    var t = new Date(value).getTime();
    if ((t + BEIJING) % DAY === 0) { return F.time(new Date(t - 1)).slice(0, 10) + ' 24:00 前'; }
    return F.time(value) + ' 前';
  };

  F.LIGHTS = {green: '按期', yellow: '临近期限', red: '已超期'};
  F.daysText = function (daysLeft) {
    if (daysLeft === null || daysLeft === undefined) { return ''; }
    if (daysLeft < 0) { return '超期 ' + (-daysLeft) + ' 天'; }
    return daysLeft === 0 ? '今天到期' : '剩 ' + daysLeft + ' 天';
  };
  F.light = function (light, daysLeft) {
    if (!light) { return null; }
    return F.el('span', {'class': 'gm-light gm-light-' + light},
                F.LIGHTS[light] + (daysLeft === null || daysLeft === undefined ? ''
                                   : '（' + F.daysText(daysLeft) + '）'));
  };

  // A fresh token for each round of writes: a page opened from the cache may hold a stale one.
  var token = null;
  F.csrf = function () {
    return fetch('/field/csrf', {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) {
        if (r.status === 401) { throw F.failure(401, '登录已过期：请重新登录。'); }
        if (!r.ok) { throw F.failure(r.status, '无法取得提交令牌（状态 ' + r.status + '）。'); }
        return r.json();
      })
      .then(function (body) { token = body.csrf; return token; });
  };

  F.failure = function (status, message) {
    var e = new Error(message);
    e.status = status;
    return e;
  };

  // A JSON API call. Resolves with {status, body}; rejects with status 0 when there is no
  // network (or the server cannot be reached), so that callers can keep what they hold. A
  // write refused for a stale CSRF token is tried once more with a fresh one.
  F.api = function (method, url, body, retried) {
    var write = method !== 'GET';
    var ready = write ? (token ? Promise.resolve(token) : F.csrf()) : Promise.resolve();
    return ready.then(function () {
      var headers = {'Accept': 'application/json'};
      var init = {method: method, credentials: 'same-origin', headers: headers};
      if (write) { headers['X-CSRFToken'] = token; }
      if (body instanceof FormData) {
        init.body = body;
      } else if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      return fetch(url, init).catch(function () { throw F.failure(0, '网络不可用'); });
    }, function (e) {
      throw e.status ? e : F.failure(0, '网络不可用');
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        if (write && r.status === 400 && json.error === 'csrf' && !retried) {
          token = null;
          return F.api(method, url, body, true);
        }
        return {status: r.status, body: json};
      });
    });
  };

  // The message of an answer that is not a success, in words for the member.
  F.reason = function (answer) {
    if (answer.body && answer.body.message) { return answer.body.message; }
    return '服务器答复状态 ' + answer.status;
  };

  F.uuid = function () {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return h.slice(0, 4).join('') + '-' + h.slice(4, 6).join('') + '-' + h.slice(6, 8).join('') +
      '-' + h.slice(8, 10).join('') + '-' + h.slice(10).join('');
  };

  // The people who answer for a place, each with a phone to tap (tel:).
  F.people = function (people) {
    return F.el('ul', {'class': 'gm-people'}, (people || []).map(function (p) {
      var phone = p.phone ? F.el('a', {'class': 'gm-call', href: 'tel:' + p.phone.replace(/[^0-9+]/g, '')},
                                 '拨打 ' + p.phone) : F.el('span', {'class': 'gm-hint'}, '（无电话）');
      return F.el('li', {}, [F.el('b', {}, p.role_name + '：'), p.name,
                             p.title ? '（' + p.title + '）' : '', ' ', phone]);
    }));
  };
})();
