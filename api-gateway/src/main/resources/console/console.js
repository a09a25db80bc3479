// The tensorfs admin console: plain JavaScript over the node's admin HTTP API. The admin token is kept in
// sessionStorage for this browser session and sent as "Authorization: Bearer" with every call.
'use strict';

const TOKEN_KEY = 'tensorfs.adminToken';
const REFRESH_MS = 3000;
const state = { view: 'cluster', dir: '/', statPath: null, timer: null, events: null, members: [] };

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
};

function token() { return sessionStorage.getItem(TOKEN_KEY); }

/** An API failure with the server's JSON error code and message. */
class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = { 'Authorization': 'Bearer ' + token() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!response.ok) {
    const code = json && json.error ? json.error : 'HTTP_' + response.status;
    const message = json && json.message ? json.message : (text || response.statusText);
    const err = new ApiError(response.status, code, message);
    if (response.status === 401) loggedOut(err);
    throw err;
  }
  return json;
}

function showError(err) {
  const banner = $('#error-banner');
  if (!err) { banner.hidden = true; banner.textContent = ''; return; }
  banner.textContent = (err.code ? err.code + ': ' : '') + err.message;
  banner.hidden = false;
}

// ---- login ----
function loggedOut(err) {
  sessionStorage.removeItem(TOKEN_KEY);
  stopLive();
  $('#app').hidden = true; $('#nav').hidden = true; $('#login').hidden = false;
  const e = $('#login-error');
  if (err) { e.textContent = 'Refused: ' + err.code + ': ' + err.message; e.hidden = false; }
}

async function login(candidate) {
  sessionStorage.setItem(TOKEN_KEY, candidate);
  try {
    await api('GET', '/v1/admin/cluster');
  } catch (err) {
    if (err.status !== 401) loggedOut(err);
    return;
  }
  $('#login-error').hidden = true; $('#login').hidden = true;
  $('#app').hidden = false; $('#nav').hidden = false;
  startEvents();
  show(state.view);
}

$('#login-form').addEventListener('submit', ev => { ev.preventDefault(); login($('#token').value.trim()); });
$('#logout').addEventListener('click', () => loggedOut(null));

// ---- navigation and refresh ----
document.querySelectorAll('nav button[data-view]').forEach(b => b.addEventListener('click', () => show(b.dataset.view)));

function show(view) {
  state.view = view;
  document.querySelectorAll('nav button[data-view]').forEach(b => b.classList.toggle('active', b.dataset.view === view));
  document.querySelectorAll('.view').forEach(v => { v.hidden = v.id !== 'view-' + view; });
  refresh();
  clearInterval(state.timer);
  state.timer = setInterval(refresh, REFRESH_MS);
}

async function refresh() {
  if (!token()) return;
  try {
    await ({ cluster: loadCluster, sharding: loadSharding, nodes: loadNodes, data: loadData, actions: loadActions })[state.view]();
    showError(null);
  } catch (err) {
    if (err.status !== 401) showError(err);
  }
}

function stopLive() {
  clearInterval(state.timer);
  if (state.events) { state.events.abort(); state.events = null; }
}

// ---- formatting ----
function bytes(n) {
  if (n == null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0; let v = Number(n);
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}
function since(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + (s % 60) + 's';
}
function fill(table, rows) {
  const body = $('tbody', table);
  body.replaceChildren(...rows);
  if (!rows.length) body.append(el('tr', {}, el('td', { colspan: $('thead tr', table).children.length, class: 'muted', text: 'none' })));
}

// ---- Cluster ----
async function loadCluster() {
  const c = await api('GET', '/v1/admin/cluster');
  state.members = c.members;
  $('#cluster-summary').textContent = c.members.length + ' members · this node ' + c.self + ' · leader ' + (c.leader || 'none') + ' · version ' + c.version;
  fill($('#members'), c.members.map(m => el('tr', { class: 'member', 'data-node': m.nodeId, 'data-status': m.status, 'data-reachable': m.reachable },
    el('td', { text: m.nodeId }), el('td', { text: m.address }),
    el('td', { class: m.status === 'Up' ? 'ok' : 'warn', text: m.status }), el('td', { text: m.roles.join(', ') }),
    el('td', { class: m.reachable ? 'ok' : 'bad', text: m.reachable ? 'yes' : 'no' }),
    el('td', { text: m.nodeId === c.leader ? 'leader' : '' }),
    el('td', { text: m.upSince ? since(m.upSince) + ' ago' : 'unknown', title: m.upSince || '' }),
    el('td', { text: m.version || '' }))));
}

/** Live events: fetch with a stream reader, since EventSource cannot send the Authorization header. */
async function startEvents() {
  if (state.events) state.events.abort();
  const controller = new AbortController();
  state.events = controller;
  try {
    const response = await fetch('/v1/admin/events', { headers: { 'Authorization': 'Bearer ' + token() }, signal: controller.signal });
    if (!response.ok) throw new ApiError(response.status, 'HTTP_' + response.status, 'the event stream was refused');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter(l => l.startsWith('data: ')).map(l => l.slice(6)).join('\n');
        if (data) addEvent(JSON.parse(data));
      }
    }
  } catch (err) {
    if (controller.signal.aborted) return;
  }
  if (state.events === controller && token()) setTimeout(startEvents, 2000); // the node went away: reconnect
}

function addEvent(e) {
  const list = $('#events');
  const key = e.time + e.kind + e.node + e.detail;
  if ([...list.children].some(li => li.dataset.key === key)) return; // replayed after a reconnect
  const cls = /unreachable|downed|removed|checksum/.test(e.kind) ? 'bad' : /repair|drain|left/.test(e.kind) ? 'warn' : 'ok';
  list.prepend(el('li', { class: 'event', 'data-kind': e.kind, 'data-node': e.node, 'data-key': key },
    el('span', { class: 'time', text: new Date(e.time).toISOString().slice(11, 19) + ' ' }),
    el('span', { class: 'kind ' + cls, text: e.kind }), ' ', el('b', { text: e.node }), ' ', e.detail));
  while (list.children.length > 200) list.lastChild.remove();
}

// ---- Sharding ----
async function loadSharding() {
  const s = await api('GET', '/v1/admin/sharding');
  $('#sharding').replaceChildren(...s.types.map(t => {
    const table = el('table', { class: 'sharding-type', 'data-type': t.type },
      el('thead', {}, el('tr', {}, el('th', { text: 'node' }), el('th', { class: 'num', text: 'shards' }),
        el('th', { class: 'num', text: 'entities' }), el('th', { text: 'share of shards' }))),
      el('tbody'));
    fill(table, t.regions.map(r => el('tr', { class: 'region', 'data-type': t.type, 'data-node': r.node, 'data-shards': r.shards, 'data-entities': r.entities },
      el('td', { text: r.node }), el('td', { class: 'num', text: r.shards }), el('td', { class: 'num', text: r.entities }),
      el('td', {}, el('div', { class: 'bar' }, el('span', { style: 'width:' + (t.totalShards ? 100 * r.shards / t.totalShards : 0) + '%' }))))));
    return el('div', { class: 'panel' },
      el('h3', { text: t.type + ' — ' + t.totalShards + ' shards, ' + t.totalEntities + ' entities, imbalance ' + t.imbalance.toFixed(2) + (t.rebalancing ? ' — rebalancing' : '') }),
      table);
  }));
}

// ---- Nodes ----
async function loadNodes() {
  const n = await api('GET', '/v1/admin/nodes');
  const series = await Promise.all(n.nodes.map(node => node.error ? null
    : api('GET', '/v1/admin/nodes/' + encodeURIComponent(node.nodeId) + '/metrics?window=300').catch(() => null)));
  $('#nodes').replaceChildren(...n.nodes.map((node, i) => nodeCard(node, series[i])));
}

function nodeCard(node, series) {
  const card = el('div', { class: 'nodecard', 'data-node': node.nodeId });
  if (node.error) {
    card.append(el('h3', { text: node.nodeId }), el('p', { class: 'bad', text: node.error }));
    return card;
  }
  const c = node.cache;
  card.append(el('h3', { text: node.nodeId + ' · up ' + since(node.startedAt) + ' · ' + node.version }));
  const stores = el('table', {}, el('thead', {}, el('tr', {}, ...['store', 'path', 'capacity', 'used', 'free', 'health'].map(h => el('th', { text: h })))), el('tbody'));
  fill(stores, node.stores.map(s => el('tr', {}, el('td', { text: s.id }), el('td', { text: s.path }), el('td', { text: bytes(s.capacityBytes) }),
    el('td', { text: bytes(s.usedBytes) }), el('td', { text: bytes(s.freeBytes) }), el('td', { class: s.healthy ? 'ok' : 'bad', text: s.healthy ? 'healthy' : 'failing' }))));
  card.append(stores,
    el('p', {}, el('b', { text: 'Cache ' }), bytes(c.usedBytes) + ' of ' + bytes(c.capacityBytes) + ' used, ' + bytes(c.pinnedBytes) + ' pinned, '
      + bytes(c.dirtyBytes) + ' dirty, ' + c.files + ' files, hit ratio ' + (100 * c.hitRatio).toFixed(1) + '% (' + c.memoryKind + ')'),
    el('p', {}, el('b', { text: 'GPU sinks ' }), node.gpus.join('; ') || 'none'),
    el('p', {}, el('b', { text: 'Transport ' }), node.transport.kind + ' at ' + node.transport.endpoint + '; sent ' + bytes(node.transport.bytesSent)
      + ', received ' + bytes(node.transport.bytesReceived) + '; peers: ' + (node.transport.peers.join(', ') || 'none')));
  if (series && series.samples.length) {
    const s = series.samples;
    card.append(el('div', { class: 'charts' },
      chart('reads B/s', s.map(x => x.readBytesPerSecond), bytes),
      chart('writes B/s', s.map(x => x.writeBytesPerSecond), bytes),
      chart('transport sent B/s', s.map(x => x.sentBytesPerSecond), bytes),
      chart('requests/s', s.map(x => x.requestsPerSecond), v => v.toFixed(1)),
      chart('mean latency ms', s.map(x => x.meanLatencyMs), v => v.toFixed(2))));
  }
  return card;
}

/** A small line chart as inline SVG: the last minutes of one series. */
function chart(title, values, format) {
  const w = 220, h = 70, ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', w); svg.setAttribute('height', h + 18); svg.setAttribute('class', 'chart');
  const max = Math.max(1e-9, ...values);
  const pts = values.map((v, i) => ((values.length === 1 ? w : i * w / (values.length - 1))).toFixed(1) + ',' + (h - (v / max) * (h - 4) + 14).toFixed(1));
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts.join(' ')); line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#2563eb'); line.setAttribute('stroke-width', '1.5');
  const label = document.createElementNS(ns, 'text');
  label.setAttribute('x', 4); label.setAttribute('y', 11);
  label.textContent = title + ' · now ' + format(values[values.length - 1]) + ' · max ' + format(Math.max(0, ...values));
  svg.append(label, line);
  return svg;
}

// ---- Data ----
async function loadData() {
  const jobs = [loadListing(), loadUnder(), loadHot(), loadTenants()];
  if (state.statPath) jobs.push(loadStat(state.statPath));
  const results = await Promise.allSettled(jobs);
  const failed = results.find(r => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function pathOf(dir, name) { return (dir.endsWith('/') ? dir : dir + '/') + name; }
function encodePath(p) { return p.split('/').map(encodeURIComponent).join('/'); }

async function loadListing() {
  const dir = state.dir;
  const l = await api('GET', '/v1/list' + encodePath(dir) + '?limit=1000');
  const rows = [];
  if (dir !== '/') rows.push(el('tr', {}, el('td', {}, el('a', { onclick: () => openDir(dir.replace(/\/[^/]+\/?$/, '') || '/'), text: '..' })), el('td'), el('td')));
  fill($('#listing'), rows.concat(listingRows(dir, l)));
}

// One page's rows; a last row "more" fetches the next page in its place (a directory may hold millions).
function listingRows(dir, page) {
  const rows = page.entries.map(e => {
    const p = pathOf(dir, e.name);
    return el('tr', { class: 'entry', 'data-path': p },
      el('td', {}, el('a', { onclick: () => e.type === 'file' ? openStat(p) : openDir(p), text: e.name })),
      el('td', { text: e.type }), el('td', { text: e.type === 'file' ? bytes(e.size) : '' }));
  });
  if (page.next) {
    const more = el('tr', { class: 'more' }, el('td', {}, el('a', { text: 'more…', onclick: () => {
      api('GET', '/v1/list' + encodePath(dir) + '?limit=1000&after=' + page.next).then(next => {
        if (state.dir === dir) more.replaceWith(...listingRows(dir, next));
      }).catch(showError);
    } })), el('td'), el('td'));
    rows.push(more);
  }
  return rows;
}

function openDir(dir) { state.dir = dir; $('#browse-path').value = dir; loadListing().catch(showError); }
function openStat(p) {
  state.statPath = p;
  openDir(p.replace(/\/[^/]+$/, '') || '/');
  loadStat(p).catch(showError);
}

$('#browse-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const p = $('#browse-path').value.trim() || '/';
  api('GET', '/v1/stat' + encodePath(p)).then(() => openStat(p)).catch(() => openDir(p));
});

async function loadStat(p) {
  const s = await api('GET', '/v1/stat' + encodePath(p));
  const table = el('table', { id: 'chunks' }, el('thead', {}, el('tr', {}, ...['chunk', 'length', 'crc32c', 'replica node', 'store', 'state', 'in memory'].map(h => el('th', { text: h })))), el('tbody'));
  const rows = [];
  for (const c of s.chunks) {
    c.replicas.forEach((r, i) => rows.push(el('tr', { class: 'chunk-replica', 'data-chunk': c.index, 'data-node': r.node, 'data-state': r.state },
      el('td', { text: i === 0 ? c.index : '' }), el('td', { text: i === 0 ? bytes(c.length) : '' }), el('td', { text: i === 0 ? c.crc32c : '' }),
      el('td', { text: r.node }), el('td', { text: r.store }), el('td', { class: r.state === 'CLEAN' ? 'ok' : 'warn', text: r.state }),
      el('td', { text: i === 0 && c.memory ? c.memory.nodes.join(', ') : '' }))));
  }
  fill(table, rows);
  $('#stat').replaceChildren(el('h3', { text: s.path }),
    el('p', { id: 'stat-summary', text: bytes(s.size) + ' · policy ' + s.policy + ' · version ' + s.version + ' · ' + s.chunks.length + ' chunks · '
      + s.replicasWanted + ' replicas wanted' + (s.underReplicated ? ' · UNDER-REPLICATED' : '') }), table);
}

async function loadUnder() {
  const u = await api('GET', '/v1/admin/under-replicated');
  fill($('#under'), u.chunks.map(c => el('tr', { class: 'under' }, el('td', { text: c.path }), el('td', { text: c.chunk }),
    el('td', { text: c.replicas }), el('td', { text: c.wanted }), el('td', { text: c.states.join('; ') }))));
  fill($('#repairs'), u.repairs.map(r => el('tr', {}, el('td', { text: r.path }), el('td', { text: r.chunk }), el('td', { text: r.from }),
    el('td', { text: r.targets.join(', ') }), el('td', { text: since(r.since) + ' ago' }))));
}

async function loadHot() {
  const h = await api('GET', '/v1/admin/hot');
  fill($('#hot'), h.files.map(f => el('tr', {}, el('td', { text: f.path }), el('td', { text: f.readsPerSecond.toFixed(1) }),
    el('td', { text: f.memoryReplicas.join(', ') }), el('td', { text: f.policy || '' }), el('td', { text: f.readers.join(', ') }))));
}

async function loadTenants() {
  let t;
  try { t = await api('GET', '/v1/admin/tenants'); } catch (err) {
    if (err.status === 404) { fill($('#tenants'), []); return; } // this node has no tenants endpoint
    throw err;
  }
  fill($('#tenants'), t.tenants.map(x => el('tr', {}, el('td', { text: x.tenant }), el('td', { text: bytes(x.usedBytes) }), el('td', { text: x.usedFiles }),
    el('td', { text: bytes(x.reservedBytes) }), el('td', { text: x.maxBytes == null ? 'no limit' : bytes(x.maxBytes) }),
    el('td', { text: x.maxFiles == null ? 'no limit' : x.maxFiles }))));
}

// ---- Actions ----
async function loadActions() {
  const select = $('#action-node');
  const c = await api('GET', '/v1/admin/cluster');
  const chosen = select.value;
  select.replaceChildren(...c.members.map(m => el('option', { value: m.nodeId, text: m.nodeId + ' (' + m.status + ')' })));
  if (chosen) select.value = chosen;
  const jobs = [api('GET', '/v1/admin/drains').then(d => fill($('#drains'), d.nodes.map(x => el('tr', { class: 'drain', 'data-node': x.node, 'data-state': x.state },
      el('td', { text: x.node }), el('td', { text: x.state }), el('td', { text: x.replicasLeft }), el('td', { text: x.since || '' }))))),
    api('GET', '/v1/admin/tokens').then(t => fill($('#tokens'), t.tokens.map(x => el('tr', { class: x.revoked ? 'muted' : '' },
      el('td', { text: x.id }), el('td', { text: x.tenant || '' }), el('td', { text: x.role }), el('td', { text: x.description || '' }),
      el('td', { text: x.created }), el('td', {}, x.revoked ? 'revoked' : el('button', { class: 'danger', 'data-revoke': x.id, text: 'Revoke',
        onclick: () => act('Revoke token ' + x.id + '?', () => api('DELETE', '/v1/admin/tokens/' + x.id), 'token ' + x.id + ' revoked') })))))) ];
  const results = await Promise.allSettled(jobs);
  const failed = results.find(r => r.status === 'rejected' && r.reason.status !== 404);
  if (failed) throw failed.reason;
}

/** Asks for confirmation, then runs {@code call}; shows its result or the API's error message. */
function act(question, call, done) {
  const dialog = $('#confirm');
  $('#confirm-text').textContent = question;
  dialog.returnValue = '';
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'yes') return;
    const out = $('#action-result');
    try {
      const r = await call();
      out.className = 'ok';
      out.textContent = typeof done === 'function' ? done(r) : done;
      showError(null);
      refresh();
    } catch (err) {
      out.className = 'error';
      out.textContent = 'Failed: ' + err.code + ': ' + err.message;
      showError(err);
    }
  };
  dialog.showModal();
}

const node = () => $('#action-node').value;
const actionPath = () => $('#action-path').value.trim();
$('#drain').addEventListener('click', () => act('Drain ' + node() + '? No new replicas go there and its replicas are copied away.',
  () => api('POST', '/v1/admin/nodes/' + encodeURIComponent(node()) + '/drain'), r => 'draining ' + r.node + ': ' + r.state));
$('#undrain').addEventListener('click', () => act('Undrain ' + node() + '?',
  () => api('DELETE', '/v1/admin/nodes/' + encodeURIComponent(node()) + '/drain'), r => r.node + ' is ' + r.state));
$('#decommission').addEventListener('click', () => act('Decommission ' + node() + '? It is drained, then leaves the cluster and stops.',
  () => api('POST', '/v1/admin/nodes/' + encodeURIComponent(node()) + '/decommission'), r => 'decommissioning ' + r.node + ': ' + r.state));
$('#repair').addEventListener('click', () => act('Start a repair sweep on every node?',
  () => api('POST', '/v1/admin/repair'), r => 'repair started on ' + r.nodes.join(', ')));
document.querySelectorAll('button[data-hint]').forEach(b => b.addEventListener('click', () => {
  const op = b.dataset.hint, p = actionPath();
  act(op + ' ' + p + '?', () => api('POST', '/v1/cache' + encodePath(p) + '?op=' + op), op + ' of ' + p + ' done');
}));
$('#delete').addEventListener('click', () => { const p = actionPath();
  act('Delete ' + p + '? This cannot be undone.', () => api('DELETE', '/v1/files' + encodePath(p)), p + ' deleted'); });
$('#set-quota').addEventListener('click', () => {
  const t = $('#quota-tenant').value.trim();
  const num = id => { const v = $(id).value.trim(); return v === '' ? null : Number(v); };
  const body = { maxBytes: num('#quota-bytes'), maxFiles: num('#quota-files') };
  act('Set the quota of tenant ' + t + ' to ' + JSON.stringify(body) + '?',
    () => api('PUT', '/v1/admin/tenants/' + encodeURIComponent(t) + '/quota', body), 'quota of ' + t + ' set');
});
$('#create-token').addEventListener('click', () => {
  const role = $('#token-role').value, tenant = $('#token-tenant').value.trim() || null;
  act('Create a ' + role + ' token' + (tenant ? ' for tenant ' + tenant : '') + '?',
    () => api('POST', '/v1/admin/tokens', { tenant, role, description: $('#token-description').value }),
    r => { const p = $('#new-token'); p.textContent = 'New token (shown once): ' + r.token; p.hidden = false; return 'token ' + r.id + ' created'; });
});

// ---- start ----
if (token()) login(token()); else loggedOut(null);
