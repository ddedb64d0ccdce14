// 规划编辑器：一个村（社区）在方案中的草稿。
// 页面持有整村的草稿（网格、每个单元所属网格、重画或分割过的单元边界），每次改动都交给
// 服务器检查（/check），结果（工作量表、全部问题）由服务器给出；保存也由服务器再查一遍。
// 撤销/重做覆盖整个编辑过程。左侧各栏（工作量表、问题、网格与网格员）在 planner-panels.js，
// 地图上的操作（涂色、拖动顶点、分割）在 planner-edit.js。
(function () {
  'use strict';
  var setup = JSON.parse(document.getElementById('gm-planner-setup').textContent);
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf',
                 '#bcbd22', '#7f7f7f', '#aec7e8', '#98df8a', '#c5b0d5'];
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
    P.renderGrids();
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
    P.renderTable(body.table);
    P.problems = body.problems;
    P.at = -1;
    P.renderProblems();
    P.drawProblems();
  }

  P.suggest = function () {
    P.say('正在计算建议调整…');
    P.api('/suggest', P.content()).then(function (answer) {
      if (answer.status !== 200) { P.fail(answer.body.message); P.say(''); return; }
      var a = answer.body.assignment;
      if (!answer.body.moves.length) {
        P.say(answer.body.within ? '各网格工作量已在容许范围内，无需移动。'
              : '找不到能改善的单元移动：单元太大时可先分割单元，或新建、合并网格。');
        return;
      }
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
        P.renderProblems();
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
      P.renderGrids();
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
