// The similarity report's page: the pairs table, one page of rows at a
// time, and a pair's two files side by side, built when the pair opens.
// Student code and IDs are hostile: they reach the page through
// textContent only (see text), never as markup.
(function () {
  'use strict';
  var el = function (id) { return document.getElementById(id); };

  // unpack reads the data: JSON, gzipped, in base64url, in a JSON string.
  function unpack() {
    var b64 = JSON.parse(el('data').textContent).replace(/-/g, '+').replace(/_/g, '/');
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(JSON.parse);
  }

  if (typeof DecompressionStream === 'undefined') {
    el('loading').textContent = 'This browser cannot unpack the report (it has no DecompressionStream): open it in a current Chrome, Firefox, Edge or Safari.';
    return;
  }
  unpack().then(function (D) {
    el('loading').hidden = true;
    start(D);
  }, function (e) {
    el('loading').textContent = 'The report\'s data could not be read: ' + e;
    throw e;
  });

  function start(D) {
    var PAGE = 100;

    var pairs = D.pairs.map(function (p, i) {
      return { i: i, task: D.tasks[p[0]], a: p[1], b: p[2], score: p[3], sa: p[4], sb: p[5], longest: p[6], fa: p[7], fb: p[8], m: p[9] };
    });
    var byKey = new Map();
    pairs.forEach(function (p) { byKey.set(JSON.stringify([p.task, D.ids[p.a], D.ids[p.b]]), p); });

    var st = { task: '', sort: 'score', desc: true, page: 0, who: '', min: 0, current: null };
    var view = [];

    // pairKey is the pair's name in a link: #pair=task/A/B.
    function pairKey(p) {
      return [p.task, D.ids[p.a], D.ids[p.b]].map(encodeURIComponent).join('/');
    }

    // CONTROL matches the characters that would hide or reorder code on
    // screen: C0 controls but tab, DEL, bidirectional marks, embeddings,
    // overrides and isolates, zero-width characters and the BOM.
    var CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

    // text appends s to node as text, each control character shown as a
    // visible mark naming it.
    function text(node, s) {
      CONTROL.lastIndex = 0;
      var last = 0, m;
      while ((m = CONTROL.exec(s)) !== null) {
        if (m.index > last) node.appendChild(document.createTextNode(s.slice(last, m.index)));
        var c = document.createElement('span');
        c.className = 'ctl';
        var code = 'U+' + m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
        c.textContent = code;
        c.title = 'invisible character ' + code;
        node.appendChild(c);
        last = m.index + 1;
      }
      if (last < s.length) node.appendChild(document.createTextNode(s.slice(last)));
      return node;
    }

    function make(tag, cls, s) {
      var n = document.createElement(tag);
      if (cls) n.className = cls;
      if (s !== undefined) text(n, String(s));
      return n;
    }

    function pct(x) { return Math.round(x * 100) + '%'; }

    // The table.

    var numeric = { score: 1, sa: 1, sb: 1, longest: 1 };

    function compare(p, q) {
      var k = st.sort, d = 0;
      if (numeric[k]) d = p[k] - q[k];
      else d = D.ids[p[k]] < D.ids[q[k]] ? -1 : D.ids[p[k]] > D.ids[q[k]] ? 1 : 0;
      if (st.desc) d = -d;
      return d || p.i - q.i;
    }

    function refresh() {
      var who = st.who.toLowerCase();
      view = pairs.filter(function (p) {
        return (st.task === '' || p.task === st.task) && p.score >= st.min &&
          (who === '' || D.ids[p.a].toLowerCase().indexOf(who) >= 0 || D.ids[p.b].toLowerCase().indexOf(who) >= 0);
      });
      view.sort(compare);
      st.page = Math.min(st.page, Math.max(0, Math.ceil(view.length / PAGE) - 1));
      renderRows();
    }

    function renderRows() {
      var rows = el('rows');
      var from = st.page * PAGE, to = Math.min(view.length, from + PAGE);
      var frag = document.createDocumentFragment();
      for (var r = from; r < to; r++) {
        var p = view[r];
        var tr = document.createElement('tr');
        tr.tabIndex = 0;
        tr.dataset.i = p.i;
        if (st.current === p) tr.className = 'current';
        tr.appendChild(make('td', 'num', r + 1));
        tr.appendChild(make('td', '', p.task));
        tr.appendChild(make('td', 'id', D.ids[p.a]));
        tr.appendChild(make('td', 'id', D.ids[p.b]));
        var s = make('td', 'num');
        var bar = make('span', 'scorebar' + (p.score >= 0.5 ? ' hot' : ''));
        bar.style.width = Math.round(p.score * 60) + 'px';
        s.appendChild(bar);
        s.appendChild(document.createTextNode(p.score.toFixed(2)));
        tr.appendChild(s);
        tr.appendChild(make('td', 'num', pct(p.sa)));
        tr.appendChild(make('td', 'num', pct(p.sb)));
        tr.appendChild(make('td', 'num', p.longest));
        tr.appendChild(make('td', 'num', p.fa + ' / ' + p.fb));
        frag.appendChild(tr);
      }
      rows.replaceChildren(frag);
      el('empty').hidden = view.length > 0;
      el('range').textContent = view.length ? (from + 1) + '\u2013' + to + ' of ' + view.length : '0 pairs';
      el('prev').disabled = st.page === 0;
      el('next').disabled = to >= view.length;
    }

    function selectTask(task) {
      st.task = task;
      st.page = 0;
      document.querySelectorAll('.tabs button').forEach(function (b) {
        b.setAttribute('aria-selected', b.dataset.task === task ? 'true' : 'false');
      });
      document.querySelectorAll('figure.hist').forEach(function (f) { f.hidden = f.dataset.task !== task; });
      refresh();
    }

    document.querySelector('.tabs').addEventListener('click', function (e) {
      var b = e.target.closest('button');
      if (b) selectTask(b.dataset.task);
    });
    el('hists').addEventListener('click', function (e) {
      var bar = e.target.closest('rect[data-lo]');
      if (!bar) return;
      el('min').value = bar.dataset.lo;
      st.min = Number(bar.dataset.lo);
      st.page = 0;
      refresh();
    });
    document.querySelector('#pairs thead').addEventListener('click', function (e) {
      var b = e.target.closest('button[data-sort]');
      if (!b) return;
      var k = b.dataset.sort;
      st.desc = st.sort === k ? !st.desc : !!numeric[k];
      st.sort = k;
      st.page = 0;
      document.querySelectorAll('#pairs thead th').forEach(function (h) {
        if (h.contains(b)) h.setAttribute('aria-sort', st.desc ? 'descending' : 'ascending');
        else h.removeAttribute('aria-sort');
      });
      refresh();
    });
    el('who').addEventListener('input', function () { st.who = this.value; st.page = 0; refresh(); });
    el('min').addEventListener('input', function () { st.min = Number(this.value) || 0; st.page = 0; refresh(); });
    el('prev').addEventListener('click', function () { st.page--; renderRows(); });
    el('next').addEventListener('click', function () { st.page++; renderRows(); });

    function choose(tr) {
      var p = pairs[Number(tr.dataset.i)];
      var h = '#pair=' + pairKey(p);
      if (location.hash === h) openPair(p);
      else location.hash = h;
    }
    el('rows').addEventListener('click', function (e) {
      var tr = e.target.closest('tr');
      if (tr) choose(tr);
    });
    el('rows').addEventListener('keydown', function (e) {
      var tr = e.target.closest('tr');
      if (tr && e.key === 'Enter') choose(tr);
    });

    // The pair view.

    // sides[s] for s = 0 (A), 1 (B): the scrolling pane and, by match,
    // the line elements of its span.
    var sides = [];

    function renderSide(pane, p, s) {
      var who = s === 0 ? p.a : p.b;
      var files = (D.files[who] || {})[p.task] || [];
      var head = make('div', 'sidehead', (s === 0 ? 'A: ' : 'B: ') + D.ids[who]);
      head.appendChild(make('span', 'sub', ' \u00b7 share ' + pct(s === 0 ? p.sa : p.sb) + ' of ' + (s === 0 ? p.fa : p.fb) + ' fingerprints'));
      var frag = document.createDocumentFragment();
      frag.appendChild(head);
      if (files.length === 0) frag.appendChild(make('div', 'none', 'No file of ' + p.task + '.'));
      // owner[f][line]: the match that colours the line, the longest
      // where spans overlap (matches come longest first).
      var spans = p.m.map(function () { return []; });
      files.forEach(function (f, fi) {
        var lines = f[1].split('\n');
        var owner = new Array(lines.length + 1).fill(-1);
        p.m.forEach(function (m, k) {
          if (m[s * 3] !== fi) return;
          for (var l = m[s * 3 + 1]; l <= m[s * 3 + 2] && l <= lines.length; l++) if (owner[l] < 0) owner[l] = k;
        });
        frag.appendChild(make('div', 'fname', f[0]));
        var code = make('div', 'code');
        var lineEls = [null];
        for (var l = 1; l <= lines.length; l++) {
          var line = lines[l - 1];
          if (line.endsWith('\r')) line = line.slice(0, -1);
          var div = make('div', 'l');
          div.appendChild(make('span', 'n', l));
          div.appendChild(make('span', 't', line));
          if (owner[l] >= 0) {
            div.className = 'l hl c' + (owner[l] % 6);
            div.dataset.m = owner[l];
          }
          lineEls.push(div);
          code.appendChild(div);
        }
        p.m.forEach(function (m, k) {
          if (m[s * 3] !== fi) return;
          for (var l = m[s * 3 + 1]; l <= m[s * 3 + 2] && l < lineEls.length; l++) spans[k].push(lineEls[l]);
        });
        frag.appendChild(code);
      });
      pane.replaceChildren(frag);
      pane.scrollTop = 0;
      return { pane: pane, spans: spans };
    }

    // jump scrolls side s to its span of match k and marks the span.
    function jump(s, k) {
      var side = sides[s], span = side.spans[k];
      if (!span || span.length === 0) return;
      var pane = side.pane, head = pane.querySelector('.sidehead');
      pane.scrollTop += span[0].getBoundingClientRect().top - pane.getBoundingClientRect().top - (head ? head.offsetHeight : 0) - 24;
      document.querySelectorAll('.l.flash').forEach(function (n) { n.classList.remove('flash'); });
      span.forEach(function (n) { n.classList.add('flash'); });
    }

    function openPair(p) {
      st.current = p;
      el('nopair').hidden = true;
      el('pairtitle').replaceChildren(text(document.createElement('span'), p.task + ': ' + D.ids[p.a] + ' and ' + D.ids[p.b]));
      el('pairstats').textContent = 'score ' + p.score.toFixed(2) + ' \u00b7 share A ' + pct(p.sa) + ', share B ' + pct(p.sb) +
        ' \u00b7 longest run ' + p.longest + ' tokens \u00b7 ' + p.m.length + (p.m.length === 1 ? ' matching span' : ' matching spans') +
        (p.m.length ? ': click one, or a highlighted line, to show its partner' : '');
      var names = function (s) {
        var files = (D.files[s === 0 ? p.a : p.b] || {})[p.task] || [];
        return function (m) { var f = files[m[s * 3]]; return (f ? f[0] : '?') + ':' + m[s * 3 + 1] + '\u2013' + m[s * 3 + 2]; };
      };
      var nameA = names(0), nameB = names(1);
      var list = document.createDocumentFragment();
      p.m.forEach(function (m, k) {
        var li = make('li', '', nameA(m) + ' \u2194 ' + nameB(m) + ' (' + m[6] + ' tokens)');
        li.dataset.m = k;
        list.appendChild(li);
      });
      el('matches').replaceChildren(list);
      sides = [renderSide(el('sideA'), p, 0), renderSide(el('sideB'), p, 1)];
      el('pair').hidden = false;
      renderRows();
      el('pair').scrollIntoView({ block: 'start' });
    }

    el('matches').addEventListener('click', function (e) {
      var li = e.target.closest('li[data-m]');
      if (!li) return;
      jump(0, Number(li.dataset.m));
      jump(1, Number(li.dataset.m));
      sides[0].spans[Number(li.dataset.m)].concat(sides[1].spans[Number(li.dataset.m)]).forEach(function (n) { n.classList.add('flash'); });
    });
    [0, 1].forEach(function (s) {
      el(s === 0 ? 'sideA' : 'sideB').addEventListener('click', function (e) {
        var line = e.target.closest('.l[data-m]');
        if (!line) return;
        var k = Number(line.dataset.m);
        jump(1 - s, k);
        sides[s].spans[k].forEach(function (n) { n.classList.add('flash'); });
      });
    });
    el('close').addEventListener('click', function () {
      history.replaceState(null, '', location.pathname + location.search);
      closePair();
    });

    function closePair() {
      st.current = null;
      el('pair').hidden = true;
      el('sideA').replaceChildren();
      el('sideB').replaceChildren();
      renderRows();
    }

    function onHash() {
      var h = location.hash;
      if (h.indexOf('#pair=') !== 0) { closePair(); return; }
      var parts = h.slice('#pair='.length).split('/'), p;
      try { p = byKey.get(JSON.stringify(parts.map(decodeURIComponent))); } catch (e) { p = undefined; }
      if (!p) {
        closePair();
        var n = el('nopair');
        n.replaceChildren(text(document.createElement('span'), 'This report has no pair ' + parts.join(' / ') +
          ' (it lists the top pairs of each task; similarity.csv has them all).'));
        n.hidden = false;
        return;
      }
      openPair(p);
    }

    window.addEventListener('hashchange', onHash);
    refresh();
    onHash();
  }
})();
