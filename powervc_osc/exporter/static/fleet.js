// The fleet page of powervc-osc-exporter: the last poll, from api/fleet.
//
// Every value from the exporter is inserted as text (textContent, text
// nodes, attributes), never as markup.  The page refreshes itself by
// fetching the JSON again; it never reloads.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const COLUMNS = ['cloud', 'name', 'id', 'project', 'host', 'refcode',
                   'led_code', 'category', 'meaning', 'since', 'read_at'];
  const TEXT_KEYS = ['cloud', 'name', 'id', 'project', 'host', 'refcode',
                     'led_code', 'category', 'meaning', 'status'];
  const REASONS = {
    unreachable: 'cannot be reached',
    authentication: 'refused the login',
    permission: 'refused a request (a role is missing)',
    usage: 'rejected the request (check the filters)'
  };

  const view = {
    data: null,        // the last api/fleet document
    loads: 0,          // the documents read since the page opened
    sortKey: null,     // null: the exporter's order
    sortDown: false,
    category: null,    // the category chosen in the counts, or null
    selected: null,    // the server whose timeline is open
    timer: null
  };

  function $(id) { return document.getElementById(id); }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) {
      return '';
    }
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) { return seconds + ' s'; }
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) { return minutes + ' min'; }
    const hours = Math.floor(minutes / 60);
    if (hours < 48) { return hours + ' h ' + (minutes % 60) + ' min'; }
    return Math.floor(hours / 24) + ' d ' + (hours % 24) + ' h';
  }

  function stamp(seconds) {
    return seconds === null || seconds === undefined ? ''
      : new Date(seconds * 1000).toISOString()
        .replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  // What a row shows in a column (text only).
  function cell(server, key, now) {
    if (key === 'since') {
      return server.since === null ? '' : duration(now - server.since);
    }
    if (key === 'read_at') {
      return server.read_at === null ? ''
        : duration(now - server.read_at) + ' ago';
    }
    const value = server[key];
    return value === null || value === undefined ? '' : String(value);
  }

  function sortValue(server, key) {
    const data = view.data;
    if (key === 'category') {
      const rank = data.order.indexOf(server.category);
      return rank < 0 ? data.order.length : rank;
    }
    if (key === 'since' || key === 'read_at') {
      // Longest at the code (or oldest read) first.
      return server[key] === null ? Infinity : server[key];
    }
    const value = server[key];
    return value === null || value === undefined ? '' :
      String(value).toLowerCase();
  }

  function matches(server, words) {
    if (view.category && server.category !== view.category) {
      return false;
    }
    if (!words.length) { return true; }
    const text = TEXT_KEYS.map(function (k) {
      return server[k] === null || server[k] === undefined ? '' : server[k];
    }).join(' ').toLowerCase();
    return words.every(function (word) { return text.indexOf(word) >= 0; });
  }

  function shownServers() {
    const words = $('filter').value.toLowerCase().split(/\s+/)
      .filter(Boolean);
    const servers = view.data.servers.filter(function (s) {
      return matches(s, words);
    });
    if (view.sortKey) {
      const key = view.sortKey;
      const sign = view.sortDown ? -1 : 1;
      servers.sort(function (a, b) {
        const x = sortValue(a, key);
        const y = sortValue(b, key);
        return x < y ? -sign : x > y ? sign : 0;
      });
    }
    return servers;
  }

  // Columns without a value in any server are hidden, and so is the cloud
  // column of a single cloud.
  function visibleColumns() {
    const data = view.data;
    return COLUMNS.filter(function (key) {
      if (key === 'cloud') { return data.clouds.length > 1; }
      return data.servers.some(function (s) {
        return s[key] !== null && s[key] !== undefined && s[key] !== '';
      });
    });
  }

  function drawHeader(columns) {
    const heads = document.querySelectorAll('#fleet thead th');
    heads.forEach(function (th) {
      const key = th.dataset.key;
      th.hidden = columns.indexOf(key) < 0;
      th.setAttribute('aria-sort', key === view.sortKey ?
        (view.sortDown ? 'descending' : 'ascending') : 'none');
    });
  }

  function drawRows() {
    const data = view.data;
    const columns = visibleColumns();
    drawHeader(columns);
    const body = $('rows');
    const rows = document.createDocumentFragment();
    const servers = shownServers();
    servers.forEach(function (server) {
      const tr = element('tr', null, 'cat-' + server.category);
      tr.dataset.id = server.id;
      tr.dataset.cloud = server.cloud;
      if (data.history) {
        tr.tabIndex = 0;
        tr.classList.add('clickable');
        if (view.selected && view.selected.id === server.id) {
          tr.classList.add('selected');
        }
      }
      columns.forEach(function (key) {
        const td = element('td', cell(server, key, data.now), 'c-' + key);
        if (key === 'since' && server.since !== null) {
          td.title = 'since ' + stamp(server.since);
        } else if (key === 'read_at' && server.read_at !== null) {
          td.title = stamp(server.read_at);
        }
        tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    $('empty').hidden = servers.length > 0 || !data.servers.length;
    $('shown').textContent = servers.length === data.servers.length ?
      data.servers.length + ' servers' :
      servers.length + ' of ' + data.servers.length + ' servers';
  }

  function drawCounts() {
    const data = view.data;
    const list = $('counts');
    const items = document.createDocumentFragment();
    data.order.forEach(function (category) {
      const count = data.counts[category] || 0;
      if (!count) { return; }
      const button = element('button', null, 'count cat-' + category);
      button.type = 'button';
      button.dataset.category = category;
      button.setAttribute('aria-pressed',
                          String(view.category === category));
      button.appendChild(element('span', category, 'label'));
      button.appendChild(document.createTextNode(' '));
      button.appendChild(element('span', count, 'number'));
      const li = element('li');
      li.appendChild(button);
      items.appendChild(li);
    });
    list.replaceChildren(items);
  }

  function drawStatus() {
    const data = view.data;
    const polled = data.clouds.map(function (c) { return c.last_success; })
      .filter(function (t) { return t !== null; });
    let text;
    if (!data.clouds.length || !polled.length) {
      text = 'No poll has succeeded yet.';
    } else {
      text = 'Last poll ' + duration(data.now - Math.min.apply(null, polled)) +
        ' ago';
      if (data.clouds.length > 1) {
        text += ' (oldest of ' + data.clouds.length + ' clouds)';
      }
      text += '; the page refreshes every ' + duration(data.refresh) + '.';
    }
    $('status').textContent = text;
    const down = document.createDocumentFragment();
    data.clouds.forEach(function (cloud) {
      if (cloud.up) { return; }
      let line = 'Cloud ' + cloud.name + ' ' +
        (REASONS[cloud.reason] || 'failed') + ': ';
      line += cloud.last_success === null ? 'no server values yet.' :
        'its servers are as of ' + duration(data.now - cloud.last_success) +
        ' ago.';
      down.appendChild(element('li', line, 'cloud-down'));
    });
    $('clouds-down').replaceChildren(down);
  }

  function draw() {
    drawStatus();
    drawCounts();
    drawRows();
  }

  function schedule(seconds) {
    clearTimeout(view.timer);
    view.timer = setTimeout(load, seconds * 1000);
  }

  function load() {
    fetch('api/fleet', {cache: 'no-store', credentials: 'same-origin'})
      .then(function (answer) {
        if (!answer.ok) { throw new Error('HTTP ' + answer.status); }
        // Ages are reckoned by the exporter's clock, not the browser's.
        const date = Date.parse(answer.headers.get('Date') || '');
        return answer.json().then(function (data) {
          data.now = isNaN(date) ? Date.now() / 1000 : date / 1000;
          return data;
        });
      })
      .then(function (data) {
        view.data = data;
        view.loads += 1;
        document.body.dataset.loads = String(view.loads);
        draw();
        if (view.selected && data.history) {
          openTimeline(view.selected);   // the open timeline follows too
        }
        schedule(data.refresh);
      })
      .catch(function (error) {
        $('status').textContent = 'The exporter could not be read (' +
          error.message + '); trying again.';
        schedule(view.data ? view.data.refresh : 10);
      });
  }

  // The timeline of one server (--history): segments in proportion to the
  // time spent at each code.
  function drawTimeline(server, history) {
    const changes = history.changes;
    $('timeline-title').textContent = 'Timeline of ' +
      (server.name || server.id) + ' (' + server.id + ')';
    const chart = $('timeline-chart');
    const svg = document.createElementNS(SVG, 'svg');
    const width = 1000;
    svg.setAttribute('viewBox', '0 0 ' + width + ' 60');
    svg.setAttribute('width', '100%');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Codes over time');
    const tbody = $('timeline-table').tBodies[0];
    const rows = document.createDocumentFragment();
    if (changes.length) {
      const start = changes[0].at;
      const span = Math.max(1, history.now - start);
      changes.forEach(function (change) {
        const x = (change.at - start) / span * width;
        const w = Math.max(1, change.seconds / span * width);
        const g = document.createElementNS(SVG, 'g');
        g.setAttribute('class', 'segment cat-' + change.category);
        const rect = document.createElementNS(SVG, 'rect');
        rect.setAttribute('x', x.toFixed(1));
        rect.setAttribute('y', '4');
        rect.setAttribute('width', w.toFixed(1));
        rect.setAttribute('height', '32');
        const title = document.createElementNS(SVG, 'title');
        title.textContent = (change.refcode || '(no code)') + ': ' +
          duration(change.seconds);
        rect.appendChild(title);
        g.appendChild(rect);
        if (w > 70) {
          const label = document.createElementNS(SVG, 'text');
          label.setAttribute('x', (x + 4).toFixed(1));
          label.setAttribute('y', '25');
          label.textContent = change.refcode || '(no code)';
          g.appendChild(label);
        }
        svg.appendChild(g);
        const tr = element('tr', null, 'cat-' + change.category);
        [stamp(change.at), change.refcode, change.led_code, change.category,
         change.meaning, duration(change.seconds) +
         (change.until === null ? ' (now)' : '')].forEach(function (text) {
          tr.appendChild(element('td', text));
        });
        rows.appendChild(tr);
      });
      const axis = [[0, stamp(start), 'start'], [width, 'now', 'end']];
      axis.forEach(function (tick) {
        const label = document.createElementNS(SVG, 'text');
        label.setAttribute('x', String(tick[0]));
        label.setAttribute('y', '54');
        label.setAttribute('text-anchor', tick[2]);
        label.setAttribute('class', 'axis');
        label.textContent = tick[1];
        svg.appendChild(label);
      });
    } else {
      rows.appendChild(element('tr')).appendChild(
        element('td', 'No change of this server is recorded yet.'));
    }
    chart.replaceChildren(svg);
    tbody.replaceChildren(rows);
    $('timeline').hidden = false;
  }

  function openTimeline(server) {
    if (!view.selected || view.selected.id !== server.id) {
      view.selected = server;
      drawRows();
    }
    fetch('api/history?server=' + encodeURIComponent(server.id) +
          '&cloud=' + encodeURIComponent(server.cloud),
          {cache: 'no-store', credentials: 'same-origin'})
      .then(function (answer) {
        if (!answer.ok) { throw new Error('HTTP ' + answer.status); }
        return answer.json();
      })
      .then(function (history) {
        if (view.selected && view.selected.id === server.id) {
          drawTimeline(server, history);
        }
      })
      .catch(function (error) {
        if (!view.selected || view.selected.id !== server.id) { return; }
        $('timeline-title').textContent = 'The history of ' + server.id +
          ' could not be read (' + error.message + ')';
        $('timeline-chart').replaceChildren();
        $('timeline-table').tBodies[0].replaceChildren();
        $('timeline').hidden = false;
      });
  }

  function serverOfRow(tr) {
    return view.data.servers.find(function (s) {
      return s.id === tr.dataset.id && s.cloud === tr.dataset.cloud;
    });
  }

  function onRow(event) {
    if (!view.data || !view.data.history) { return; }
    if (event.type === 'keydown' && event.key !== 'Enter') { return; }
    const tr = event.target.closest('tr');
    const server = tr && serverOfRow(tr);
    if (server) { openTimeline(server); }
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('filter').addEventListener('input', function () {
      if (view.data) { drawRows(); }
    });
    $('counts').addEventListener('click', function (event) {
      const button = event.target.closest('button');
      if (!button) { return; }
      const category = button.dataset.category;
      view.category = view.category === category ? null : category;
      draw();
    });
    document.querySelector('#fleet thead').addEventListener(
      'click', function (event) {
        const th = event.target.closest('th');
        if (!th || !view.data) { return; }
        const key = th.dataset.key;
        view.sortDown = view.sortKey === key ? !view.sortDown : false;
        view.sortKey = key;
        drawRows();
      });
    $('rows').addEventListener('click', onRow);
    $('rows').addEventListener('keydown', onRow);
    $('timeline-close').addEventListener('click', function () {
      view.selected = null;
      $('timeline').hidden = true;
      if (view.data) { drawRows(); }
    });
    load();
  });
}());
