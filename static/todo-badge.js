// 待办: the header's badge, filled after the page has drawn (the count needs a few queries, and
// no page should wait for them). The answer is a number; it is set as text.
(function () {
  'use strict';
  var badge = document.getElementById('gm-todo-count');
  if (!badge || !window.fetch) { return; }
  fetch('/api/incidents/todo/count', {credentials: 'same-origin', cache: 'no-store'})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (body) {
      if (body && typeof body.count === 'number' && body.count > 0) {
        badge.textContent = String(body.count);
      }
    })
    .catch(function () { /* offline: the link still opens the list */ });
})();
