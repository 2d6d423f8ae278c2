// conveyor dashboard: live updates (server-sent events), filter and search, relative times.
// No build step: plain script, served as is.
(function () {
  'use strict';

  function span(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm';
    if (s < 86400) {
      var m = Math.floor((s % 3600) / 60);
      return Math.floor(s / 3600) + 'h' + (m ? m + 'm' : '');
    }
    return Math.floor(s / 86400) + 'd';
  }

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  // The one time format of the CLI: the viewer's wall clock with its zone, and how far from now.
  function relative(ms) {
    return ms >= 0 ? 'in ' + span(ms) : span(-ms) + ' ago';
  }
  function zoneName(date) {
    try {
      var part = new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short' }).formatToParts(date).find(function (p) {
        return p.type === 'timeZoneName';
      });
      return part ? part.value : '';
    } catch (e) {
      return '';
    }
  }
  function moment(iso, now) {
    var d = new Date(iso);
    var clock =
      d.getFullYear() +
      '-' +
      pad(d.getMonth() + 1) +
      '-' +
      pad(d.getDate()) +
      ' ' +
      pad(d.getHours()) +
      ':' +
      pad(d.getMinutes()) +
      ':' +
      pad(d.getSeconds());
    return clock + ' ' + zoneName(d) + ' (' + relative(Date.parse(iso) - now) + ')';
  }

  // A table wider than its box says so: a shadow at the edge and a hint (the table scrolls sideways).
  function markOverflow() {
    document.querySelectorAll('.scroll').forEach(function (box) {
      var more = box.scrollWidth - box.clientWidth - box.scrollLeft > 1;
      box.setAttribute('data-overflow', more ? 'true' : 'false');
      var hint = box.nextElementSibling;
      if (hint && hint.classList.contains('scroll-hint')) hint.hidden = !more;
    });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll('time[data-moment]').forEach(function (t) {
      t.textContent = moment(t.getAttribute('datetime'), now);
    });
    document.querySelectorAll('time[data-ago]').forEach(function (t) {
      t.textContent = span(now - Date.parse(t.getAttribute('datetime')));
    });
    document.querySelectorAll('time[data-left]').forEach(function (t) {
      var ms = Date.parse(t.getAttribute('datetime')) - now;
      t.textContent = ms > 0 ? span(ms) : '0s';
    });
  }

  function fragment(html) {
    var template = document.createElement('template');
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function replace(id, html) {
    var old = document.getElementById(id);
    var next = fragment(html);
    if (old && next) old.replaceWith(next);
  }

  // ---- filter and search (fleet view) ----
  var search = document.getElementById('search');
  var filter = document.getElementById('filter');
  var shown = document.getElementById('shown');

  function applyFilter() {
    var table = document.getElementById('fleet');
    // Many stages scroll sideways rather than squeeze: each stage column keeps 190 px.
    if (table) table.style.minWidth = 170 + Number(table.getAttribute('data-width') || 4) * 190 + 'px';
    if (!table || !search || !filter) return;
    var words = search.value.trim().toLowerCase();
    var facet = filter.value;
    var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
    var visible = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var name = (row.getAttribute('data-service') || '').toLowerCase();
      var facets = (row.getAttribute('data-facets') || '').split(' ');
      var show = (!words || name.indexOf(words) >= 0) && (!facet || facets.indexOf(facet) >= 0);
      row.hidden = !show;
      if (show) visible++;
    }
    if (shown) shown.textContent = words || facet ? 'showing ' + visible + ' of ' + rows.length : '';
    var params = new URLSearchParams(location.search);
    if (words) params.set('q', search.value.trim());
    else params.delete('q');
    if (facet) params.set('show', facet);
    else params.delete('show');
    var query = params.toString();
    history.replaceState(null, '', location.pathname + (query ? '?' + query : ''));
  }

  if (search && filter) {
    var params = new URLSearchParams(location.search);
    search.value = params.get('q') || '';
    filter.value = params.get('show') || '';
    search.addEventListener('input', applyFilter);
    filter.addEventListener('change', applyFilter);
    // "/" jumps to the search box, as on many sites.
    document.addEventListener('keydown', function (event) {
      if (event.key === '/' && document.activeElement === document.body) {
        event.preventDefault();
        search.focus();
      }
    });
    applyFilter();
  }

  // ---- live updates ----
  var root = document.querySelector('[data-live]');
  if (root && window.EventSource) {
    var source = new EventSource(root.getAttribute('data-live'));
    source.addEventListener('open', function () {
      document.documentElement.setAttribute('data-connected', 'true');
    });
    source.addEventListener('error', function () {
      document.documentElement.setAttribute('data-connected', 'false');
    });
    source.addEventListener('fleet', function (event) {
      var data = JSON.parse(event.data);
      if (data.table !== undefined) {
        var scroll = document.querySelector('.scroll');
        if (scroll) scroll.innerHTML = data.table;
      }
      if (data.rows) {
        Object.keys(data.rows).forEach(function (service) {
          replace('row-' + service, data.rows[service]);
        });
      }
      if (data.freeze !== undefined) replace('freeze', data.freeze);
      if (data.counts !== undefined) document.getElementById('counts').textContent = data.counts;
      var updated = document.getElementById('updated');
      if (updated && data.updated) updated.textContent = data.updated.slice(11, 19) + ' UTC';
      applyFilter();
      markOverflow();
      tick();
    });
    source.addEventListener('service', function (event) {
      var data = JSON.parse(event.data);
      replace('live', data.html);
      // Pause or Resume, the Approve forms: swapped when what they act on changed, else left with what was typed.
      Object.keys(data.controls || {}).forEach(function (id) {
        var old = document.getElementById(id);
        var next = fragment(data.controls[id]);
        if (old && next && old.getAttribute('data-key') !== next.getAttribute('data-key')) old.replaceWith(next);
      });
      tick();
    });
  }

  document.querySelectorAll('.scroll').forEach(function (box) {
    box.addEventListener('scroll', markOverflow);
  });
  window.addEventListener('resize', markOverflow);
  markOverflow();
  tick();
  setInterval(tick, 1000);
})();
