// 规划编辑器：一个村（社区）在方案中的草稿。
// 页面持有整村的草稿（网格、每个单元所属网格、重画或分割过的单元边界），每次改动都交给
// 服务器检查（/check），结果（工作量表、全部问题）由服务器给出；保存也由服务器再查一遍。
// 撤销/重做覆盖整个编辑过程。地图上的操作（涂色、拖动顶点、分割）在 planner-edit.js。
(function () {
  'use strict';
  var setup = JSON.parse(document.getElementById('gm-planner-setup').textContent);
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf',
                 '#bcbd22', '#7f7f7f', '#aec7e8', '#98df8a', '#c5b0d5'];
  var STATUS = {under: '低于', within: '合理', over: '超出'};
  var P = window.gmPlanner = {
    setup: setup, state: null, undo: [], redo: [], current: null, problems: [], at: -1,
    people: [], edited: {}
  };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  P.el = el;

  P.api = function (path, body) {
    var init = {method: body ? 'POST' : 'GET', credentials: 'same-origin',
                headers: {'Accept': 'application/json'}};
    if (body) {
      init.headers['Content-Type'] = 'application/json';
      init.headers['X-CSRFToken'] = token;
      init.body = JSON.stringify(body);
    }
    return fetch(setup.api + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        return {status: r.status, body: json};
      });
    }, function () { return {status: 0, body: {message: '网络不可用，未能连接服务器'}}; });
  };

  // A grid keeps its colour whatever else is merged or retired: by its serial, not its place.
  P.colour = function (grid) {
    var known = P.state.grids.some(function (g) { return g.code === grid; });
    return known ? PALETTE[(Number(String(grid).slice(12)) - 1) % PALETTE.length] : '#000000';
  };

  // What the server reads: every unit's grid; shapes only for units redrawn or cut here.
  P.content = function () {
    return {
      base: P.state.revision,
      grids: P.state.grids,
      units: P.state.units.features.map(function (f) {
        var p = f.properties, item = {code: p.code, grid: p.grid};
        if (P.edited[p.code]) {
          item.geometry = f.geometry;
          item.households = p.households;
          item.population = p.population;
          item.name = p.name;
          if (p.cut_from) { item.split_from = p.cut_from; }
        }
        return item;
      })
    };
  };

  function snapshot() {
    return JSON.stringify({grids: P.state.grids, units: P.state.units, edited: P.edited});
  }
  function restore(text) {
    var s = JSON.parse(text);
    P.state.grids = s.grids;
    P.state.units = s.units;
    P.edited = s.edited;
  }
  // Before every change: one step to undo. ``done`` makes the change, then all is redrawn.
  P.change = function (done) {
    P.undo.push(snapshot());
    P.redo = [];
    done();
    P.dirty = true;
    P.refresh();
  };
  // A stroke of painting: one step, taken at its first real change.
  P.step = function () { P.undo.push(snapshot()); P.redo = []; P.dirty = true; };
  P.back = function () {
    if (!P.undo.length) { return; }
    P.dirty = true;
    P.redo.push(snapshot());
    restore(P.undo.pop());
    P.refresh();
  };
  P.forward = function () {
    if (!P.redo.length) { return; }
    P.undo.push(snapshot());
    restore(P.redo.pop());
    P.refresh();
  };

  P.say = function (text) {
    document.getElementById('gm-message').textContent = text || '';
  };
  P.fail = function (text) {
    var box = document.getElementById('gm-error');
    box.textContent = text || '';
    box.hidden = !text;
  };

  P.refresh = function () {
    P.drawUnits();
    renderGrids();
    document.getElementById('gm-undo').disabled = !P.undo.length;
    document.getElementById('gm-redo').disabled = !P.redo.length;
    scheduleCheck();
  };

  var pending = null, asked = 0;
  function scheduleCheck() {
    clearTimeout(pending);
    pending = setTimeout(check, 120);
  }
  function check() {
    var mine = ++asked;
    P.api('/check', P.content()).then(function (answer) {
      if (mine !== asked) { return; }  // a later change asked again
      if (answer.status !== 200) {
        P.fail(answer.body.message || ('检查失败（状态 ' + answer.status + '）'));
        return;
      }
      P.fail('');
      show(answer.body);
    });
  }

  function show(body) {
    renderTable(body.table);
    P.problems = body.problems;
    P.at = -1;
    renderProblems();
    P.drawProblems();
  }

  function renderTable(rows) {
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
  }

  function renderProblems() {
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
  }

  P.pick = function (code) {
    P.current = code;
    document.querySelectorAll('#gm-table tbody tr').forEach(function (tr) {
      tr.classList.toggle('gm-current', tr.dataset.grid === code);
    });
    renderGrids();
    var g = P.state.grids.filter(function (x) { return x.code === code; })[0];
    if (g) { P.say('涂色：点击或按住拖过单元，把它们涂入「' + g.name + '」。'); }
  };

  P.focusProblem = function (i) {
    P.at = i;
    var items = document.querySelectorAll('#gm-problems li');
    items.forEach(function (li, j) { li.classList.toggle('gm-current', j === i); });
    P.zoomTo(P.problems[i]);
  };

  function renderGrids() {
    var list = document.getElementById('gm-grids');
    list.textContent = '';
    var count = {};
    P.state.units.features.forEach(function (f) {
      count[f.properties.grid] = (count[f.properties.grid] || 0) + 1;
    });
    P.state.grids.forEach(function (g) { list.appendChild(gridItem(g, count[g.code] || 0)); });
  }

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

  P.suggest = function () {
    P.say('正在计算建议调整…');
    P.api('/suggest', P.content()).then(function (answer) {
      if (answer.status !== 200) { P.fail(answer.body.message); P.say(''); return; }
      var a = answer.body.assignment;
      P.change(function () {
        P.state.units.features.forEach(function (f) { f.properties.grid = a[f.properties.code]; });
      });
      P.say('建议移动 ' + answer.body.moves.length + ' 个单元，已应用（可撤销）' +
            (answer.body.within ? '：各网格工作量均在容许范围内。'
             : '；仍有网格不在容许范围内：单元太大时可先分割单元，或新建、合并网格。'));
    });
  };

  P.save = function () {
    P.say('正在保存…');
    P.api('/save', P.content()).then(function (answer) {
      if (answer.status === 200) {
        P.state.revision = answer.body.revision;
        P.edited = {};
        P.dirty = false;
        P.state.units.features.forEach(function (f) { delete f.properties.cut_from; });
        P.fail('');
        P.say('已保存第 ' + answer.body.revision + ' 版。');
        document.getElementById('gm-revision').textContent = '第 ' + answer.body.revision + ' 版';
        show(answer.body);
        return;
      }
      P.say('');
      P.fail(answer.body.message || ('保存失败（状态 ' + answer.status + '）'));
      if (Array.isArray(answer.body.details) && answer.body.details.length &&
          answer.body.details[0].kind) {
        P.problems = answer.body.details;
        renderProblems();
        P.drawProblems();
        P.focusProblem(0);
      }
    });
  };

  function bind(id, fn) { document.getElementById(id).addEventListener('click', fn); }

  P.start = function () {
    P.api('').then(function (answer) {
      if (answer.status !== 200) { P.fail(answer.body.message); return; }
      var b = answer.body;
      P.state = {revision: b.revision, grids: b.grids, units: b.units};
      P.known = b.grids.slice();
      P.villageName = b.village.name;
      P.people = b.people;
      P.current = b.grids.length ? b.grids[0].code : null;
      document.getElementById('gm-revision').textContent =
        b.revision ? '第 ' + b.revision + ' 版（' + b.saved_by + '）' : '未保存过（现行划分）';
      document.getElementById('gm-band').textContent =
        '每格 ' + b.band.low + '–' + b.band.high + ' 户；工作量容许偏离 ±' +
        Math.round(b.tolerance * 100) + '%';
      P.drawEdge(b.edge);
      P.drawUnits(true);
      renderGrids();
      show(b);
      document.body.dataset.ready = '1';
    });
    bind('gm-undo', P.back);
    bind('gm-redo', P.forward);
    bind('gm-next-problem', function () {
      if (P.problems.length) { P.focusProblem((P.at + 1) % P.problems.length); }
    });
    if (!setup.editable) { return; }
    bind('gm-new-grid', P.newGrid);
    window.addEventListener('beforeunload', function (e) {
      if (P.dirty) { e.preventDefault(); e.returnValue = ''; }  // 有未保存的修改
    });
    bind('gm-suggest', P.suggest);
    bind('gm-save', P.save);
    document.addEventListener('keydown', function (e) {
      if (!(e.ctrlKey || e.metaKey) || e.target.tagName === 'INPUT') { return; }
      if (e.key === 'z' && !e.shiftKey) { e.preventDefault(); P.back(); }
      if (e.key === 'y' || (e.key === 'z' && e.shiftKey)) { e.preventDefault(); P.forward(); }
    });
  };
})();
