// 规划编辑器的左侧各栏：工作量表（色块选网格涂色）、问题清单（下一个问题）、网格列表
// （名称、网格员、合并、撤销、新建）。数据与撤销/重做在 planner.js。
(function () {
  'use strict';
  var P = window.gmPlanner, setup = P.setup, el = P.el;
  var STATUS = {under: '低于', within: '合理', over: '超出'};

  P.renderTable = function (rows) {
    var body = document.querySelector('#gm-table tbody');
    body.textContent = '';
    rows.forEach(function (r) {
      var tr = el('tr');
      tr.dataset.grid = r.code;
      tr.className = 'gm-' + r.status;
      var sw = el('td'), chip = el('button', '', 'gm-swatch gm-pick');
      chip.type = 'button';
      chip.style.background = P.colour(r.code);
      chip.title = '用此网格涂色';
      chip.setAttribute('aria-label', '选择网格 ' + r.name + ' 涂色');
      chip.addEventListener('click', function () { P.pick(r.code); });
      if (P.current === r.code) { tr.classList.add('gm-current'); }
      sw.appendChild(chip);
      sw.appendChild(el('span', r.name));
      tr.appendChild(sw);
      [r.households, r.population, r.incidents, Math.round(r.workload),
       (r.deviation >= 0 ? '+' : '') + Math.round(r.deviation * 100) + '%', STATUS[r.status]
      ].forEach(function (v) { tr.appendChild(el('td', v)); });
      body.appendChild(tr);
    });
  };

  P.renderProblems = function () {
    var list = document.getElementById('gm-problems');
    list.textContent = '';
    document.getElementById('gm-problem-count').textContent =
      P.problems.length ? '（' + P.problems.length + '）' : '（无）';
    P.problems.forEach(function (p, i) {
      var li = el('li', p.message, 'gm-problem gm-problem-' + p.kind);
      li.tabIndex = 0;
      li.addEventListener('click', function () { P.focusProblem(i); });
      list.appendChild(li);
    });
    document.getElementById('gm-next-problem').disabled = !P.problems.length;
  };

  P.pick = function (code) {
    P.current = code;
    document.querySelectorAll('#gm-table tbody tr').forEach(function (tr) {
      tr.classList.toggle('gm-current', tr.dataset.grid === code);
    });
    P.renderGrids();
    var g = P.state.grids.filter(function (x) { return x.code === code; })[0];
    if (g) { P.say('涂色：点击或按住拖过单元，把它们涂入「' + g.name + '」。'); }
  };

  P.focusProblem = function (i) {
    P.at = i;
    var items = document.querySelectorAll('#gm-problems li');
    items.forEach(function (li, j) { li.classList.toggle('gm-current', j === i); });
    P.zoomTo(P.problems[i]);
  };

  P.renderGrids = function () {
    var list = document.getElementById('gm-grids');
    list.textContent = '';
    var count = {};
    P.state.units.features.forEach(function (f) {
      count[f.properties.grid] = (count[f.properties.grid] || 0) + 1;
    });
    P.state.grids.forEach(function (g) { list.appendChild(gridItem(g, count[g.code] || 0)); });
  };

  function gridItem(g, units) {
    var li = el('li', null, 'gm-grid' + (P.current === g.code ? ' gm-current' : ''));
    li.dataset.grid = g.code;
    var pick = el('button', '', 'gm-swatch gm-pick');
    pick.type = 'button';
    pick.style.background = P.colour(g.code);
    pick.title = '用此网格涂色';
    pick.setAttribute('aria-label', '选择网格 ' + g.name + ' 涂色');
    pick.addEventListener('click', function () { P.pick(g.code); });
    li.appendChild(pick);
    var name = el('input', null, 'gm-grid-name');
    name.value = g.name;
    name.maxLength = 50;
    name.setAttribute('aria-label', '网格名称');
    name.disabled = !setup.editable;
    name.addEventListener('change', function () {
      var v = name.value.trim();
      P.change(function () { g.name = v || g.name; });
    });
    li.appendChild(name);
    li.appendChild(el('code', g.code));
    li.appendChild(el('span', units + ' 个单元', 'gm-hint'));
    li.appendChild(membersOf(g));
    if (setup.editable) { li.appendChild(mergeOf(g, units)); }
    return li;
  }

  // 网格员：已指定的人（可移除），和按本村人员、未任职人员、其他人员分组的添加列表。
  function membersOf(g) {
    var box = el('div', null, 'gm-members');
    var byId = {};
    P.people.forEach(function (p) { byId[p.id] = p; });
    g.members.forEach(function (id) {
      var p = byId[id], chip = el('span', p ? p.name : '人员 ' + id, 'gm-member');
      if (setup.editable) {
        var x = el('button', '×', 'gm-remove');
        x.type = 'button';
        x.setAttribute('aria-label', '移除网格员 ' + (p ? p.name : id));
        x.addEventListener('click', function () {
          P.change(function () { g.members = g.members.filter(function (m) { return m !== id; }); });
        });
        chip.appendChild(x);
      }
      box.appendChild(chip);
    });
    if (!g.members.length) { box.appendChild(el('span', '（无网格员）', 'gm-hint')); }
    if (!setup.editable) { return box; }
    var add = el('select', null, 'gm-add-member');
    add.setAttribute('aria-label', '为网格 ' + g.code + ' 添加网格员');
    add.appendChild(el('option', '添加网格员…'));
    [['本村人员', function (p) { return p.local; }],
     ['未任职人员', function (p) { return p.free; }],
     ['其他人员', function (p) { return !p.local && !p.free; }]].forEach(function (group) {
      var og = el('optgroup');
      og.label = group[0];
      P.people.filter(group[1]).forEach(function (p) {
        if (g.members.indexOf(p.id) >= 0) { return; }
        var o = el('option', p.name + (p.duties ? '（' + p.duties + '）' : ''));
        o.value = String(p.id);
        og.appendChild(o);
      });
      if (og.children.length) { add.appendChild(og); }
    });
    add.addEventListener('change', function () {
      var id = Number(add.value);
      if (!id) { return; }
      P.change(function () { g.members = g.members.concat([id]); });
    });
    box.appendChild(add);
    return box;
  }

  // 合并到另一网格（单元全部并入，原网格撤销）；空网格可直接撤销。
  function mergeOf(g, units) {
    var span = el('span', null, 'gm-merge');
    if (!units) {
      var retire = el('button', '撤销网格');
      retire.type = 'button';
      retire.addEventListener('click', function () {
        P.change(function () {
          P.state.grids = P.state.grids.filter(function (x) { return x.code !== g.code; });
          if (P.current === g.code) { P.current = P.state.grids.length ? P.state.grids[0].code : null; }
        });
        P.say('已撤销网格「' + g.name + '」。');
      });
      span.appendChild(retire);
      return span;
    }
    var into = el('select');
    into.setAttribute('aria-label', '合并到');
    P.state.grids.forEach(function (x) {
      if (x.code !== g.code) { var o = el('option', x.name); o.value = x.code; into.appendChild(o); }
    });
    var go = el('button', '合并到');
    go.type = 'button';
    go.disabled = P.state.grids.length < 2;
    go.addEventListener('click', function () { P.merge(g.code, into.value); });
    span.appendChild(go);
    span.appendChild(into);
    return span;
  }

  // 合并：单元全部并入目标网格，原网格的网格员一并带入，原网格撤销。
  P.merge = function (from, to) {
    var source = P.state.grids.filter(function (x) { return x.code === from; })[0];
    var target = P.state.grids.filter(function (x) { return x.code === to; })[0];
    P.change(function () {
      P.state.units.features.forEach(function (f) {
        if (f.properties.grid === from) { f.properties.grid = to; }
      });
      source.members.forEach(function (m) {
        if (target.members.indexOf(m) < 0) { target.members.push(m); }
      });
      P.state.grids = P.state.grids.filter(function (x) { return x.code !== from; });
      if (P.current === from) { P.current = to; }
    });
    P.say('已把「' + source.name + '」并入「' + target.name + '」（网格员一并带入）。');
  };

  P.newGrid = function () {
    var village = setup.village, top = 0;
    P.state.grids.concat(P.known).forEach(function (g) {
      top = Math.max(top, Number(g.code.slice(12)));
    });
    var code = village + String(top + 1).padStart(3, '0');
    P.change(function () {
      P.state.grids.push({code: code, name: P.villageName + '第' + Number(code.slice(12)) + '网格',
                          members: []});
      P.current = code;
    });
    P.say('已新建网格 ' + code + '：点击或拖过单元，把它们涂入新网格。');
  };
})();
