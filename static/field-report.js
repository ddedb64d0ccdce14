// 上报表单：点地图或「使用我的位置」落点，选类型与分类（大按钮），填写情况、当事人、照片；
// 提交前先问服务器落在哪里、附近近期有无类似事件（预览，不保存），再存入发件箱发送。
(function () {
  'use strict';
  var F = window.gmField;
  var form = document.getElementById('gm-report');
  var errorBox = document.getElementById('gm-report-error');
  var similarBox = document.getElementById('gm-similar');
  var answerBox = document.getElementById('gm-answer');
  var PHOTO_EDGE = 1600;  // the longest side a photo is sent with (resized on the phone)
  var pin = null;         // {lon, lat, crs, position, accuracy}
  var marker = null;

  function fail(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
    if (message) { errorBox.scrollIntoView({block: 'nearest'}); }
  }

  // --- position --------------------------------------------------------------------------

  function place(lat, lon, how, accuracy) {
    // The map is drawn in WGS84 (CGCS2000), as are the browser's positions.
    pin = {lon: lon, lat: lat, crs: 'wgs84', position: how};
    if (how === 'device') { pin.accuracy = accuracy; }
    if (!marker) {
      marker = L.marker([lat, lon], {draggable: true, title: '上报位置'}).addTo(F.map);
      marker.on('dragend', function () {
        var p = marker.getLatLng();
        place(p.lat, p.lng, 'manual');
      });
    } else {
      marker.setLatLng([lat, lon]);
    }
    document.getElementById('gm-pin-text').textContent =
      (how === 'device' ? '我的位置（精度约 ' + Math.round(accuracy) + ' 米）' : '地图落点') +
      '：' + lon.toFixed(6) + ', ' + lat.toFixed(6) + '（可拖动调整）';
    fail('');
  }
  F.placePin = place;

  F.map.on('click', function (e) {
    if (F.tab() !== 'report') { F.show('report'); }
    place(e.latlng.lat, e.latlng.lng, 'manual');
  });

  document.getElementById('gm-locate').addEventListener('click', function () {
    var text = document.getElementById('gm-pin-text');
    if (!navigator.geolocation) {
      fail('此浏览器不提供定位：请在地图上点击落点。');
      return;
    }
    text.textContent = '正在定位…';
    navigator.geolocation.getCurrentPosition(function (p) {
      var accuracy = p.coords.accuracy, limit = F.setup.max_accuracy_m;
      if (accuracy > limit) {
        text.textContent = '定位精度约 ' + Math.round(accuracy) + ' 米，超过允许的 ' + limit +
          ' 米：请在地图上点击落点。';
        return;
      }
      place(p.coords.latitude, p.coords.longitude, 'device', accuracy);
      F.map.setView([p.coords.latitude, p.coords.longitude], Math.max(F.map.getZoom(), 16));
    }, function () {
      text.textContent = '无法取得位置（未授权或无信号）：请在地图上点击落点。';
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 30000});
  });

  // --- kind and category -----------------------------------------------------------------

  var kindsBox = document.getElementById('gm-kinds');
  F.setup.kinds.forEach(function (k) {
    kindsBox.appendChild(F.el('label', {'class': 'gm-choice'}, [
      F.el('input', {type: 'radio', name: 'kind', value: k.code, on: {change: categories}}), k.name
    ]));
  });

  function categories() {
    var kind = form.elements.kind.value;
    var box = F.clear(document.getElementById('gm-categories'));
    var found = F.setup.kinds.filter(function (k) { return k.code === kind; })[0];
    var list = found ? found.categories : [];
    document.getElementById('gm-categories-box').hidden = !list.length;
    list.forEach(function (c) {
      box.appendChild(F.el('label', {'class': 'gm-choice'}, [
        F.el('input', {type: 'radio', name: 'category', value: c.code}), c.name
      ]));
    });
  }

  // --- parties ---------------------------------------------------------------------------

  document.getElementById('gm-add-party').addEventListener('click', function () {
    var row = F.el('div', {'class': 'gm-party'}, [
      F.el('select', {name: 'party_role', 'aria-label': '身份'},
           ['当事人', '信访人', '被申请人'].map(function (r) { return F.el('option', {value: r}, r); })),
      F.el('input', {name: 'party_name', placeholder: '姓名', maxlength: 50}),
      F.el('input', {name: 'party_phone', placeholder: '电话', type: 'tel', maxlength: 30}),
      F.el('input', {name: 'party_id', placeholder: '身份证号（可不填）', maxlength: 18})
    ]);
    row.appendChild(F.el('button', {type: 'button', 'class': 'gm-small',
                                    on: {click: function () { row.remove(); }}}, '移除'));
    document.getElementById('gm-parties').appendChild(row);
  });

  function parties() {
    return Array.prototype.map.call(document.querySelectorAll('#gm-parties .gm-party'), function (row) {
      var value = function (n) { return row.querySelector('[name=' + n + ']').value.trim(); };
      return {role: value('party_role'), name: value('party_name'),
              phone: value('party_phone'), id_number: value('party_id')};
    }).filter(function (p) { return p.name || p.phone || p.id_number; });
  }

  // --- photos: resized on the phone before they are kept and sent ---------------------------

  function resize(file) {
    if (!window.createImageBitmap) { return Promise.resolve({blob: file, name: file.name}); }
    return createImageBitmap(file).then(function (image) {
      var scale = Math.min(1, PHOTO_EDGE / Math.max(image.width, image.height));
      var canvas = F.el('canvas', {width: Math.round(image.width * scale),
                                   height: Math.round(image.height * scale)});
      canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve({blob: blob || file, name: file.name.replace(/\.[^.]*$/, '') + '.jpg'});
        }, 'image/jpeg', 0.85);
      });
    }, function () {
      // Not an image this browser can read: sent as it is, so that the server says what is
      // wrong with it; the report goes ahead either way.
      return {blob: file, name: file.name};
    });
  }

  // --- submitting ------------------------------------------------------------------------

  function body() {
    var kind = form.elements.kind.value;
    if (!pin) { throw new Error('请先在地图上点击落点，或使用我的位置。'); }
    if (!kind) { throw new Error('请选择事件类型。'); }
    var b = {client_id: F.uuid(), kind: kind, category: form.elements.category ? form.elements.category.value : '',
             title: form.elements.title.value.trim(), description: form.elements.description.value.trim(),
             parties: parties(), occurred_at: new Date().toISOString()};
    Object.keys(pin).forEach(function (k) { b[k] = pin[k]; });
    return b;
  }

  var confirmed = null;  // the body the member chose to report despite similar incidents

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var b;
    try { b = confirmed || body(); } catch (err) { fail(err.message); return; }
    fail('');
    F.clear(answerBox).hidden = true;  // the answer to the report before
    var check = confirmed || !navigator.onLine ? Promise.resolve(null)
      : F.api('POST', '/api/incidents/preview', b).catch(function () { return null; });
    check.then(function (answer) {
      if (answer && answer.status === 400) { fail(F.reason(answer)); return null; }
      if (answer && answer.status === 200 && answer.body.similar.length) {
        warn(b, answer.body.similar);
        return null;
      }
      return keep(b);
    });
  });

  function warn(b, similar) {
    F.clear(similarBox).hidden = false;
    similarBox.appendChild(F.el('p', {}, '附近近期已有 ' + similar.length + ' 件同类事件，可能是同一件事：'));
    similarBox.appendChild(F.el('ul', {}, similar.map(function (s) {
      return F.el('li', {}, [
        (s.title || '（无标题）') + '（' + F.time(s.occurred_at) + '，相距约 ' + s.distance_m + ' 米，' + s.status_name + '）',
        F.el('button', {type: 'button', 'class': 'gm-small', on: {click: function () {
          // Follow the earlier case up instead: the description becomes a note there.
          var text = b.description || b.title;
          similarBox.hidden = true;
          F.openCase(s.id, text);
        }}}, '改为跟进此事件')
      ]);
    })));
    similarBox.appendChild(F.el('button', {type: 'button', 'class': 'gm-big', on: {click: function () {
      confirmed = b;
      similarBox.hidden = true;
      form.requestSubmit();
    }}}, '不是同一件事，仍然上报'));
  }

  function keep(b) {
    confirmed = null;
    var files = Array.prototype.slice.call(form.elements.photos.files || []);
    return Promise.all(files.map(resize)).then(function (photos) {
      return F.outbox.add(b, photos);
    }).then(function (rec) {
      reset();
      showAnswer(rec, null);
      return F.outbox.flush().then(function () {
        return F.outbox.all();
      }).then(function (rows) {
        var now = rows.filter(function (r) { return r.client_id === rec.client_id; })[0] || rec;
        showAnswer(now);
        if (now.state === 'sent' && F.reloadCases) { F.reloadCases(); }
      });
    }, function (err) {
      fail('无法保存到本机：' + err.message + '。请检查浏览器存储空间后重试。');
    });
  }

  function reset() {
    form.reset();
    F.clear(document.getElementById('gm-parties'));
    categories();
    pin = null;
    if (marker) { marker.remove(); marker = null; }
    document.getElementById('gm-pin-text').textContent = '请点击地图落点，或使用我的位置。';
  }

  // What the server answered: where it landed, who answers for it, its deadline.
  function showAnswer(rec) {
    F.clear(answerBox).hidden = false;
    if (rec.state !== 'sent') {
      answerBox.appendChild(F.el('p', {'class': 'gm-notice', id: 'gm-answer-state'},
        rec.state === 'failed' ? '上报失败：' + rec.error
          : '已保存在本机（待发送）：联网后自动发送，可在「待发送」查看。'));
      return;
    }
    var a = rec.answer, where = a.placement;
    answerBox.appendChild(F.el('h3', {id: 'gm-answer-state'}, '已上报（案件 ' + a.id + '）'));
    if (a.notice) { answerBox.appendChild(F.el('p', {'class': 'gm-notice'}, a.notice)); }
    answerBox.appendChild(F.el('table', {'class': 'gm-summary', id: 'gm-answer-where'}, [
      F.el('tr', {}, [F.el('th', {}, '网格'), F.el('td', {}, where.grid.name + '（' + where.grid.code + '）')]),
      F.el('tr', {}, [F.el('th', {}, '村（社区）'), F.el('td', {}, where.village.name)]),
      F.el('tr', {}, [F.el('th', {}, '片区'), F.el('td', {}, where.package_area.name)]),
      F.el('tr', {}, [F.el('th', {}, '状态'), F.el('td', {}, a.status)]),
      F.el('tr', {}, [F.el('th', {}, '办理期限'), F.el('td', {id: 'gm-answer-deadline'},
        a.deadline.due_at ? [F.dueDay(a.deadline.due_at) + ' ', F.light(a.deadline.light, a.deadline.days_left)] : '—')])
    ]));
    answerBox.appendChild(F.el('h3', {}, '负责人'));
    answerBox.appendChild(F.people(a.people));
    rec.photos.forEach(function (p, i) {
      if (p.state === 'failed') {
        answerBox.appendChild(F.el('p', {'class': 'gm-form-error'}, '照片 ' + (i + 1) + ' 未上传：' + p.error));
      }
    });
    answerBox.appendChild(F.el('a', {href: '#case=' + a.id, 'class': 'gm-link'}, '打开案件，继续跟进'));
    answerBox.scrollIntoView({block: 'start'});
  }
})();
