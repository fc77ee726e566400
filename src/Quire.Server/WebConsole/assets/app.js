// Quire's web console: plain JavaScript on the server's own HTTP API (no CDN, no build step).
'use strict';

const state = { db: null, token: localStorage.getItem('quire.token') || '', loaded: null, tail: null, samples: [], charts: {} };
const $ = (id) => document.getElementById(id);

function headers(json) {
  const h = {};
  if (state.token) h.Authorization = 'Bearer ' + state.token;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}

async function api(method, path, body) {
  const response = await fetch(path, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let value = null;
  try { value = text ? JSON.parse(text) : null; } catch { value = { error: text }; }
  if (!response.ok) {
    const error = new Error((value && value.error) || response.statusText);
    error.status = response.status;
    error.body = value;
    throw error;
  }
  return value;
}

function say(text, error) {
  const message = $('message');
  message.textContent = text || '';
  message.className = error ? 'error' : '';
}

const dbPath = (rest) => '/v1/databases/' + encodeURIComponent(state.db) + (rest || '');

// ---- databases and collections ----
async function loadDatabases() {
  const list = await api('GET', '/v1/databases');
  const ul = $('databases');
  ul.replaceChildren(...list.databases.map((d) => item(d.name, d.rows, d.name === state.db, () => selectDatabase(d.name))));
  const current = list.databases.find((d) => d.name === state.db);
  $('collections').replaceChildren(...(current ? Object.entries(current.collections).map(([c, n]) =>
    item(c, n, false, () => { $('nql').value = 'FROM ' + c + ' LIMIT 100'; showTab('query'); runQuery(false); })) : []));
  return list;
}

function item(name, count, selected, onclick) {
  const li = document.createElement('li');
  li.dataset.name = name;
  if (selected) li.className = 'selected';
  li.append(name);
  const small = document.createElement('small');
  small.textContent = count;
  li.append(small);
  li.onclick = onclick;
  return li;
}

async function selectDatabase(name) {
  state.db = name;
  location.hash = encodeURIComponent(name);
  stopTail();
  await loadDatabases();
  await loadIndexes();
  say('database ' + name);
}

// ---- query ----
async function runQuery(explain) {
  if (!state.db) { say('choose a database first', true); return; }
  const nql = $('nql').value.trim();
  if (!nql) return;
  const started = performance.now();
  try {
    const answer = await api('POST', dbPath('/query'), { nql: explain && !/^explain\b/i.test(nql) ? 'EXPLAIN ' + nql : nql });
    const fetched = performance.now();
    if (explain || /^explain\b/i.test(nql)) {
      $('plan').hidden = false;
      $('plan').textContent = JSON.stringify(answer.rows[0] ?? answer, null, 2);
      $('result').replaceChildren();
    } else {
      $('plan').hidden = true;
      renderRows(answer.rows);
    }
    const rendered = performance.now();
    window.quireLastRender = { rows: answer.rows.length, fetchMs: fetched - started, renderMs: rendered - fetched };
    $('result-info').textContent = `${answer.rows.length} row${answer.rows.length === 1 ? '' : 's'} in ${(fetched - started).toFixed(1)} ms (shown in ${(rendered - fetched).toFixed(1)} ms), seq ${answer.seq}` + (answer.truncated ? ' — truncated: ' + answer.error : '');
    say('');
  } catch (error) {
    say(error.message, true);
  }
}

function renderRows(rows) {
  const columns = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  columns.sort((a, b) => (a === '_id' ? -1 : b === '_id' ? 1 : 0));
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const column of columns) { const th = document.createElement('th'); th.textContent = column; head.append(th); }
  const body = table.createTBody();
  const collection = (/\bfrom\s+(\S+)/i.exec($('nql').value) || [])[1];
  for (const row of rows) {
    const tr = body.insertRow();
    for (const column of columns) {
      const value = row[column];
      tr.insertCell().textContent = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    }
    tr.onclick = () => { if (collection && row._id !== undefined) openDocument(collection, row._id); };
  }
  $('result').replaceChildren(table);
}

// ---- documents ----
async function openDocument(collection, id) {
  $('doc-coll').value = collection;
  $('doc-id').value = id;
  showTab('document');
  await loadDocument();
}

async function loadDocument() {
  const collection = $('doc-coll').value, id = $('doc-id').value;
  try {
    const doc = await api('GET', dbPath('/docs/' + encodeURIComponent(collection) + '/' + encodeURIComponent(id)));
    state.loaded = { collection, id, seq: doc._seq };
    const shown = { ...doc };
    delete shown._id; delete shown._seq;
    $('doc-json').value = JSON.stringify(shown, null, 2);
    $('doc-info').textContent = `seq ${doc._seq}`;
    say('');
  } catch (error) {
    if (error.status === 404) {
      state.loaded = { collection, id, seq: -1 };
      $('doc-json').value = '{\n}';
      $('doc-info').textContent = 'new document';
      say('no such document: saving creates it');
    } else {
      say(error.message, true);
    }
  }
}

async function saveDocument() {
  const loaded = state.loaded;
  if (!loaded) { say('load a document first', true); return; }
  let doc;
  try { doc = JSON.parse($('doc-json').value); } catch (error) { say('not JSON: ' + error.message, true); return; }
  try {
    // if_seq: saved only if nobody changed it since it was loaded (-1: only if it still does not exist).
    const answer = await api('POST', dbPath('/batch'), { ops: [{ op: 'put', coll: loaded.collection, id: loaded.id, doc, if_seq: loaded.seq }] });
    state.loaded.seq = answer.results[0].seq;
    $('doc-info').textContent = `saved, seq ${answer.results[0].seq}`;
    say('saved');
    loadDatabases();
  } catch (error) {
    say(error.status === 409 ? 'not saved: the document changed since it was loaded (load it again)' : error.message, true);
  }
}

// ---- indexes ----
async function loadIndexes() {
  if (!state.db) return [];
  const detail = await api('GET', dbPath());
  const builds = detail.index_builds || [];
  const body = $('index-table').tBodies[0];
  body.replaceChildren(...detail.indexes.map(([collection, field, kind]) => {
    const tr = document.createElement('tr');
    const build = builds.find((b) => b.collection === collection && b.field === field);
    for (const text of [collection, field, kind, build ? (build.ready ? 'ready' : build.error ? 'failed: ' + build.error : 'building…') : 'ready']) tr.insertCell().textContent = text;
    return tr;
  }));
  return builds;
}

async function createIndex(event) {
  event.preventDefault();
  try {
    await api('POST', dbPath('/index'), { coll: $('index-coll').value, field: $('index-field').value, kind: $('index-kind').value });
    say('index created; building');
    for (let i = 0; i < 120; i++) {
      const builds = await loadIndexes();
      if (builds.every((b) => b.ready || b.error)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    say('index ready');
  } catch (error) {
    say(error.message, true);
  }
}

// ---- activity (from /metrics) ----
const chartDefs = [
  ['commits', 'commits/s'], ['group', 'commits per group'], ['fsync', 'fsync, ms'], ['queue', 'queue depth'], ['checkpoints', 'checkpoints/min'], ['requests', 'HTTP requests/s'],
];

function parseMetrics(text) {
  const values = {};
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const space = line.lastIndexOf(' ');
    values[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return values;
}

function total(values, prefix, db) {
  let sum = 0;
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith(prefix) && (!db || key.includes(`db="${db}"`)) && (key[prefix.length] === '{' || key.length === prefix.length)) sum += value;
  }
  return sum;
}

async function sampleMetrics() {
  try {
    const response = await fetch('/metrics', { headers: headers(false) });
    if (!response.ok) return;
    const values = parseMetrics(await response.text());
    const db = state.db;
    const now = performance.now() / 1000;
    const sample = {
      t: now,
      commits: total(values, 'quire_storage_commits', db),
      groups: total(values, 'quire_storage_group_size_count', db), grouped: total(values, 'quire_storage_group_size_sum', db),
      fsyncs: total(values, 'quire_storage_fsync_seconds_count', db), fsyncSeconds: total(values, 'quire_storage_fsync_seconds_sum', db),
      queue: total(values, 'quire_storage_queue_depth', db),
      checkpoints: total(values, 'quire_storage_checkpoint_seconds_count', db),
      requests: total(values, 'quire_server_http_request_seconds_count'),
    };
    const last = state.samples[state.samples.length - 1];
    state.samples.push(sample);
    if (state.samples.length > 120) state.samples.shift();
    if (!last) return;
    const dt = sample.t - last.t || 1;
    const groups = sample.groups - last.groups, fsyncs = sample.fsyncs - last.fsyncs;
    addPoint('commits', (sample.commits - last.commits) / dt);
    addPoint('group', groups > 0 ? (sample.grouped - last.grouped) / groups : 0);
    addPoint('fsync', fsyncs > 0 ? (sample.fsyncSeconds - last.fsyncSeconds) * 1000 / fsyncs : 0);
    addPoint('queue', sample.queue);
    addPoint('checkpoints', (sample.checkpoints - last.checkpoints) * 60 / dt);
    addPoint('requests', (sample.requests - last.requests) / dt);
  } catch {
    // the next sample tries again
  }
}

// Replication as /health tells it: a primary's streaming replicas, or a replica's primary and lag.
async function showReplication() {
  try {
    const health = await api('GET', '/health');
    let text;
    if (health.role === 'replica') {
      text = `replica of ${health.primary} (epoch ${health.epoch}): ${health.lag_ops} ops, ${health.lag_ms} ms behind`;
      if (health.replication_error) text += `; stream down: ${health.replication_error}`;
    } else if (health.role === 'primary') {
      text = `primary (epoch ${health.epoch}): ${health.replicas} replica${health.replicas === 1 ? '' : 's'} streaming, ${health.sync_replicas} synchronous`;
    } else {
      text = 'no replication';
    }

    $('replication').textContent = text;
    $('replication').classList.toggle('error', Boolean(health.replication_error));
  } catch {
    // the next tick tries again
  }
}

function addPoint(name, value) {
  const chart = state.charts[name];
  chart.points.push(value);
  if (chart.points.length > 60) chart.points.shift();
  const max = Math.max(1e-9, ...chart.points);
  const step = 300 / 59;
  chart.line.setAttribute('points', chart.points.map((v, i) => `${(i * step).toFixed(1)},${(98 - (v / max) * 96).toFixed(1)}`).join(' '));
  chart.value.textContent = value >= 100 ? value.toFixed(0) : value.toFixed(2);
  chart.svg.dataset.points = chart.points.length;
}

function buildCharts() {
  const container = $('charts');
  for (const [name, title] of chartDefs) {
    const div = document.createElement('div');
    div.className = 'chart';
    div.innerHTML = `<h3>${title}<span></span></h3><svg viewBox="0 0 300 100" preserveAspectRatio="none" data-chart="${name}" data-points="0"><polyline points=""></polyline></svg>`;
    container.append(div);
    state.charts[name] = { points: [], svg: div.querySelector('svg'), line: div.querySelector('polyline'), value: div.querySelector('h3 span') };
  }
}

// ---- changes ----
async function startTail() {
  if (!state.db) { say('choose a database first', true); return; }
  stopTail();
  const detail = await api('GET', dbPath());
  const controller = new AbortController();
  state.tail = controller;
  $('tail').textContent = 'Stop';
  $('tail-info').textContent = `following ${state.db} from seq ${detail.seq}`;
  try {
    const response = await fetch(dbPath('/changes?after_seq=' + detail.seq), { headers: headers(false), signal: controller.signal });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
        if (data) showChange(JSON.parse(data));
      }
    }
  } catch (error) {
    if (error.name !== 'AbortError') say(error.message, true);
  } finally {
    if (state.tail === controller) stopTail();
  }
}

function showChange(node) {
  const body = $('changes-table').tBodies[0];
  const tr = document.createElement('tr');
  for (const text of [node.seq, node.op, node.coll, node.id, node.ts]) tr.insertCell().textContent = text ?? '';
  body.prepend(tr);
  while (body.rows.length > 200) body.deleteRow(body.rows.length - 1);
}

function stopTail() {
  if (state.tail) state.tail.abort();
  state.tail = null;
  $('tail').textContent = 'Follow changes';
}

// ---- wiring ----
function showTab(name) {
  for (const button of document.querySelectorAll('#tabs button')) button.classList.toggle('active', button.dataset.tab === name);
  for (const section of document.querySelectorAll('.tab')) section.classList.toggle('active', section.id === 'tab-' + name);
  if (name === 'indexes') loadIndexes().catch((error) => say(error.message, true));
}

async function start() {
  $('server').textContent = location.host;
  $('token').value = state.token;
  $('token').onchange = () => { state.token = $('token').value; localStorage.setItem('quire.token', state.token); refresh(); };
  for (const button of document.querySelectorAll('#tabs button')) button.onclick = () => showTab(button.dataset.tab);
  $('run').onclick = () => runQuery(false);
  $('explain').onclick = () => runQuery(true);
  $('nql').onkeydown = (event) => { if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); runQuery(false); } };
  $('load-doc').onsubmit = (event) => { event.preventDefault(); loadDocument(); };
  $('save-doc').onclick = saveDocument;
  $('create-index').onsubmit = createIndex;
  $('tail').onclick = () => (state.tail ? stopTail() : startTail());
  $('create-db').onsubmit = async (event) => {
    event.preventDefault();
    try { await api('POST', '/v1/databases', { name: $('new-db').value }); await selectDatabase($('new-db').value); $('new-db').value = ''; } catch (error) { say(error.message, true); }
  };
  buildCharts();
  setInterval(sampleMetrics, 1000);
  setInterval(showReplication, 2000);
  sampleMetrics();
  showReplication();
  await refresh();
}

async function refresh() {
  try {
    const health = await api('GET', '/health');
    $('role').textContent = `${health.engine || 'quire'} ${health.version}${health.encrypted ? ', encrypted' : ''}${health.role ? ', ' + health.role : ''}`;
    const list = await loadDatabases();
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (!state.db && list.databases.some((d) => d.name === wanted)) await selectDatabase(wanted);
    say(list.databases.length ? '' : 'no databases yet: create one on the left');
  } catch (error) {
    say(error.status === 401 ? 'this server needs a token: enter it above' : error.message, true);
  }
}

start();
