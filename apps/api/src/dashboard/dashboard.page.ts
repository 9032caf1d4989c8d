/**
 * The dashboard: one self-refreshing page (no build step, no external assets). The HTML holds no data: after
 * sign-in (a token kept in sessionStorage, sent as a bearer header) it shows
 *   - OPS / HQ: the network view over /api/ops/summary — lag per group and partition, events/s, DLQ with the
 *     latest reasons, pending timers, overdue by rule, class, site and liable party, a 24 h trend, the most
 *     urgent open cases and the latest alerts; for OPS, a link to the BullMQ board of the deadline timers;
 *   - branch / hub staff: their site's open cases by due time and their alerts;
 * and a case's detail (timeline, deadlines, liability, notifications, evidence) when a row is clicked.
 * Alerts arrive live over /api/alerts/stream, read with fetch so that the token travels in a header.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Problem shipments</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
 header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:16px;justify-content:space-between;align-items:center}
 header small{color:#c9ced8} header button{background:#39415a;color:#fff;border:0;border-radius:4px;padding:4px 10px;cursor:pointer}
 main{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:16px;padding:16px}
 section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px #0002;min-width:0}
 section.wide{grid-column:1/-1}
 h2{font-size:15px;margin:0 0 8px} h3{font-size:14px;margin:14px 0 6px}
 table{width:100%;border-collapse:collapse} td,th{padding:3px 6px;text-align:left;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:anywhere}
 td.n,th.n{text-align:right;font-variant-numeric:tabular-nums} .big{font-size:26px;font-weight:600} .warn{color:#b3261e}
 .figures{display:flex;flex-wrap:wrap;gap:18px} .figures div{min-width:120px}
 tr.case{cursor:pointer} tr.case:hover{background:#eef3ff} .overdue{color:#b3261e;font-weight:600}
 small,.muted{color:#666} .hidden{display:none!important}
 #login{max-width:420px;margin:60px auto} #login input{width:100%;box-sizing:border-box;padding:8px;font:inherit;margin:8px 0}
 #login button{padding:8px 16px;font:inherit} #login-error{color:#b3261e;min-height:1.4em}
 #alerts li,#site-alerts li{margin:2px 0;list-style:none} ul.alerts{padding:0;margin:0;max-height:320px;overflow:auto}
 .tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px;background:#e7eaf0;margin-right:4px}
 .tag.case-overdue{background:#fbe0de} .tag.case-opened{background:#dff0e2} .tag.case-reply{background:#e0e8fb}
 #case-panel{position:fixed;top:0;right:0;bottom:0;width:min(760px,100%);background:#fff;box-shadow:-4px 0 16px #0003;overflow:auto;padding:16px 20px;box-sizing:border-box}
 #case-panel header{margin:-16px -20px 12px}
 svg text{font-size:10px;fill:#666}
</style></head>
<body>
<header><strong>问题件 · problem shipments <span id="view-name"></span></strong>
 <span><small id="who"></small> <small id="stamp"></small> <button id="sign-out" class="hidden">sign out</button></span></header>

<section id="login" class="hidden">
 <h2>Sign in</h2>
 <form id="login-form"><label for="token">Access token</label>
 <input id="token" type="password" autocomplete="off" placeholder="cps_…" required>
 <button id="sign-in" type="submit">Sign in</button></form>
 <div id="login-error"></div>
 <small>Tokens are issued with <code>node dist/apps/api/src/cli/create-user.js</code>. The token stays in this tab only.</small>
</section>

<main id="ops-view" class="hidden">
 <section><h2>Pipeline <small id="queues-link" class="hidden"><a href="ops/queues/" target="_blank" rel="noopener">deadline timers (BullMQ board) ↗</a></small></h2><div class="figures">
   <div>events/s in<br><span class="big" id="eps-in">–</span></div>
   <div>events/s ingested<br><span class="big" id="eps-ingested">–</span></div>
   <div>consumer lag<br><span class="big" id="lag-total">–</span></div>
   <div>pending timers<br><span class="big" id="pending">–</span></div>
   <div>DLQ<br><span class="big warn" id="dlq">–</span></div>
   <div>outbox backlog<br><span class="big" id="outbox">–</span></div></div>
   <div class="muted">event-time watermark <span id="watermark">–</span></div><div class="warn" id="lag-error"></div></section>
 <section><h2>Consumer lag per group, topic and partition</h2><table id="lag"></table></section>
 <section class="wide"><h2>Last 24 h of event time <small>bars: cases opened · line: deadlines missed</small></h2><div id="trend"></div></section>
 <section><h2>Open cases by class</h2><table id="cases"></table></section>
 <section><h2>Overdue by rule</h2><table id="overdue"></table></section>
 <section><h2>Overdue by class</h2><table id="overdue-class"></table></section>
 <section><h2>Overdue by liable site <small>(missed deadlines)</small></h2><table id="overdue-site"></table></section>
 <section><h2>Liability in force by party</h2><table id="liability"></table></section>
 <section><h2>Notifications</h2><table id="notifications"></table></section>
 <section><h2>Latest DLQ reasons</h2><table id="dlqlatest"></table></section>
 <section><h2>Latest alerts</h2><ul class="alerts" id="alerts"></ul></section>
 <section class="wide"><h2>Most urgent open cases</h2><table id="urgent"></table></section>
</main>

<main id="site-view" class="hidden">
 <section class="wide"><h2>Open cases of <span id="site-code"></span> by due time <small id="site-count"></small></h2><table id="site-cases"></table></section>
 <section class="wide"><h2>Latest alerts</h2><ul class="alerts" id="site-alerts"></ul></section>
</main>

<aside id="case-panel" class="hidden"><header><strong id="case-title"></strong><button id="case-close">close</button></header>
 <div id="case-body"></div></aside>

<script>
'use strict';
const TOKEN_KEY = 'courierToken';
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
let me = null, refreshTimer = null, alertAbort = null, alertList = [];

function table(id, head, rows, rowAttrs) {
  const numeric = (i) => rows.length > 0 && typeof rows[0][i] === 'number';
  $(id).innerHTML = '<tr>' + head.map((h, i) => '<th' + (numeric(i) ? ' class="n"' : '') + '>' + esc(h) + '</th>').join('') + '</tr>' +
    (rows.length ? rows.map((r, k) => '<tr' + (rowAttrs ? rowAttrs(k) : '') + '>' + r.map((c, i) => '<td' + (i && typeof c === 'number' ? ' class="n"' : '') + '>' + esc(c) + '</td>').join('') + '</tr>').join('')
                 : '<tr><td colspan="' + head.length + '"><small>none</small></td></tr>');
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) } });
  if (response.status === 401) { signOut('Your session has ended: sign in again.'); throw new Error('signed out'); }
  if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
  return response.json();
}

function caseRows(items) {
  return items.map((c) => [c.caseNo, c.caseClass + ' / ' + c.reasonCode, c.state, c.waybillNo, c.originBranch || '', c.deliveringBranch || '',
    c.nextDueAt ? when(c.nextDueAt) : '—', c.overdue ? 'overdue ' + c.overdueRules.join(',') : '']);
}
const CASE_HEAD = ['case', 'class / reason', 'state', 'waybill', 'OB', 'DB', 'next due', 'flags'];
function caseTable(id, items) {
  table(id, CASE_HEAD, caseRows(items), (k) => ' class="case' + (items[k].overdue ? ' overdue' : '') + '" data-case="' + esc(items[k].caseNo) + '"');
}

function trendChart(points) {
  const w = 720, h = 140, pad = 22, n = points.length || 1, bw = (w - pad * 2) / n;
  const max = Math.max(1, ...points.map((p) => Math.max(p.opened, p.missed)));
  const y = (v) => h - pad - (v / max) * (h - pad * 2);
  const bars = points.map((p, i) => '<rect x="' + (pad + i * bw + 1) + '" y="' + y(p.opened) + '" width="' + (bw - 2) + '" height="' + (h - pad - y(p.opened)) + '" fill="#8fb3e8"><title>' + esc(when(p.hour)) + ': ' + p.opened + ' opened, ' + p.missed + ' missed</title></rect>').join('');
  const line = points.map((p, i) => (i ? 'L' : 'M') + (pad + i * bw + bw / 2) + ' ' + y(p.missed)).join(' ');
  const labels = points.map((p, i) => i % 3 ? '' : '<text x="' + (pad + i * bw) + '" y="' + (h - 6) + '">' + new Date(p.hour).getHours() + ':00</text>').join('');
  $('trend').innerHTML = '<svg viewBox="0 0 ' + w + ' ' + h + '" width="100%" role="img" aria-label="trend">' +
    '<text x="2" y="12">' + max + '</text>' + bars + '<path d="' + line + '" fill="none" stroke="#b3261e" stroke-width="2"/>' + labels + '</svg>';
}

async function refreshOps() {
  const [s, urgent] = await Promise.all([api('api/ops/summary'), api('api/cases?open=true&limit=15')]);
  $('eps-in').textContent = s.throughput ? s.throughput.incomingPerSecond : '–';
  $('eps-ingested').textContent = s.throughput ? s.throughput.ingestedPerSecond : '–';
  $('lag-total').textContent = s.lag.reduce((sum, p) => sum + p.lag, 0);
  $('pending').textContent = s.pendingDeadlines;
  $('dlq').textContent = s.dlq.total;
  $('outbox').textContent = s.outboxBacklog;
  $('watermark').textContent = s.eventTime.watermark ? when(s.eventTime.watermark) : '–';
  $('lag-error').textContent = s.lagError ? 'lag unavailable: ' + s.lagError : '';
  const lagByTopic = new Map();
  for (const l of s.lag) {
    const key = l.groupId.split('.').pop() + ' / ' + l.topic;
    const row = lagByTopic.get(key) || { lag: 0, partitions: [] };
    row.lag += l.lag; row.partitions.push(l.partition + ': ' + l.lag);
    lagByTopic.set(key, row);
  }
  table('lag', ['group / topic', 'per partition', 'lag'], [...lagByTopic].map(([key, row]) => [key, row.partitions.join('  '), row.lag]));
  table('cases', ['class', 'open', 'total'], s.casesByClass.map((c) => [c.caseClass, c.open, c.total]));
  table('overdue', ['rule', 'missed', 'retracted'], s.overdueByRule.map((o) => [o.rule, o.missed, o.retracted]));
  table('overdue-class', ['class', 'missed', 'open cases overdue'], s.overdueByClass.map((o) => [o.caseClass, o.missed, o.openOverdue]));
  table('overdue-site', ['site', 'missed'], s.overdueBySite.map((o) => [o.siteCode, o.missed]));
  table('liability', ['party', 'records'], s.liabilityByParty.map((l) => [l.party, l.records]));
  table('notifications', ['channel', 'status', 'count'], s.notificationsByStatus.map((n) => [n.channel, n.status, n.count]));
  table('dlqlatest', ['topic', 'reason'], s.dlq.latest.map((d) => [d.topic, d.reason]));
  trendChart(s.trend);
  caseTable('urgent', urgent.items);
  $('stamp').textContent = 'updated ' + new Date(s.generatedAt).toLocaleTimeString();
}

async function refreshSite() {
  const page = await api('api/cases?open=true&limit=200');
  caseTable('site-cases', page.items);
  $('site-count').textContent = page.items.length + (page.nextCursor ? '+' : '') + ' open';
  $('stamp').textContent = 'updated ' + new Date().toLocaleTimeString();
}

async function refresh() {
  if (!me) return;
  try { await (me.scope === 'ALL' ? refreshOps() : refreshSite()); }
  catch (e) { if (me) $('stamp').textContent = 'refresh failed: ' + e.message; }
}

function renderAlerts() {
  const html = alertList.slice(0, 40).map((a) => '<li><span class="tag ' + esc(a.type.replace('.', '-')) + '">' + esc(a.type) + '</span>' +
    '<small>' + esc(when(a.at)) + '</small> ' + (a.caseNo ? '<a href="#" data-case="' + esc(a.caseNo) + '">' + esc(a.message) + '</a>' : esc(a.message)) + '</li>').join('');
  $(me && me.scope === 'ALL' ? 'alerts' : 'site-alerts').innerHTML = html || '<li><small>none yet</small></li>';
}

async function streamAlerts() {
  try { alertList = await api('api/alerts/recent?limit=40'); renderAlerts(); } catch (e) { return; }
  while (me) {
    alertAbort = new AbortController();
    try {
      const response = await fetch('api/alerts/stream', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) }, signal: alertAbort.signal });
      if (response.status === 401) { signOut('Your session has ended: sign in again.'); return; }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\\n\\n')) >= 0) {
          const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          const type = (block.match(/^event: ?(.*)$/m) || [])[1];
          const data = block.split('\\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\\n');
          if (!type || type === 'ping' || type === 'ready' || !data) continue;
          alertList.unshift(JSON.parse(data)); alertList = alertList.slice(0, 100); renderAlerts();
        }
      }
    } catch (e) { if (!me) return; }
    await new Promise((r) => setTimeout(r, 3000));
  }
}

async function openCase(caseNo) {
  const d = await api('api/cases/' + encodeURIComponent(caseNo));
  const c = d.case;
  $('case-title').textContent = c.caseNo + ' · ' + c.caseClass + ' / ' + c.reasonCode + ' · ' + c.state;
  const rows = (items, f) => items.length ? items.map((x) => '<tr>' + f(x).map((v) => '<td>' + esc(v) + '</td>').join('') + '</tr>').join('') : '<tr><td><small>none</small></td></tr>';
  $('case-body').innerHTML =
    '<table id="case-facts">' + [['waybill', c.waybillNo], ['origin branch (OB)', c.originBranch], ['delivering branch (DB)', c.deliveringBranch],
      ['registered / detected at', c.reportedBySite], ['opened', when(c.openedAt)], ['next due', when(c.nextDueAt)], ['outcome', c.outcome],
      ['overdue', c.overdue ? c.overdueRules.join(', ') : 'no'], ['liable', c.liable.map((l) => l.rule + ' ' + l.party + (l.siteCode ? '@' + l.siteCode : '')).join('; ')],
      ['flags', Object.entries(c.flags).filter(([, v]) => v).map(([k]) => k).join(', ')], ['still missing', d.handling.missing.join(', ')]]
      .map(([k, v]) => '<tr><th>' + esc(k) + '</th><td>' + esc(v) + '</td></tr>').join('') + '</table>' +
    '<h3>Deadlines</h3><table id="case-deadlines">' + rows(d.deadlines, (x) => [x.rule, x.status, when(x.dueAt), x.party + (x.siteCode ? '@' + x.siteCode : ''), x.metAt ? 'met ' + when(x.metAt) : '']) + '</table>' +
    '<h3>Timeline</h3><table id="case-timeline">' + rows(d.timeline, (x) => [when(x.at), (x.fromState || '∅') + ' → ' + x.toState, x.actor, x.note || '']) + '</table>' +
    '<h3>Liability</h3><table id="case-liability">' + rows(d.liabilities, (x) => [x.kind, x.rule, x.party + (x.siteCode ? '@' + x.siteCode : ''), x.minutesLate === null ? '' : x.minutesLate + ' min late', x.reviewOutcome || '', x.reason || '']) + '</table>' +
    '<h3>Notifications</h3><table id="case-notifications">' + rows(d.notifications, (x) => [x.kind, x.channel, x.targetRole + (x.targetSite ? '@' + x.targetSite : ''), x.recipientMasked || '', x.status, when(x.eventTime)]) + '</table>' +
    '<h3>Evidence</h3><table id="case-evidence">' + rows([...d.evidence.registered.map((e) => [e.kind, e.sha256.slice(0, 16) + '…', 'registration ' + e.site, when(e.at)]),
      ...d.evidence.uploaded.map((e) => [e.kind, e.sha256.slice(0, 16) + '…', 'uploaded by ' + e.uploadedBy, when(e.uploadedAt)])], (x) => x) + '</table>';
  $('case-panel').classList.remove('hidden');
}

function show(view) {
  for (const id of ['login', 'ops-view', 'site-view']) $(id).classList.toggle('hidden', id !== view);
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  const response = await fetch('api/me', { headers: { Authorization: 'Bearer ' + token } });
  if (!response.ok) { sessionStorage.removeItem(TOKEN_KEY); throw new Error(response.status === 401 ? 'That token is not valid.' : 'Sign-in failed: HTTP ' + response.status); }
  me = await response.json();
  $('who').textContent = me.name + ' · ' + me.role + (me.siteCode ? ' · ' + me.siteCode : '');
  $('sign-out').classList.remove('hidden');
  $('view-name').textContent = me.scope === 'ALL' ? '— operations' : '— ' + me.siteCode;
  $('site-code').textContent = me.siteCode || '';
  show(me.scope === 'ALL' ? 'ops-view' : 'site-view');
  // The BullMQ board is for ops only; a browser reaches it with a cookie set here (it cannot send the header).
  if (me.role === 'OPS') {
    const board = await fetch('api/ops/queues/session', { method: 'POST', headers: { Authorization: 'Bearer ' + token } });
    $('queues-link').classList.toggle('hidden', !board.ok);
  }
  await refresh();
  refreshTimer = setInterval(refresh, 3000);
  streamAlerts();
}

function signOut(message) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (me && me.role === 'OPS' && token) fetch('api/ops/queues/session', { method: 'DELETE', headers: { Authorization: 'Bearer ' + token } }).catch(() => {});
  $('queues-link').classList.add('hidden');
  me = null;
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(refreshTimer);
  if (alertAbort) alertAbort.abort();
  $('case-panel').classList.add('hidden');
  $('sign-out').classList.add('hidden');
  $('who').textContent = ''; $('view-name').textContent = ''; $('stamp').textContent = '';
  $('login-error').textContent = message || '';
  show('login');
}

document.addEventListener('click', (event) => {
  const target = event.target.closest('[data-case]');
  if (target) { event.preventDefault(); openCase(target.dataset.case).catch((e) => ($('stamp').textContent = e.message)); }
});
$('case-close').addEventListener('click', () => $('case-panel').classList.add('hidden'));
$('sign-out').addEventListener('click', () => signOut());
$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  signIn($('token').value.trim()).catch((e) => signOut(e.message));
});
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved).catch((e) => signOut(e.message)); else show('login');
</script></body></html>`;
