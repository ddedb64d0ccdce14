// 上报发件箱：每条上报先存在本机（IndexedDB），服务器确认后才标为「已发送」。
// 联网恢复（online）、页面重新显示（visibilitychange）、打开页面时和每隔 30 秒自动重发；
// 不依赖 Background Sync（只有 Chromium 系浏览器才有）。每条上报带手机生成的 client_id：
// 服务器对同一编号只保存一次，重发得到同一个答复，所以重发永远不会多出一条事件。
(function () {
  'use strict';
  var F = window.gmField;
  var NAME = 'gridmap-field', STORE = 'outbox', KEEP_SENT_DAYS = 7;
  var opened = null;

  function open() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var req = indexedDB.open(NAME, 1);
        req.onupgradeneeded = function () {
          var store = req.result.createObjectStore(STORE, {keyPath: 'client_id'});
          store.createIndex('user', 'user');
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return opened;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), result;
        var req = work(t.objectStore(STORE));
        req.onsuccess = function () { result = req.result; };
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  var box = F.outbox = {
    put: function (rec) { return run('readwrite', function (s) { return s.put(rec); }); },
    remove: function (id) { return run('readwrite', function (s) { return s.delete(id); }); },
    // This person's reports only: a shared phone keeps each person's apart.
    all: function () {
      return run('readonly', function (s) { return s.index('user').getAll(F.setup.user); })
        .then(function (rows) { return rows.sort(function (a, b) { return b.created - a.created; }); });
    }
  };

  // A new report: kept on the device before anything is sent.
  box.add = function (body, photos) {
    var rec = {
      client_id: body.client_id, user: F.setup.user, created: Date.now(), body: body,
      state: 'pending', error: '', answer: null, tries: 0,
      photos: photos.map(function (p) { return {blob: p.blob, name: p.name, state: 'pending', error: ''}; })
    };
    return box.put(rec).then(function () { render(); return rec; });
  };

  // --- sending ---------------------------------------------------------------------------

  var flushing = null, again = false;
  box.flush = function () {
    if (flushing) { again = true; return flushing; }
    flushing = box.all().then(function (rows) {
      var work = rows.filter(function (r) {
        return r.state === 'pending' || (r.state === 'sent' && r.photos.some(function (p) { return p.state === 'pending'; }));
      }).reverse();  // oldest first
      return work.reduce(function (chain, rec) {
        return chain.then(function (go) { return go === false ? false : send(rec); });
      }, Promise.resolve(true));
    }).then(prune).catch(function (e) {
      console.warn('gridmap outbox', e);
    }).then(function () {
      flushing = null;
      render();
      if (again) { again = false; return box.flush(); }
      return null;
    });
    return flushing;
  };

  // Send one report (and its photos). Resolves false to stop the round: no network, or the
  // session has ended, so the rest would fail the same way.
  function send(rec) {
    var step = rec.state === 'pending' ? sendReport(rec) : Promise.resolve(true);
    return step.then(function (go) {
      if (!go || rec.state !== 'sent') { return go; }
      return rec.photos.reduce(function (chain, photo) {
        return chain.then(function (ok) { return ok && photo.state === 'pending' ? sendPhoto(rec, photo) : ok; });
      }, Promise.resolve(true));
    });
  }

  function sendReport(rec) {
    rec.tries += 1;
    return F.api('POST', '/api/incidents', rec.body).then(function (answer) {
      if (answer.status === 200 || answer.status === 201) {
        rec.state = 'sent';
        rec.answer = answer.body;
        rec.error = '';
        rec.sent = Date.now();
      } else if (answer.status === 401) {
        rec.error = '登录已过期：请重新登录，登录后自动发送。';
      } else if (answer.status >= 500 || answer.status === 429) {
        rec.error = '服务器暂时无法处理（状态 ' + answer.status + '），稍后自动重发。';
      } else {
        rec.state = 'failed';
        rec.error = F.reason(answer);
      }
      return box.put(rec).then(function () { return rec.state !== 'pending'; });
    }, function (e) {
      rec.error = e.status === 401 ? '登录已过期：请重新登录，登录后自动发送。'
                                   : '网络不可用：联网后自动发送。';
      return box.put(rec).then(function () { return false; });
    });
  }

  function sendPhoto(rec, photo) {
    var form = new FormData();
    form.append('photo', photo.blob, photo.name || 'photo.jpg');
    return F.api('POST', '/api/incidents/' + rec.answer.id + '/photos', form).then(function (answer) {
      if (answer.status === 201) {
        photo.state = 'sent';
        photo.blob = null;  // the server has it now
      } else if (answer.status === 401 || answer.status >= 500) {
        photo.error = '暂未上传（状态 ' + answer.status + '），稍后自动重发。';
        return box.put(rec).then(function () { return false; });
      } else {
        // A refused photo (too big, not an image) is reported; the report itself is kept.
        photo.state = 'failed';
        photo.error = F.reason(answer);
        photo.blob = null;
      }
      return box.put(rec).then(function () { return true; });
    }, function () {
      photo.error = '网络不可用：联网后自动上传。';
      return box.put(rec).then(function () { return false; });
    });
  }

  function prune() {
    var old = Date.now() - KEEP_SENT_DAYS * 86400000;
    return box.all().then(function (rows) {
      return Promise.all(rows.filter(function (r) {
        return r.state === 'sent' && r.sent < old && !r.photos.some(function (p) { return p.state === 'pending'; });
      }).map(function (r) { return box.remove(r.client_id); }));
    });
  }

  // --- showing ---------------------------------------------------------------------------

  var STATES = {pending: '待发送', sent: '已发送', failed: '失败'};

  function render() {
    return box.all().then(function (rows) {
      var list = F.clear(document.getElementById('gm-outbox'));
      var waiting = rows.filter(function (r) { return r.state !== 'sent'; }).length;
      document.getElementById('gm-count-outbox').textContent = waiting ? '(' + waiting + ')' : '';
      if (!rows.length) {
        list.appendChild(F.el('li', {'class': 'gm-hint'}, '没有上报记录。'));
      }
      rows.forEach(function (r) { list.appendChild(card(r)); });
      if (F.onOutbox) { F.onOutbox(rows); }
    });
  }
  box.render = render;

  function card(r) {
    var kind = (F.setup.kinds.filter(function (k) { return k.code === r.body.kind; })[0] || {}).name || r.body.kind;
    var state = STATES[r.state] + (r.state === 'failed' ? '：' + r.error : '');
    var li = F.el('li', {'class': 'gm-card gm-outbox-' + r.state, dataset: {clientId: r.client_id}}, [
      F.el('div', {'class': 'gm-card-title'}, (r.body.title || '（无标题）') + ' · ' + kind),
      F.el('div', {'class': 'gm-outbox-state'}, state),
      F.el('div', {'class': 'gm-hint'}, '记录于 ' + F.time(r.created) +
           (r.state === 'pending' && r.error ? ' · ' + r.error : ''))
    ]);
    r.photos.forEach(function (p, i) {
      if (p.state !== 'sent') {
        li.appendChild(F.el('div', {'class': 'gm-hint gm-photo-state'},
          '照片 ' + (i + 1) + '：' + (p.state === 'failed' ? '未上传：' + p.error : '待上传' + (p.error ? '（' + p.error + '）' : ''))));
      }
    });
    if (r.state === 'sent' && r.answer) {
      li.appendChild(F.el('a', {href: '#case=' + r.answer.id, 'class': 'gm-link'}, '查看案件 ' + r.answer.id));
    }
    if (r.state === 'pending') {
      li.appendChild(F.el('button', {type: 'button', 'class': 'gm-small', on: {click: box.flush}}, '立即重发'));
    }
    if (r.state === 'failed') {
      li.appendChild(F.el('button', {type: 'button', 'class': 'gm-small', on: {click: function () {
        box.remove(r.client_id).then(render);
      }}}, '删除'));
    }
    return li;
  }

  window.addEventListener('online', box.flush);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { box.flush(); }
  });
  setInterval(function () { if (navigator.onLine) { box.flush(); } }, 30000);
})();
