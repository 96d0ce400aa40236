/**
 * The dashboard page: one self-contained HTML document (inline CSS and script, no framework, nothing fetched from
 * elsewhere). It listens to `/api/stream` (Server-Sent Events) and redraws each group's live panel when the control
 * plane's answer changes; actions open one dialog that shows the dry run first and sends only after the group's name
 * is typed. Ages are measured on the control plane's clock (`status.at`), which in a local drill runs faster than
 * the wall clock.
 *
 * @example
 * response.end(dashboardPage());
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fcp dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Failover control plane</h1>
  <p id="connection" role="status" aria-live="polite">connecting…</p>
</header>
<main id="groups" aria-busy="true"></main>
<div id="announce" class="visually-hidden" role="status" aria-live="assertive"></div>
<dialog id="action" aria-labelledby="action-title">
  <form id="action-form" method="dialog">
    <h2 id="action-title">Command</h2>
    <p id="action-describe"></p>
    <div id="action-fields">
      <label>Reason (recorded with your identity) <input id="action-reason" name="reason" required maxlength="1024" autocomplete="off"></label>
      <label id="action-target-label">Target region <select id="action-target" name="targetRegion"></select></label>
      <label id="action-loss-label"><input type="checkbox" id="action-loss" name="allowDataLoss"> Accept losing the target's replica lag worth of writes</label>
    </div>
    <button type="button" id="action-preview">Show the dry run</button>
    <section id="action-plan" aria-live="polite" aria-label="Dry run"></section>
    <label id="action-confirm-label" hidden>Type the group name <strong id="action-group-name"></strong> to confirm
      <input id="action-confirm" autocomplete="off" spellcheck="false"></label>
    <p id="action-result" role="alert"></p>
    <menu>
      <button type="button" id="action-send" disabled>Send</button>
      <button type="button" id="action-close">Close</button>
    </menu>
  </form>
</dialog>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const STYLE = `
:root { color-scheme: light; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
header { display: flex; align-items: baseline; gap: 1.5rem; padding: .75rem 1.25rem; background: #1f2328; color: #fff; }
header h1 { font-size: 1.15rem; margin: 0; }
#connection { margin: 0; color: #d0d7de; }
main { padding: 1rem 1.25rem; display: grid; gap: 1.25rem; }
.group { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; }
.group h2 { margin: 0 0 .5rem; font-size: 1.25rem; display: flex; flex-wrap: wrap; gap: .6rem; align-items: baseline; }
.group h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.badge { font-size: .85rem; padding: .1rem .5rem; border-radius: 999px; border: 1px solid currentColor; font-weight: 600; }
.state-monitoring { color: var(--ok); } .state-failedOver { color: var(--warn); }
.state-failingOver, .state-awaitingApproval, .state-paused, .state-blocked { color: var(--warn); }
.state-stalled { color: var(--bad); }
.healthy, .passing, .done { color: var(--ok); } .suspect, .unknown, .stale { color: var(--warn); } .unhealthy, .failing { color: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.observers { list-style: none; margin: 0; padding: 0; }
ol.steps { list-style: none; display: flex; flex-wrap: wrap; gap: .35rem; padding: 0; margin: .25rem 0; }
ol.steps li { padding: .3rem .6rem; border-radius: 6px; border: 1px solid var(--line); background: #f6f8fa; }
ol.steps li.done { background: #dafbe1; border-color: #4ac26b; color: #1f2328; }
ol.steps li.active { background: #fff8c5; border-color: #d4a72c; font-weight: 700; }
ol.steps li.stalled { background: #ffebe9; border-color: var(--bad); font-weight: 700; }
.alert { padding: .5rem .75rem; border-radius: 6px; margin: .5rem 0; background: #fff8c5; border: 1px solid #d4a72c; }
.alert.bad { background: #ffebe9; border-color: var(--bad); }
.actions { display: flex; flex-wrap: wrap; gap: .4rem; margin-top: .75rem; }
button { font: inherit; padding: .35rem .8rem; border-radius: 6px; border: 1px solid #8c959f; background: #f6f8fa; cursor: pointer; }
button:hover { background: #eaeef2; } button:disabled { opacity: .5; cursor: not-allowed; }
button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #0969da; outline-offset: 1px; }
dialog { max-width: 44rem; width: calc(100% - 2rem); border: 1px solid var(--line); border-radius: 8px; }
dialog label { display: block; margin: .5rem 0; } dialog input:not([type=checkbox]), dialog select { display: block; width: 100%; font: inherit; padding: .3rem; }
dialog menu { display: flex; gap: .5rem; padding: 0; margin: .75rem 0 0; }
#action-plan pre, .timeline pre { white-space: pre-wrap; background: #f6f8fa; padding: .5rem; border-radius: 6px; }
.refused { color: var(--bad); font-weight: 600; }
.timeline svg { max-width: 100%; height: auto; background: #fff; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

// Plain browser script: no build step, no dependency. Everything shown goes through esc().
const SCRIPT = String.raw`
'use strict';
const HEADERS = { 'x-fcp-dashboard': '1' };
const COMMANDS = [
  ['approve', 'Approve'], ['reject', 'Reject'], ['abort', 'Abort'], ['retry', 'Retry'], ['acknowledge', 'Acknowledge'],
  ['pause', 'Pause'], ['resume', 'Resume'], ['failover', 'Fail over'], ['switchover', 'Switch over'],
];
const latest = new Map();
const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const iso = (at) => at === undefined ? '-' : new Date(at).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
function ago(at, now) {
  if (at === undefined) return '-';
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h';
}
const regionCell = (id) => '<code>' + esc(id) + '</code>';

function timeInState(status) {
  let since = status.updatedAt;
  for (const event of status.lastEvents) {
    if (event.state.split('.')[0] !== status.state.split('.')[0]) break;
    since = event.at;
  }
  return since;
}

function renderLive(status, pending) {
  const now = status.at;
  const since = timeInState(status);
  const top = status.state.split('.')[0];
  const parts = [];
  parts.push('<h2><span>' + esc(status.groupId) + '</span><span class="badge state-' + esc(top) + '" data-testid="state">' + esc(status.state) + '</span>' +
    '<span class="muted">' + esc(status.mode) + ', ' + esc(status.environment) + '; in this state for ' + esc(ago(since, now)) + '</span></h2>');
  const lease = status.lease ? esc(status.lease.owner) + ' (epoch ' + esc(status.lease.epoch) + ', ' + esc(ago(now, status.lease.expiresAt)) + ' left)' : 'nobody';
  const fleetBrake = status.blocked && /fleet/i.test(status.blocked.reason) ? 'engaged: ' + esc(status.blocked.detail) : 'not engaged';
  parts.push('<dl class="facts">' +
    '<dt>Primary</dt><dd data-testid="primary">' + regionCell(status.primaryRegion) + '</dd>' +
    '<dt>Lease holder</dt><dd>' + lease + '</dd>' +
    '<dt>Revision</dt><dd>' + esc(status.revision ?? '-') + ' (updated ' + esc(ago(status.updatedAt, now)) + ' ago)</dd>' +
    '<dt>Automatic failover</dt><dd>' + (status.paused ? '<strong>paused</strong> by ' + esc(status.paused.principalArn) + ': ' + esc(status.paused.reason) : 'armed') + '</dd>' +
    '<dt>Fleet brake</dt><dd>' + fleetBrake + '</dd>' +
    '<dt>Protection</dt><dd>' + esc(protectionText(status.protection)) + '</dd>' +
    '</dl>');
  if (status.blocked) parts.push('<p class="alert">Blocked (' + esc(status.blocked.reason) + ') ' + esc(ago(status.blocked.at, now)) + ' ago: ' + esc(status.blocked.detail) + '</p>');
  if (status.stalled) parts.push('<p class="alert bad">Stalled at ' + esc(status.stalled.step) + ': ' + esc(status.stalled.reason) + '</p>');
  if (status.awaitingAcknowledgement) parts.push('<p class="alert">A failover completed: automatic failover stays off until an operator acknowledges it.</p>');
  for (const warning of status.warnings ?? []) parts.push('<p class="alert">' + esc(warning) + '</p>');

  parts.push('<h3>Regions</h3><table><thead><tr><th scope="col">Region</th><th scope="col">Role</th><th scope="col">Verdict</th>' +
    '<th scope="col">Observers</th><th scope="col">Replica lag</th><th scope="col">Replicates from</th></tr></thead><tbody>');
  for (const region of status.regions) {
    const observers = (region.observers ?? []).map((o) =>
      '<li><span class="' + esc(o.result) + '">' + esc(o.result) + '</span> from ' + regionCell(o.observer) + ', ' + esc(ago(o.observedAt, now)) + ' ago' +
      (o.reasons.length ? ' <span class="muted">(' + esc(o.reasons.join('; ')) + ')</span>' : '') + '</li>').join('');
    const stale = region.staleObservers.length ? '<li class="stale">stale: ' + esc(region.staleObservers.join(', ')) + '</li>' : '';
    const lag = region.role === 'primary' ? '-' : region.replicaLagSeconds === undefined ? 'unknown' :
      esc(region.replicaLagSeconds) + ' s <span class="muted">(measured ' + esc(ago(region.replicaLagMeasuredAt, now)) + ' ago)</span>';
    parts.push('<tr data-region="' + esc(region.region) + '"><th scope="row">' + regionCell(region.region) + '</th><td>' + esc(region.role) +
      (region.databaseRole ? ' <span class="muted">(db ' + esc(region.databaseRole) + ')</span>' : '') + '</td>' +
      '<td><span class="' + esc(region.verdict) + '">' + esc(region.verdict) + '</span> <span class="muted">for ' + esc(ago(region.since, now)) + '</span>' +
      (region.verdict !== 'healthy' && region.reasons.length ? '<br><span class="muted">' + esc(region.reasons.join('; ')) + '</span>' : '') + '</td>' +
      '<td><ul class="observers">' + observers + stale + '</ul></td><td>' + lag + '</td>' +
      '<td>' + (region.role === 'primary' ? '-' : region.replicationSource ? regionCell(region.replicationSource) : 'not reported') + '</td></tr>');
  }
  parts.push('</tbody></table>');

  const failover = status.currentFailover;
  if (failover) {
    const names = failover.steps.map((step) => step.step);
    const current = failover.step === undefined ? -1 : names.indexOf(failover.step);
    parts.push('<h3>Failover in progress: ' + esc(failover.id) + '</h3><p>' + regionCell(failover.from) + ' → ' + regionCell(failover.to) +
      (failover.planned ? ' (planned switchover)' : '') + '; expected data loss: ' + esc(failover.expectedDataLoss.text) + '</p>' +
      '<ol class="steps" aria-label="Steps" data-testid="live-steps">' + failover.steps.map((step, index) => {
        const cls = index < current ? 'done' : index === current ? (status.stalled ? 'stalled' : 'active') : '';
        const label = index < current ? ', done' : index === current ? (status.stalled ? ', stalled' : ', in progress') : '';
        return '<li class="' + cls + '" title="' + esc(step.action) + '"' + (index === current ? ' aria-current="step"' : '') + '>' + (index + 1) + '. ' + esc(step.step) + '<span class="visually-hidden">' + label + '</span></li>';
      }).join('') + '</ol>');
  }
  if (status.lastFailover) {
    const last = status.lastFailover;
    parts.push('<p>Last failover <code>' + esc(last.id) + '</code>: ' + regionCell(last.from) + ' → ' + regionCell(last.to) + ' ' + esc(last.outcome) +
      (last.rtoMs === undefined ? '' : ', RTO ' + esc((last.rtoMs / 1000).toFixed(1)) + ' s') +
      ' <button type="button" data-report="' + esc(last.id) + '">Open its timeline</button></p>');
  }

  const commands = (pending && pending.commands) || [];
  parts.push('<h3>Pending commands</h3>' + (commands.length === 0 ? '<p class="muted">none</p>' :
    '<table><thead><tr><th scope="col">Command</th><th scope="col">Queued</th><th scope="col">By</th><th scope="col">Reason</th></tr></thead><tbody>' +
    commands.map((c) => '<tr><td>' + esc(c.type) + (c.targetRegion ? ' → ' + esc(c.targetRegion) : '') + '</td><td>' + esc(ago(c.requestedAt, now)) + ' ago</td><td>' +
      esc(c.principalArn) + '</td><td>' + esc(c.reason) + '</td></tr>').join('') + '</tbody></table>'));

  parts.push('<h3>Event log</h3><table class="events"><thead><tr><th scope="col">Time</th><th scope="col">#</th><th scope="col">Event</th><th scope="col">Who</th><th scope="col">What and why</th></tr></thead><tbody>' +
    status.lastEvents.map((e) => '<tr><td>' + esc(iso(e.at)) + '</td><td>' + esc(e.seq) + '</td><td>' + esc(e.type) + '</td><td>' + esc(e.actor ?? '-') + '</td><td>' + esc(e.message) + '</td></tr>').join('') +
    '</tbody></table>');
  return parts.join('');
}

function protectionText(protection) {
  if (protection.kind === 'protected') return protection.regions.join(', ') + ' replicate from ' + protection.primaryRegion;
  if (protection.kind === 'unprotected') return 'UNPROTECTED: ' + protection.fixes.join('; ');
  return 'unknown: ' + protection.reason;
}

function groupSection(groupId) {
  const id = 'group-' + groupId.replace(/[^A-Za-z0-9_-]/g, '_');
  let section = document.getElementById(id);
  if (section) return section;
  section = document.createElement('section');
  section.className = 'group';
  section.id = id;
  section.dataset.group = groupId;
  section.setAttribute('aria-label', 'Group ' + groupId);
  section.innerHTML = '<div class="live" aria-live="off"></div>' +
    '<div class="actions" role="group" aria-label="Commands for ' + esc(groupId) + '">' +
    COMMANDS.map(([type, label]) => '<button type="button" data-command="' + type + '">' + label + '</button>').join('') +
    '<button type="button" data-history>Past failovers</button></div>' +
    '<div class="history"></div><div class="report" data-testid="report"></div>';
  document.getElementById('groups').append(section);
  return section;
}

function onStatus(message) {
  const connection = document.getElementById('connection');
  if (message.error) {
    connection.textContent = 'operator API: ' + ((message.error.error && message.error.error.message) || JSON.stringify(message.error));
    return;
  }
  document.getElementById('groups').setAttribute('aria-busy', 'false');
  message.groups.forEach((status, index) => {
    const before = latest.get(status.groupId);
    latest.set(status.groupId, status);
    const live = groupSection(status.groupId).querySelector('.live');
    live.innerHTML = renderLive(status, message.pending[index]);
    if (before && before.state !== status.state) announce(status.groupId + ' is now ' + status.state);
  });
  connection.textContent = 'live; control plane time ' + iso(message.groups[0] && message.groups[0].at);
}

function announce(text) { document.getElementById('announce').textContent = text; }

async function api(path, init) {
  const response = await fetch(path, { ...init, headers: { ...HEADERS, ...(init && init.headers) } });
  const type = response.headers.get('content-type') || '';
  return { status: response.status, body: type.startsWith('application/json') ? await response.json() : await response.text() };
}

function errorText(body) {
  const error = body && body.error;
  if (!error) return JSON.stringify(body);
  return error.message + (error.issues ? ': ' + error.issues.join('; ') : '') + (body.dataLoss ? ' Expected data loss: ' + body.dataLoss.text + '.' : '');
}

// The dialog: dry run first, then a typed confirmation, then the command.
const dialog = document.getElementById('action');
let pendingAction;
function openAction(groupId, type, label) {
  const status = latest.get(groupId);
  pendingAction = { groupId, type, previewOk: false };
  document.getElementById('action-title').textContent = label + ': ' + groupId;
  document.getElementById('action-describe').textContent = 'Nothing is sent until you have seen the dry run and typed the group name.';
  document.getElementById('action-reason').value = '';
  const target = document.getElementById('action-target');
  const regions = status ? status.regions.filter((r) => r.role !== 'primary').map((r) => r.region) : [];
  target.innerHTML = (type === 'failover' ? '<option value="">best healthy replica</option>' : '') + regions.map((r) => '<option>' + esc(r) + '</option>').join('');
  document.getElementById('action-target-label').hidden = type !== 'failover' && type !== 'switchover';
  document.getElementById('action-loss-label').hidden = type !== 'failover';
  document.getElementById('action-loss').checked = false;
  document.getElementById('action-plan').innerHTML = '';
  document.getElementById('action-result').textContent = '';
  document.getElementById('action-confirm-label').hidden = true;
  document.getElementById('action-confirm').value = '';
  document.getElementById('action-group-name').textContent = groupId;
  document.getElementById('action-send').disabled = true;
  dialog.showModal();
  document.getElementById('action-reason').focus();
}

function fieldsOf() {
  const type = pendingAction.type;
  const target = document.getElementById('action-target').value;
  return {
    type,
    reason: document.getElementById('action-reason').value.trim(),
    ...((type === 'failover' || type === 'switchover') && target ? { targetRegion: target } : {}),
    ...(type === 'failover' && document.getElementById('action-loss').checked ? { allowDataLoss: true } : {}),
  };
}

async function preview() {
  const fields = fieldsOf();
  const plan = document.getElementById('action-plan');
  if (!fields.reason) { plan.innerHTML = '<p class="refused">A reason is required: it is recorded with your identity.</p>'; return; }
  const query = new URLSearchParams({ command: fields.type, reason: fields.reason, ...(fields.targetRegion ? { targetRegion: fields.targetRegion } : {}), ...(fields.allowDataLoss ? { allowDataLoss: 'true' } : {}) });
  const answer = await api('/api/groups/' + encodeURIComponent(pendingAction.groupId) + '/plan?' + query);
  if (answer.status !== 200) { plan.innerHTML = '<p class="refused">' + esc(errorText(answer.body)) + '</p>'; return; }
  const command = answer.body.command;
  const lines = ['<p><strong>' + esc(command.decision === 'accept' ? 'Would do: ' : command.decision === 'conflict' ? 'Refused as a conflict: ' : 'Refused: ') + '</strong>' +
    '<span class="' + (command.decision === 'accept' ? '' : 'refused') + '" data-testid="plan-message">' + esc(command.message) + '</span></p>'];
  if (command.stateAfter) lines.push('<p>State after: ' + esc(command.stateAfter) + '</p>');
  // An approval's own preview names no failover: the one it approves is the plan's.
  const failover = command.failover || (command.decision === 'accept' ? answer.body.failover : undefined);
  if (failover) {
    lines.push('<p>Expected data loss: <strong data-testid="data-loss">' + esc(failover.expectedDataLoss.text) + '</strong></p>');
    lines.push('<ol>' + failover.steps.map((step) => '<li>' + esc(step.step) + ': ' + esc(step.action) + '</li>').join('') + '</ol>');
  }
  if (command.dataLoss) lines.push('<p>Expected data loss: <strong data-testid="data-loss">' + esc(command.dataLoss.text) + '</strong>; to accept it: ' + esc(command.dataLoss.accept) + '</p>');
  plan.innerHTML = lines.join('');
  pendingAction.previewOk = command.decision === 'accept';
  pendingAction.previewed = JSON.stringify(fields);
  document.getElementById('action-confirm-label').hidden = !pendingAction.previewOk;
  if (pendingAction.previewOk) document.getElementById('action-confirm').focus();
  updateSend();
}

function updateSend() {
  const ready = pendingAction && pendingAction.previewOk && pendingAction.previewed === JSON.stringify(fieldsOf()) &&
    document.getElementById('action-confirm').value === pendingAction.groupId;
  document.getElementById('action-send').disabled = !ready;
}

async function sendAction() {
  const fields = fieldsOf();
  const result = document.getElementById('action-result');
  document.getElementById('action-send').disabled = true;
  result.textContent = 'sending…';
  const answer = await api('/api/groups/' + encodeURIComponent(pendingAction.groupId) + '/commands', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...fields, confirm: document.getElementById('action-confirm').value }),
  });
  if (answer.status === 200) result.textContent = fields.type + ' accepted: ' + answer.body.message + ' (state ' + answer.body.state + ')';
  else if (answer.status === 202) result.textContent = fields.type + ' queued: ' + answer.body.message;
  else result.textContent = fields.type + ' refused (' + answer.status + '): ' + errorText(answer.body);
  result.className = answer.status < 300 ? '' : 'refused';
  announce(result.textContent);
}

async function openHistory(section) {
  const answer = await api('/api/groups/' + encodeURIComponent(section.dataset.group) + '/history');
  const target = section.querySelector('.history');
  if (answer.status !== 200) { target.innerHTML = '<p class="refused">' + esc(errorText(answer.body)) + '</p>'; return; }
  const failovers = answer.body.failovers;
  target.innerHTML = '<h3>Past failovers</h3>' + (failovers.length === 0 ? '<p class="muted">none recorded</p>' :
    '<table><thead><tr><th scope="col">Failover</th><th scope="col">Route</th><th scope="col">Outcome</th><th scope="col">RTO</th><th scope="col"></th></tr></thead><tbody>' +
    failovers.map((f) => '<tr><td><code>' + esc(f.id) + '</code></td><td>' + esc(f.from) + ' → ' + esc(f.to) + '</td><td>' + esc(f.outcome) + '</td><td>' +
      (f.rtoMs === undefined ? '-' : esc((f.rtoMs / 1000).toFixed(1)) + ' s') + '</td><td><button type="button" data-report="' + esc(f.id) + '">Open its timeline</button></td></tr>').join('') +
    '</tbody></table>');
}

async function openReport(section, failoverId) {
  const target = section.querySelector('.report');
  target.innerHTML = '<p class="muted">loading the timeline of ' + esc(failoverId) + '…</p>';
  const answer = await api('/api/groups/' + encodeURIComponent(section.dataset.group) + '/failovers/' + encodeURIComponent(failoverId) + '/report');
  target.innerHTML = answer.status === 200 ? '<h3>Timeline of ' + esc(failoverId) + '</h3>' + answer.body : '<p class="refused">' + esc(errorText(answer.body)) + '</p>';
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('button');
  if (!button) return;
  const section = button.closest('.group');
  if (button.dataset.command && section) openAction(section.dataset.group, button.dataset.command, button.textContent);
  else if (button.dataset.report !== undefined && section) openReport(section, button.dataset.report);
  else if (button.dataset.history !== undefined && section) openHistory(section);
  else if (button.id === 'action-preview') preview();
  else if (button.id === 'action-send') sendAction();
  else if (button.id === 'action-close') dialog.close();
});
document.getElementById('action-form').addEventListener('input', updateSend);
document.getElementById('action-form').addEventListener('change', updateSend);

const stream = new EventSource('/api/stream');
stream.addEventListener('status', (event) => onStatus(JSON.parse(event.data)));
stream.onerror = () => { document.getElementById('connection').textContent = 'reconnecting…'; };
`;
