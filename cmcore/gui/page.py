"""The GUI's single page: HTML, CSS and the script that talks to the JSON API.

Kept as Python strings so that the page ships inside the ``cmcore`` package with no data
files to declare. No external assets: the page works with no network at all.
"""

from __future__ import annotations

import html

CSS = """
body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1f3a5f;color:#fff;padding:10px 18px;display:flex;gap:18px;align-items:center}
header h1{font-size:18px;margin:0 12px 0 0}
nav button{background:none;border:0;color:#cfe0ff;font-size:15px;padding:6px 10px;cursor:pointer}
nav button.active{color:#fff;border-bottom:2px solid #fff}
main{padding:16px 18px}
section{display:none}section.active{display:block}
.cols{display:flex;gap:18px}.cols>div{flex:1;min-width:0}
ul#script-list{list-style:none;padding:0;margin:8px 0;max-height:420px;overflow:auto;background:#fff;border:1px solid #d6dbe3}
ul#script-list li{padding:5px 8px;cursor:pointer;border-bottom:1px solid #eef0f4;font-size:14px}
ul#script-list li.sel{background:#dbe8ff}
.small{color:#5b6475;font-size:12px}
pre{background:#111827;color:#e5e7eb;padding:10px;border-radius:4px;white-space:pre-wrap;word-break:break-all;font-size:13px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:8px 0}
th,td{border:1px solid #d6dbe3;padding:4px 7px;text-align:left}th{background:#eef2f8}
tr.official td{color:#3b4a66;background:#fbfcff}
.status-succeeded{color:#0a7a2f;font-weight:bold}.status-failed{color:#b42318;font-weight:bold}
.status-running{color:#9a6700;font-weight:bold}
label{display:block;margin:4px 0;font-size:14px}
input[type=text]{padding:4px 6px;width:240px}
button.act{background:#2563eb;color:#fff;border:0;border-radius:4px;padding:6px 12px;cursor:pointer;margin:4px 4px 4px 0}
#error{color:#b42318;margin:6px 0;min-height:1em}
"""

BODY = """
<header><h1>Collective Mind</h1>
<nav><button data-tab="scripts" class="active">Scripts</button><button data-tab="runs">Runs</button>
<button data-tab="results">Results</button><button data-tab="submission">Submission</button></nav></header>
<main><div id="error"></div>
<section id="tab-scripts" class="active"><div class="cols"><div>
 <label>Tags <input type="text" id="tags-filter" placeholder="e.g. mlperf inference"></label>
 <button class="act" id="find-scripts">Find scripts</button>
 <button class="act" id="preset-digits">MLPerf digits run</button>
 <button class="act" id="preset-sweep">Best-stack sweep</button>
 <ul id="script-list"></ul><div class="small" id="script-count"></div></div>
 <div><h3 id="script-title">Choose a script</h3><div class="small" id="script-tags"></div>
 <h4>Variations</h4><div id="variations"></div><h4>Flags</h4><div id="flags"></div>
 <h4>Command</h4><pre id="command">cmr ...</pre>
 <button class="act" id="run-command">Run it</button></div></div></section>
<section id="tab-runs"><h3>Runs</h3><table id="runs"><thead><tr><th>status</th><th>command</th>
 <th>started</th></tr></thead><tbody></tbody></table>
 <h3>Progress <span id="run-status"></span></h3><div class="small" id="run-command-line"></div>
 <pre id="run-log"></pre><button class="act" id="cancel-run">Cancel</button></section>
<section id="tab-results"><label>Tags <input type="text" id="result-tags" placeholder="e.g. digits"></label>
 <label>Official results <select id="official"><option value="yes">with local</option>
 <option value="no">hide</option><option value="only">only</option></select></label>
 <button class="act" id="load-results">Show results</button>
 <label>Plot <select id="plot-metric"><option>samples_per_second</option><option>latency_p90_ms</option>
 <option>accuracy</option><option>samples_per_second_per_accelerator</option></select></label>
 <svg id="plot" width="760" height="240"></svg>
 <table id="results"><thead></thead><tbody></tbody></table>
 <h3>Beside official results</h3><div class="small" id="compare-note">Press "compare" on a local result.</div>
 <table id="compare"><thead></thead><tbody></tbody></table></section>
<section id="tab-submission"><h3>Assemble and check an MLPerf submission</h3>
 <label>Folder <input type="text" id="sub-dir" value="mlperf-submission"></label>
 <label>Division <select id="sub-division"><option>closed</option><option>open</option></select></label>
 <label>Submitter <input type="text" id="sub-submitter" value="cm"></label>
 <label>Result tags <input type="text" id="sub-tags" value="mlperf"></label>
 <label><input type="checkbox" id="sub-short" checked> test run (short runs are warnings)</label>
 <button class="act" id="make-submission">Assemble and check</button></section></main>
"""

JS = r"""
const TOKEN = document.body.dataset.token;
const $ = (s) => document.querySelector(s);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const fmt = (v) => typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : (v ?? '');
let current = null, currentRun = null, pollTimer = null;
async function api(path, body) {
  const opt = body === undefined ? {} : {method: 'POST', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json', 'X-CM-Token': TOKEN}};
  const r = await fetch(path, opt); const data = await r.json();
  if (!r.ok) { $('#error').textContent = data.error || ('HTTP ' + r.status); throw new Error(data.error); }
  $('#error').textContent = ''; return data;
}
function tab(name) {
  document.querySelectorAll('nav button').forEach(b => b.classList.toggle('active', b.dataset.tab === name));
  document.querySelectorAll('section').forEach(s => s.classList.toggle('active', s.id === 'tab-' + name));
  if (name === 'runs') loadRuns(); if (name === 'results') loadResults();
}
document.querySelectorAll('nav button').forEach(b => b.onclick = () => tab(b.dataset.tab));
async function findScripts(selectAlias) {
  const d = await api('/api/scripts?tags=' + encodeURIComponent($('#tags-filter').value));
  const ul = $('#script-list'); ul.innerHTML = '';
  d.scripts.forEach(s => { const li = document.createElement('li'); li.dataset.alias = s.alias;
    li.innerHTML = '<b>' + esc(s.alias) + '</b><br><span class="small">' + esc(s.name) + '</span>';
    li.onclick = () => selectScript(s, li); ul.appendChild(li); });
  $('#script-count').textContent = d.scripts.length + ' script(s)';
  if (selectAlias) { const s = d.scripts.find(x => x.alias === selectAlias);
    if (s) selectScript(s, ul.querySelector('[data-alias="' + selectAlias + '"]')); }
}
function selectScript(s, li, preset) {
  current = s; document.querySelectorAll('#script-list li').forEach(x => x.classList.remove('sel'));
  if (li) li.classList.add('sel');
  $('#script-title').textContent = s.alias; $('#script-tags').textContent = 'tags: ' + s.tags.join(', ');
  const pv = (preset && preset.variations) || [], pf = (preset && preset.flags) || {};
  $('#variations').innerHTML = s.variations.map(v => '<label><input type="checkbox" class="variation" value="' +
    esc(v) + '"' + (pv.includes(v) ? ' checked' : '') + '> _' + esc(v) + '</label>').join('') || '<span class="small">none</span>';
  $('#flags').innerHTML = s.flags.map(f => '<label>--' + esc(f.name) + ' <input type="text" class="flag" data-name="' +
    esc(f.name) + '" value="' + esc(pf[f.name] || '') + '"> <span class="small">' + esc(f.desc) + '</span></label>').join('')
    || '<span class="small">none</span>';
  document.querySelectorAll('.variation, .flag').forEach(e => e.oninput = buildCommand);
  buildCommand();
}
function form() {
  const flags = {}; document.querySelectorAll('.flag').forEach(e => { if (e.value) flags[e.dataset.name] = e.value; });
  return {alias: current.alias, tags: current.tags,
          variations: [...document.querySelectorAll('.variation:checked')].map(e => e.value), flags};
}
async function buildCommand() { if (!current) return; $('#command').textContent = (await api('/api/command', form())).command; }
async function preset(alias, variations, flags) {
  $('#tags-filter').value = ''; const d = await api('/api/scripts?tags=');
  const s = d.scripts.find(x => x.alias === alias); if (!s) { $('#error').textContent = alias + ' is not installed'; return; }
  await findScripts(); selectScript(s, $('#script-list [data-alias="' + alias + '"]'), {variations, flags});
}
$('#find-scripts').onclick = () => findScripts();
$('#preset-digits').onclick = () => preset('app-mlperf-inference', ['onnxruntime', 'cpu'],
  {model: 'digits', scenario: 'Offline', mode: 'performance', test_query_count: '200'});
$('#preset-sweep').onclick = () => preset('explore-mlperf-inference', [],
  {model: 'digits', threads: '1,2', batch: '1,8', precision: 'fp32', test_query_count: '200'});
$('#run-command').onclick = async () => { if (!current) return; const j = await api('/api/runs', form()); follow(j.id); tab('runs'); };
async function loadRuns() {
  const d = await api('/api/runs');
  $('#runs tbody').innerHTML = d.runs.map(r => '<tr data-id="' + esc(r.id) + '"><td class="status-' + esc(r.status) + '">' +
    esc(r.status) + '</td><td>' + esc(r.title) + '</td><td>' + esc(r.started_at) + '</td></tr>').join('');
  document.querySelectorAll('#runs tbody tr').forEach(tr => tr.onclick = () => follow(tr.dataset.id));
}
function follow(id) { currentRun = id; if (pollTimer) clearInterval(pollTimer); poll(); pollTimer = setInterval(poll, 1000); }
async function poll() {
  if (!currentRun) return; const j = await api('/api/runs/' + currentRun);
  const st = $('#run-status'); st.textContent = j.status; st.className = 'status-' + j.status;
  $('#run-command-line').textContent = j.commands.join('  &&  ');
  $('#run-log').textContent = j.log_tail.join('\n');
  if (j.status !== 'running' && j.status !== 'queued') { clearInterval(pollTimer); pollTimer = null; loadRuns(); }
}
$('#cancel-run').onclick = async () => { if (currentRun) await api('/api/runs/' + currentRun + '/cancel', {}); };
let lastRows = [];
async function loadResults() {
  const q = '?tags=' + encodeURIComponent($('#result-tags').value) + '&official=' + $('#official').value;
  const d = await api('/api/results' + q); lastRows = d.results;
  $('#results thead').innerHTML = '<tr>' + d.columns.map(c => '<th>' + esc(c) + '</th>').join('') + '<th></th></tr>';
  $('#results tbody').innerHTML = d.results.map(r => '<tr class="' + (r.official ? 'official' : 'local') + '">' +
    d.columns.map(c => '<td>' + esc(fmt(r[c])) + '</td>').join('') + '<td>' +
    (r.official ? '' : '<button class="compare" data-uid="' + esc(r.uid) + '">compare</button>') + '</td></tr>').join('');
  document.querySelectorAll('button.compare').forEach(b => b.onclick = () => compare(b.dataset.uid));
  plot();
}
function plot() {
  const m = $('#plot-metric').value, rows = lastRows.filter(r => typeof r[m] === 'number');
  const svg = $('#plot'), W = 760, H = 240, max = Math.max(1e-12, ...rows.map(r => r[m]));
  const bw = rows.length ? Math.min(60, (W - 60) / rows.length) : 0;
  let s = '<line x1="50" y1="' + (H - 30) + '" x2="' + W + '" y2="' + (H - 30) + '" stroke="#444"/>' +
    '<text x="4" y="14" font-size="12">' + esc(m) + ' (max ' + esc(fmt(max)) + ')</text>';
  rows.forEach((r, i) => { const h = (H - 50) * r[m] / max, x = 55 + i * bw;
    s += '<rect class="bar" x="' + x + '" y="' + (H - 30 - h) + '" width="' + (bw - 4) + '" height="' + h + '" fill="' +
      (r.official ? '#94a3b8' : '#2563eb') + '"><title>' + esc((r.system || r.model || '') + ' ' + fmt(r[m])) + '</title></rect>' +
      '<text x="' + x + '" y="' + (H - 16) + '" font-size="9">' + esc(String(r.official ? r.system : r.uid).slice(0, 9)) + '</text>'; });
  svg.innerHTML = s;
}
$('#plot-metric').onchange = plot; $('#load-results').onclick = loadResults;
async function compare(uid) {
  const d = await api('/api/compare?uid=' + encodeURIComponent(uid));
  $('#compare-note').textContent = d.model + ' ' + d.scenario + ': ' + d.metric + ', ' + d.normalised +
    (d.rows.length === 1 ? ' (no official results for this model and scenario)' : '');
  $('#compare thead').innerHTML = '<tr>' + d.columns.map(c => '<th>' + esc(c) + '</th>').join('') + '</tr>';
  $('#compare tbody').innerHTML = d.rows.map(r => '<tr class="' + (r.source === 'local' ? 'local' : 'official') + '">' +
    d.columns.map(c => '<td>' + esc(fmt(r[c])) + '</td>').join('') + '</tr>').join('');
}
$('#make-submission').onclick = async () => {
  const j = await api('/api/submission', {submission_dir: $('#sub-dir').value, division: $('#sub-division').value,
    submitter: $('#sub-submitter').value, result_tags: $('#sub-tags').value, short_runs_ok: $('#sub-short').checked});
  follow(j.id); tab('runs');
};
findScripts();
"""


def render_page(token: str) -> str:
    """The whole page; ``token`` authorises the page's POST requests."""
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Collective Mind</title>"
            f"<link rel=\"icon\" href=\"data:,\"><style>{CSS}</style></head><body data-token=\"{html.escape(token)}\">{BODY}"
            f"<script>{JS}</script></body></html>")
