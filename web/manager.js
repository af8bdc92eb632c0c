// Clinic manager view: /manager. Today's sessions with their remaining
// quotas, waiting counts and average waits; refreshed every 15 s.
import { endpoints, serverClock } from './api.js';
import { t, lang, roomName, hhmm, hhmmss, langButton, applyStatic, escapeHtml, errorText } from './i18n.js';

const $ = (id) => document.getElementById(id);
const KEY_STORE = 'qc.staffKey';
let key = sessionStorage.getItem(KEY_STORE) || '';
let data = [];
let updatedAt = null;
const qc = { rows: [] };
window.__qc = qc;

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const minutes = (ms) => (ms === null ? '—' : t('m.min', { n: Math.round(ms / 60000) }));

function stats(s) {
  const count = (st) => s.tickets.filter((x) => x.state === st).length;
  const waits = s.tickets.filter((x) => x.checkedInAt && x.calledAt && x.calledAt >= x.checkedInAt).map((x) => x.calledAt - x.checkedInAt);
  return {
    waiting: count('waiting'), booked: count('booked'), done: count('done') + count('called'), missed: count('missed'),
    atTests: count('at_tests'),
    // priority tickets still to be seen (booked, waiting, missed, at tests)
    priority: s.tickets.filter((x) => x.priority && !['called', 'done', 'cancelled', 'no_show'].includes(x.state)).length,
    avgWait: mean(waits), avgConsult: s.avgConsult || null,
    aLeft: s.appointmentLeft.reduce((a, b) => a + b, 0), wLeft: s.walkinLeft.reduce((a, b) => a + b, 0),
  };
}

function bars(s) {
  const max = Math.max(1, ...s.appointmentLeft, ...s.walkinLeft);
  return `<span class="bars" title="A/W per slot">${s.appointmentLeft.map((a, i) =>
    `<i data-h="${Math.max(1, 18 * a / max)}"></i><i class="w" data-h="${Math.max(1, 18 * (s.walkinLeft[i] || 0) / max)}"></i>`).join('')}</span>`;
}

// Bar heights through the CSSOM: the CSP refuses style attributes in markup.
function sizeBars(root) {
  for (const i of root.querySelectorAll('.bars i[data-h]')) i.style.height = `${i.dataset.h}px`;
}

// The planning chart in the page's language (queuecast simulate --svg-lang).
function renderChart() {
  const src = `/static/charts/planning${lang === 'zh' ? '.zh' : ''}.svg`;
  if ($('planChart').getAttribute('src') !== src) $('planChart').setAttribute('src', src);
  $('planChart').alt = t('m.plan');
}

function render() {
  applyStatic();
  renderChart();
  const rows = data.map((s) => ({ s, st: stats(s) }));
  qc.rows = rows.map(({ s, st }) => ({ sessionId: s.sessionId, ...st }));
  $('rows').innerHTML = rows.map(({ s, st }) => `<tr data-session="${escapeHtml(s.sessionId)}">
    <td>${escapeHtml(s.doctorName)}</td><td>${escapeHtml(s.rooms.length > 1 ? s.rooms.map((r) => roomName(r.room)).join(' / ') : roomName(s.room))}</td><td>${hhmm(s.start)}–${hhmm(s.end)}</td>
    <td>${escapeHtml(t(`status.${s.status}`))}</td><td>${st.aLeft} / ${st.wLeft}${bars(s)}</td>
    <td class="num">${st.waiting}</td><td class="num">${st.booked}</td><td class="num">${st.done}</td><td class="num">${st.missed}</td><td class="num">${st.atTests}</td><td class="num">${st.priority}</td>
    <td class="num">${minutes(st.avgWait)}</td><td class="num">${minutes(st.avgConsult)}</td></tr>`).join('');
  sizeBars($('rows'));
  const all = rows.map((r) => r.st);
  const sum = (k) => all.reduce((a, b) => a + b[k], 0);
  const waits = data.flatMap((s) => s.tickets.filter((x) => x.checkedInAt && x.calledAt).map((x) => x.calledAt - x.checkedInAt));
  $('sum').innerHTML = [[t('m.waiting'), sum('waiting')], [t('m.done'), sum('done')], [t('m.booked'), sum('booked')],
    [t('m.missed'), sum('missed')], [t('m.avgWait'), minutes(mean(waits))]]
    .map(([k, v]) => `<div class="m-kpi"><span class="muted">${escapeHtml(k)}</span><b>${escapeHtml(String(v))}</b></div>`).join('');
  // The server's clock at the last answer (virtual in demos), not the browser's.
  if (updatedAt) $('when').textContent = t('p.updated', { time: hhmmss(updatedAt) });
}

async function refresh() {
  try {
    const list = await endpoints.sessions(key);
    data = await Promise.all(list.map((s) => endpoints.session(s.sessionId, key).catch(() => s)));
    data.sort((a, b) => (a.start - b.start) || a.room.localeCompare(b.room));
    updatedAt = serverClock.now();
    $('err').textContent = '';
    render();
  } catch (e) {
    if (e.status === 401 || e.status === 403) { login(errorText(e)); return; }
    $('err').textContent = errorText(e);
  }
}

function login(msg = '') {
  sessionStorage.removeItem(KEY_STORE);
  $('app').classList.add('hidden');
  $('login').classList.remove('hidden');
  $('loginErr').textContent = msg;
  $('key').focus();
}
$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  key = $('key').value.trim();
  sessionStorage.setItem(KEY_STORE, key);
  $('login').classList.add('hidden');
  $('app').classList.remove('hidden');
  refresh();
});
applyStatic();
renderChart();
langButton($('lang'), render);
if (key) { $('app').classList.remove('hidden'); refresh(); } else login();
setInterval(() => { if (key) refresh(); }, 15000);
