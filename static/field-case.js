// 跟进一个案件：状态、信号灯与期限，办理经过（时间线：流转、跟进记录、照片），
// 添加跟进记录与照片，按本人职务可办的流转办理。
(function () {
  'use strict';
  var F = window.gmField;
  var box = document.getElementById('gm-case');
  var current = null;

  F.openCase = function (id, draft) {
    F.show('case');
    if (location.hash !== '#case=' + id) { history.replaceState(null, '', '#case=' + id); }
    F.clear(box).appendChild(F.el('p', {'class': 'gm-hint'}, '正在加载案件 ' + id + '…'));
    return F.api('GET', '/api/incidents/' + id).then(function (answer) {
      if (answer.status !== 200) {
        F.clear(box).appendChild(F.el('p', {'class': 'gm-form-error', id: 'gm-case-error'}, F.reason(answer)));
        return;
      }
      current = answer.body;
      render(current, draft || '');
      document.getElementById('gm-tab-case').scrollIntoView({block: 'start'});
    }, function () {
      F.clear(box).appendChild(F.el('p', {'class': 'gm-form-error', id: 'gm-case-error'},
        '网络不可用，且本机没有这个案件的记录：请联网后再打开。'));
    });
  };

  function render(data, draft) {
    var c = data.case;
    F.clear(box);
    box.appendChild(F.el('h2', {id: 'gm-case-title'}, (c.title || '（无标题）')));
    box.appendChild(F.el('table', {'class': 'gm-summary'}, [
      row('案件', c.id + ' · ' + c.kind_name + (c.category_name ? ' · ' + c.category_name : '')),
      row('状态', [F.el('span', {id: 'gm-case-status'}, c.status_name), ' ', F.light(c.light, c.days_left)]),
      row('办理期限', c.due_at && !c.is_final ? F.dueDay(c.due_at) : '—'),
      row('发生时间', F.time(c.occurred_at)),
      // 网格调整后移交的案件：现由新网格负责（落格时的网格不变）。
      row('网格', c.handler_grid_code ? c.handler_grid_code + '（原 ' + c.grid_code + '，网格调整后移交）'
                                       : c.grid_code),
      row('情况', c.description || '')
    ]));
    if (data.parties.length) {
      box.appendChild(F.el('h3', {}, '当事人（已遮蔽）'));
      box.appendChild(F.el('ul', {}, data.parties.map(function (p) {
        return F.el('li', {}, p.role + '：' + p.name + (p.phone ? ' ' + p.phone : ''));
      })));
    }
    supervisions(c, data.supervisions || []);
    moves(c, data.moves);
    notes(c, draft);
    box.appendChild(F.el('h3', {}, '办理经过'));
    box.appendChild(timeline(data));
  }

  function row(label, value) {
    return F.el('tr', {}, [F.el('th', {}, label), F.el('td', {'class': 'gm-text'}, value)]);
  }

  function moves(c, list) {
    var mine = list.filter(function (m) { return m.mine; });
    if (!mine.length) {
      box.appendChild(F.el('p', {'class': 'gm-hint'}, c.is_final ? '案件已办结。' : '当前状态下没有您可办理的流转。'));
      return;
    }
    var reason = F.el('textarea', {name: 'reason', rows: 2, maxlength: 2000, placeholder: '办理说明',
                                   'aria-label': '办理说明'});
    var error = F.el('p', {'class': 'gm-form-error', role: 'alert', hidden: true});
    var buttons = mine.map(function (m) {
      return F.el('button', {type: 'button', 'class': 'gm-big', dataset: {to: m.to_status}, on: {click: function () {
        var text = reason.value.trim();
        if (m.reason_required && !text) {
          error.textContent = '「' + m.action + '」须填写办理说明。';
          error.hidden = false;
          return;
        }
        F.api('POST', '/api/incidents/' + c.id + '/transition',
              {to: m.to_status, reason: text, expected: c.status}).then(function (answer) {
          if (answer.status !== 200) {
            error.textContent = F.reason(answer);
            error.hidden = false;
            return;
          }
          F.openCase(c.id);
          if (F.reloadCases) { F.reloadCases(); }
        }, function () {
          error.textContent = '网络不可用：办理未提交，请联网后重试（说明已保留）。';
          error.hidden = false;
        });
      }}}, m.action + ' → ' + m.to_name);
    });
    box.appendChild(F.el('div', {'class': 'gm-moves'}, [F.el('h3', {}, '办理'), reason, error].concat(buttons)));
  }

  // 督办、催办：要求、答复期限与答复；未答复的可在此答复（答复只能写一次）。
  function supervisions(c, list) {
    if (!list.length) { return; }
    var KINDS = {supervise: '督办', urge: '催办'};
    box.appendChild(F.el('h3', {}, '督办 / 催办'));
    box.appendChild(F.el('ul', {'class': 'gm-cards', id: 'gm-supervisions'}, list.map(function (s) {
      var lines = [
        F.el('div', {'class': 'gm-card-title'}, KINDS[s.kind] + ' · ' + (s.by_name || '')),
        F.el('div', {'class': 'gm-text'}, s.note),
        F.el('div', {'class': 'gm-days'}, '答复期限 ' + F.dueDay(s.answer_by) + (s.late ? '（已逾期）' : ''))
      ];
      if (s.answered_at) {
        lines.push(F.el('div', {'class': 'gm-text'}, '答复：' + s.answer));
      } else {
        var text = F.el('textarea', {rows: 2, maxlength: 1000, 'aria-label': '答复内容', placeholder: '答复内容'});
        var error = F.el('p', {'class': 'gm-form-error', role: 'alert', hidden: true});
        lines.push(text, error, F.el('button', {type: 'button', 'class': 'gm-big', dataset: {answer: s.id}, on: {click: function () {
          F.api('POST', '/api/incidents/' + c.id + '/supervisions/' + s.id + '/answer',
                {answer: text.value.trim()}).then(function (answer) {
            if (answer.status !== 200) { error.textContent = F.reason(answer); error.hidden = false; return; }
            F.openCase(c.id);
            if (F.reloadTodo) { F.reloadTodo(); }
          }, function () {
            error.textContent = '网络不可用：答复未提交，请联网后重试（内容已保留）。';
            error.hidden = false;
          });
        }}}, '答复'));
      }
      return F.el('li', {'class': 'gm-card'}, lines);
    })));
  }

  function notes(c, draft) {
    var text = F.el('textarea', {name: 'note', rows: 3, maxlength: 2000, placeholder: '跟进情况',
                                 'aria-label': '跟进情况'});
    text.value = draft;
    var photo = F.el('input', {type: 'file', name: 'photo', accept: 'image/*', capture: 'environment'});
    var error = F.el('p', {'class': 'gm-form-error', role: 'alert', hidden: true});
    function shout(message) { error.textContent = message; error.hidden = !message; }
    var send = F.el('button', {type: 'button', 'class': 'gm-big', id: 'gm-add-note', on: {click: function () {
      var body = text.value.trim();
      var file = photo.files && photo.files[0];
      if (!body && !file) { shout('请填写跟进情况或选择照片。'); return; }
      shout('');
      var step = body ? F.api('POST', '/api/incidents/' + c.id + '/notes', {body: body}) : Promise.resolve(null);
      step.then(function (answer) {
        if (answer && answer.status !== 201) { throw new Error(F.reason(answer)); }
        text.value = '';
        if (!file) { return null; }
        var form = new FormData();
        form.append('photo', file, file.name);
        return F.api('POST', '/api/incidents/' + c.id + '/photos', form).then(function (a) {
          if (a.status !== 201) { throw new Error('照片未上传：' + F.reason(a)); }
        });
      }).then(function () { F.openCase(c.id); }, function (err) {
        shout(err.status === 0 ? '网络不可用：跟进未提交，请联网后重试（内容已保留）。' : err.message);
      });
    }}}, '添加跟进');
    box.appendChild(F.el('div', {'class': 'gm-notes'}, [F.el('h3', {}, '跟进'), text, photo, error, send]));
  }

  function timeline(data) {
    var c = data.case;
    var items = [{at: c.reported_at, what: '上报（' + c.kind_name + '）', text: ''}];
    data.history.forEach(function (e) {
      var what = e.kind === 'extension' ? '延期，新期限 ' + F.dueDay(e.due_at) : '转为「' + (e.to_name || e.to_status) + '」';
      items.push({at: e.at, what: what, by: e.by_name, text: e.reason});
    });
    data.notes.forEach(function (n) { items.push({at: n.at, what: '跟进', by: n.by_name, text: n.body}); });
    data.photos.forEach(function (p) { items.push({at: p.at, what: '照片', photo: p.url}); });
    items.sort(function (a, b) { return new Date(a.at) - new Date(b.at); });
    return F.el('ol', {'class': 'gm-timeline', id: 'gm-timeline'}, items.map(function (it) {
      return F.el('li', {}, [
        F.el('div', {'class': 'gm-hint'}, F.time(it.at) + (it.by ? ' · ' + it.by : '')),
        F.el('div', {'class': 'gm-timeline-what'}, it.what),
        it.text ? F.el('div', {'class': 'gm-text'}, it.text) : null,
        it.photo ? F.el('img', {src: it.photo, alt: '跟进照片', loading: 'lazy', 'class': 'gm-photo'}) : null
      ]);
    }));
  }
})();
