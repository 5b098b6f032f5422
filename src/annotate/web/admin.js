// emonet annotate admin pages: fills the server-rendered frames from the admin JSON API
// (docs/annotate-api.md) and refreshes progress and agreement while the page is open.
// Every value goes into the page with textContent, never as HTML.
'use strict';
(function () {
  const { api, PAGE, setError } = window.EmoNet;
  const $ = (id) => document.getElementById(id);
  const REFRESH_MS = 10000;

  function cell(tag, text, className) {
    const node = document.createElement(tag);
    node.textContent = text === undefined || text === null ? '' : String(text);
    if (className) node.className = className;
    return node;
  }
  // columns: [{title, value: (row) => text | Node, numeric}]
  function table(id, rows, columns, caption) {
    const t = document.createElement('table');
    t.id = id;
    if (caption) t.append(cell('caption', caption, 'visually-hidden'));
    const head = document.createElement('tr');
    for (const column of columns) {
      const th = cell('th', column.title, column.numeric ? 'num' : '');
      th.scope = 'col';
      head.append(th);
    }
    const thead = document.createElement('thead');
    thead.append(head);
    const tbody = document.createElement('tbody');
    for (const row of rows) {
      const tr = document.createElement('tr');
      for (const column of columns) {
        const value = column.value(row);
        if (value instanceof Node) {
          const td = document.createElement('td');
          td.append(value);
          tr.append(td);
        } else {
          tr.append(cell('td', value, column.numeric ? 'num' : ''));
        }
      }
      tbody.append(tr);
    }
    t.append(thead, tbody);
    return t;
  }
  function replace(id, node) {
    const target = $(id);
    target.replaceChildren(node);
  }
  function link(href, text) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    return a;
  }
  function meter(value, max, label) {
    const p = document.createElement('progress');
    p.max = Math.max(1, max);
    p.value = value;
    p.setAttribute('aria-label', label);
    return p;
  }
  const fixed = (x, digits = 3) => (typeof x === 'number' && isFinite(x) ? x.toFixed(digits) : '–');
  const when = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '');
  const seconds = (ms) => (typeof ms === 'number' ? (ms / 1000).toFixed(1) + ' s' : '–');

  // ---- /admin -------------------------------------------------------------------------
  async function loadProjects() {
    const reply = await api('GET', '/api/admin/projects');
    const projects = reply.projects || [];
    if (projects.length === 0) {
      replace('projects', cell('p', 'No projects yet. Create one with `emonet annotate project create` or the API.', 'muted'));
      return;
    }
    replace('projects', table('project-table', projects, [
      { title: 'Project', value: (p) => link('/admin/projects/' + p.id, p.name) },
      { title: 'Task', value: (p) => p.protocol },
      { title: 'Items', value: (p) => p.items, numeric: true },
      { title: 'Overlap k', value: (p) => p.overlap, numeric: true },
      { title: 'Lease', value: (p) => (p.lease_seconds ? Math.round(p.lease_seconds / 60) + ' min' : ''), numeric: true },
    ], 'Projects'));
  }
  async function loadUsers() {
    const reply = await api('GET', '/api/admin/users');
    replace('users', table('user-table', reply.users || [], [
      { title: 'User', value: (u) => u.name },
      { title: 'Role', value: (u) => u.role },
    ], 'Users'));
  }
  async function loadAudit() {
    const reply = await api('GET', '/api/admin/audit?limit=50');
    const events = reply.events || [];
    replace('audit', events.length ? table('audit-table', events, [
      { title: 'When (UTC)', value: (e) => when(e.created_ms) },
      { title: 'User', value: (e) => e.user || '(command line)' },
      { title: 'Action', value: (e) => e.action },
      { title: 'Detail', value: (e) => (typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)) },
    ], 'Audit log') : cell('p', 'No admin actions yet.', 'muted'));
  }
  function overviewPage() {
    const form = $('add-user');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      $('add-user-error').textContent = '';
      const body = {
        username: $('new-username').value.trim(),
        password: $('new-password').value,
        role: $('new-role').value,
      };
      try {
        const reply = await api('POST', '/api/admin/users', body);
        $('add-user-status').textContent = 'Added ' + reply.user.name + ' (' + reply.user.role + ').';
        form.reset();
        await Promise.all([loadUsers(), loadAudit()]);
      } catch (error) {
        $('add-user-error').textContent = error.message;
      }
    });
    const projectForm = $('add-project');
    projectForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      $('add-project-error').textContent = '';
      const body = {
        name: $('project-name').value.trim(),
        protocol: $('project-protocol').value,
        images: $('project-images').value.trim(),
        manifest: $('project-manifest').value.trim(),
        overlap: Number($('project-overlap').value),
      };
      try {
        const reply = await api('POST', '/api/admin/projects', body);
        $('add-project-status').textContent = 'Created ' + reply.project.name + '.';
        projectForm.reset();
        await Promise.all([loadProjects(), loadAudit()]);
      } catch (error) {
        $('add-project-error').textContent = error.message;
      }
    });
    const refresh = () => Promise.all([loadProjects(), loadUsers(), loadAudit()])
                              .catch((error) => setError(error.message));
    refresh();
  }

  // ---- /admin/projects/{pid} ----------------------------------------------------------
  function projectPage() {
    const pid = PAGE.project_id;
    const base = '/api/admin/projects/' + encodeURIComponent(pid);
    let offset = 0;
    const LIMIT = 100;

    async function loadSummary() {
      const reply = await api('GET', '/api/admin/projects');
      const project = (reply.projects || []).find((p) => p.id === pid);
      if (!project) return;
      $('project-title').textContent = project.name;
      document.title = project.name + ' · emonet annotate';
      $('project-summary').textContent = project.protocol + ' · ' + project.items + ' items · overlap k = ' + project.overlap;
      // Only the export formats of this protocol are offered.
      const allowed = { intensity: ['hq.csv', 'jsonl', 'events.jsonl'],
                        binary: ['binary.csv', 'jsonl', 'events.jsonl'],
                        compare: ['compare.csv', 'jsonl', 'events.jsonl'] }[project.protocol];
      if (allowed) {
        for (const li of document.querySelectorAll('#downloads li')) {
          li.hidden = !allowed.includes(li.dataset.format);
        }
      }
    }
    async function loadProgress() {
      const reply = await api('GET', base + '/progress?offset=' + offset + '&limit=' + LIMIT);
      const items = reply.items || {};
      $('item-counts').textContent = 'Items: ' + (items.total || 0) + ' total, ' + (items.complete || 0) +
          ' complete, ' + (items.in_progress || 0) + ' in progress, ' + (items.untouched || 0) + ' untouched.';
      replace('experts', table('expert-table', reply.experts || [], [
        { title: 'Expert', value: (e) => e.name },
        { title: 'Answered', value: (e) => e.answered, numeric: true },
        { title: 'Leased now', value: (e) => e.leased, numeric: true },
        { title: 'Mean response', value: (e) => seconds(e.mean_response_ms), numeric: true },
        { title: 'Share', value: (e) => meter(e.answered, items.total || 1, e.name + ' answered') },
      ], 'Progress per expert'));
      const perItem = reply.per_item || [];
      replace('items', table('item-table', perItem, [
        { title: 'Item', value: (i) => i.item_id, numeric: true },
        { title: 'Image', value: (i) => i.image },
        { title: 'Votes', value: (i) => i.votes, numeric: true },
        { title: 'Target votes', value: (i) => i.target_votes, numeric: true },
        { title: 'Closed', value: (i) => (i.closed ? 'yes' : 'no') },
        { title: 'Leased', value: (i) => i.leased, numeric: true },
      ], 'Progress per item'));
      $('items-range').textContent = perItem.length ? 'items ' + (offset + 1) + '–' + (offset + perItem.length) : 'no items';
      $('items-prev').disabled = offset === 0;
      $('items-next').disabled = perItem.length < LIMIT;
    }
    function interval(value) {
      if (!value) return '–';
      return fixed(value.value) + ' [' + fixed(value.ci_low) + ', ' + fixed(value.ci_high) + ']';
    }
    async function loadAgreement() {
      const a = await api('GET', base + '/agreement');
      let node;
      if (a.kind === 'intensity') {
        node = document.createElement('div');
        node.append(table('agreement-table', [
          { name: "Krippendorff's alpha (95 % bootstrap CI)", value: interval(a.alpha) },
          { name: 'Mean pairwise quadratic-weighted kappa (95 % CI)', value: interval(a.kappa) },
          { name: 'Experts', value: a.experts },
          { name: 'Items with 2+ ratings', value: a.items_with_2plus },
        ], [
          { title: 'Statistic', value: (r) => r.name },
          { title: 'Value', value: (r) => r.value, numeric: true },
        ], 'Agreement'));
        if ((a.per_emotion || []).length) {
          node.append(table('agreement-per-emotion', a.per_emotion, [
            { title: 'Emotion', value: (r) => r.emotion },
            { title: 'alpha', value: (r) => fixed(r.alpha), numeric: true },
          ], 'Alpha per emotion'));
        }
      } else if (a.kind === 'binary') {
        const outcomes = a.outcomes || {};
        node = table('agreement-table', Object.keys(outcomes).map((k) => ({ k, n: outcomes[k] })), [
          { title: 'Vote outcome', value: (r) => r.k },
          { title: 'Items', value: (r) => r.n, numeric: true },
        ], 'Vote outcomes');
      } else {
        const picks = a.picks || {};
        node = table('agreement-table', Object.keys(picks).map((k) => ({ k, n: picks[k] })), [
          { title: 'Picked source', value: (r) => r.k },
          { title: 'Picks', value: (r) => r.n, numeric: true },
        ], 'Picks');
      }
      replace('agreement', node);
      $('agreement-updated').textContent = '(updated ' + new Date().toLocaleTimeString() + ')';
    }
    async function loadDisagreement() {
      const reply = await api('GET', base + '/disagreement?limit=20');
      const items = reply.items || [];
      replace('disagreement', items.length ? table('disagreement-table', items, [
        { title: 'Item', value: (i) => i.item_id, numeric: true },
        { title: 'Image', value: (i) => link('/images/' + pid + '/' + i.item_id, i.image) },
        { title: 'Votes', value: (i) => i.votes, numeric: true },
        { title: 'Spread', value: (i) => fixed(i.spread), numeric: true },
      ], 'Most disagreement') : cell('p', 'No item has two or more answers yet.', 'muted'));
    }
    $('items-prev').addEventListener('click', () => {
      offset = Math.max(0, offset - LIMIT);
      loadProgress().catch((e) => setError(e.message));
    });
    $('items-next').addEventListener('click', () => {
      offset += LIMIT;
      loadProgress().catch((e) => setError(e.message));
    });
    const refresh = () => Promise.all([loadProgress(), loadAgreement(), loadDisagreement()])
                              .catch((error) => setError(error.message));
    loadSummary().catch((error) => setError(error.message));
    refresh();
    setInterval(() => {
      if (!document.hidden) refresh();
    }, REFRESH_MS);
  }

  if (PAGE.page === 'admin') overviewPage();
  if (PAGE.page === 'admin-project') projectPage();
})();
