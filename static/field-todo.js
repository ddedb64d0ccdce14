// 待办：督办、催办待我答复，退回重办，3 天内到期……（/api/incidents/todo）。点一条打开案件。
(function () {
  'use strict';
  var F = window.gmField;
  var box = document.getElementById('gm-todo');

  F.reloadTodo = function () {
    var note = document.getElementById('gm-todo-note');
    return F.api('GET', '/api/incidents/todo').then(function (answer) {
      if (answer.status !== 200) { note.textContent = F.reason(answer); return; }
      var sections = answer.body.sections;
      var total = 0;
      F.clear(box);
      sections.forEach(function (s) {
        if (s.key !== 'awaiting' && s.key !== 'referral_waiting') { total += s.count; }
        if (!s.count) { return; }
        box.appendChild(F.el('h3', {}, s.label + '（' + s.count + '）'));
        box.appendChild(F.el('ul', {'class': 'gm-cards', dataset: {section: s.key}}, s.items.map(item)));
      });
      note.textContent = total ? '' : '目前没有待办事项。';
      document.getElementById('gm-count-todo').textContent = total ? '(' + total + ')' : '';
    }, function () {
      note.textContent = '网络不可用：暂时无法加载待办。';
    });
  };

  function item(it) {
    var id = it.incident_id || it.id;
    var open = function () { F.openCase(id); };
    var lines = [F.el('div', {'class': 'gm-card-title'}, '案件 ' + id + ' · ' + (it.title || '（无标题）'))];
    if (it.note) {
      lines.push(F.el('div', {'class': 'gm-text'}, (it.kind_name || '督办') + ' · ' + (it.by_name || '') + '：' + it.note));
      lines.push(F.el('div', {'class': 'gm-days'}, '答复期限 ' + F.dueDay(it.answer_by) + (it.late ? '（已逾期）' : '')));
    } else {
      lines.push(F.el('div', {'class': 'gm-hint'}, (it.status_name || '') +
                      (it.grid_name ? ' · ' + it.grid_name : '')));
      if (it.due_at && !it.closed_at) { lines.push(F.el('div', {'class': 'gm-days'}, '期限 ' + F.dueDay(it.due_at))); }
    }
    return F.el('li', {'class': 'gm-card', tabindex: 0, on: {click: open, keydown: function (e) {
      if (e.key === 'Enter') { open(); }
    }}}, lines);
  }
})();
