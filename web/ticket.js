// Patient page: /t/<token>. Optional URL parameters: alert=N (alert when N
// or fewer people are ahead; default 3, the patient can change it), lang=en|zh.
//
// Live data (docs/api.md, "Live push"): the page subscribes as the patient
// with `board: true`, so it follows the session's public board (one payload
// shared by every phone of the session) and receives the ticket's own view
// only when the ticket itself changes. While WAITING, its position is the
// index of its label in board.waiting and its estimate
// board.doctorAvailableAt + board.etaOffsetsMs[index]; state, room, doctor
// and slot come from the own view.
import { live, endpoints, serverClock } from './api.js';
import { t, roomName, hhmm, hhmmss, whenText, langButton, applyStatic, escapeHtml, errorText } from './i18n.js';

const params = new URLSearchParams(location.search);
const token = decodeURIComponent(location.pathname.split('/')[2] || params.get('token') || '');
const $ = (id) => document.getElementById(id);

// view: what the page shows (the own view with the board's newer position,
// estimate, called label and status); own/board: the newest of each.
const qc = { connection: 'connecting', view: null, alerts: [], version: 0, own: null, board: null, owns: 0, boards: 0 };
window.__qc = qc;

let view = null;
let own = null;
let board = null;
let updatedAt = null;
let alertN = Number(params.get('alert') || localStorage.getItem('qc.alertN') || 3);
const alertedKey = `qc.alerted.${token}`;

const serverNow = () => serverClock.now();  // the server's clock (virtual in demos)

function hero(v) {
  const room = roomName(v.room);
  switch (v.state) {
    case 'called':
      return ['called', `<div class="lead">${escapeHtml(t('p.called', { room }))}</div><div class="sub">${escapeHtml(t('p.calledSub', { label: v.label }))}</div>`];
    case 'missed':
      return ['missed', `<div class="lead">${escapeHtml(t('p.missed'))}</div><div class="sub">${escapeHtml(t('p.missedSub'))}</div>`];
    case 'at_tests':  // sent for tests: out of the queue until they check in again
      return ['tests', `<div class="lead" data-testid="at-tests">${escapeHtml(t('p.atTests'))}</div><div class="sub">${escapeHtml(t('p.atTestsSub'))}</div>`];
    case 'waiting': {
      const eta = v.eta ? etaText(v.eta) : '';
      if (v.ahead === 0) {
        return ['next', `<div class="lead" data-testid="next">${escapeHtml(t('p.next'))}</div>${eta ? `<div class="sub">${eta}</div>` : ''}`];
      }
      return ['waiting', `<div class="sub">${escapeHtml(t('p.ahead'))}</div>
        <div class="big" data-testid="ahead">${v.ahead}<small>${escapeHtml(t('p.people'))}</small></div>
        ${eta ? `<div class="sub">${eta}</div>` : ''}`];
    }
    case 'booked': {
      const today = serverNow();
      const arrive = v.recommendedArrival
        ? `<div class="lead" data-testid="arrive">${escapeHtml(t('p.arrive', { time: whenText(v.recommendedArrival, today) }))}</div>` : '';
      // "If you checked in now" only means something on the day itself.
      const sameDay = whenText(v.slotStart, today) === hhmm(v.slotStart);
      const ahead = v.ahead >= 0 && sameDay ? `<div class="sub">${escapeHtml(t('p.arriveAhead', { n: v.ahead }))}</div>` : '';
      return ['booked', `${arrive}<div class="sub">${escapeHtml(t('p.booked', { from: whenText(v.slotStart, today), to: hhmm(v.slotEnd) }))}</div>${ahead}`];
    }
    case 'done': return ['final', `<div class="lead">${escapeHtml(t('p.done'))}</div>`];
    case 'cancelled':
      return ['final', `<div class="lead">${escapeHtml(t(v.sessionStatus === 'suspended' ? 'p.cancelledSuspended' : 'p.cancelled'))}</div>`];
    case 'no_show': return ['final', `<div class="lead">${escapeHtml(t('p.noShow'))}</div>`];
    default: return ['final', ''];
  }
}

function etaText(eta) {
  const min = Math.round((eta - serverNow()) / 60000);
  const when = escapeHtml(t('p.eta', { time: hhmm(eta) }));
  return min > 0 ? `${when} · ${escapeHtml(t('p.etaIn', { min }))}` : when;
}

function notices(v) {
  const out = [];
  const active = v.state === 'waiting' || v.state === 'booked';
  if (v.sessionStatus === 'paused' && active) out.push(['warn', t('p.paused')]);
  if (v.sessionStatus === 'suspended' && v.state !== 'cancelled') out.push(['bad', t('p.suspended')]);
  if (v.sessionStatus === 'closed' && active) out.push(['info', t('p.closed')]);
  if (v.state === 'waiting' && v.placement === 'demoted') out.push(['warn', t('p.demoted')]);
  if (v.state === 'waiting' && v.placement === 'made_next' && v.ahead > 0) out.push(['info', t('p.madeNext')]);
  // Inserted (priority, or back from tests): where it stands, as it is now.
  if (v.state === 'waiting' && v.placement === 'inserted' && v.ahead > 0) {
    out.push(['info', t(v.priority ? 'p.priorityPlace' : 'p.returned', { n: v.ahead + 1 })]);
  }
  if (v.state === 'waiting' && v.ahead > 0 && v.ahead <= alertN) out.push(['alert', t('p.alert', { n: v.ahead })]);
  return out.map(([cls, text]) => `<div class="notice ${cls}" data-testid="notice-${cls}">${escapeHtml(text)}</div>`).join('');
}

function render() {
  applyStatic();
  $('live').textContent = t(`live.${qc.connection === 'live' ? 'ok' : qc.connection}`);
  $('updated').textContent = updatedAt ? t('p.updated', { time: hhmmss(updatedAt) }) : '';
  renderAlertBox();
  if (!view) return;
  const v = view;
  document.title = `${v.label} · ${t('p.title')}`;
  $('label').textContent = v.label;
  $('state').textContent = t(`state.${v.state}`);
  // 优先 on the patient's own ticket only (displays never say it).
  $('prio').textContent = t('priority');
  $('prio').classList.toggle('hidden', !v.priority || ['done', 'cancelled', 'no_show'].includes(v.state));
  $('where').textContent = [v.doctorName, roomName(v.room)].filter(Boolean).join(' · ');
  const [cls, html] = hero(v);
  $('hero').className = `p-card p-hero ${cls}`;
  $('hero').innerHTML = html;
  $('notices').innerHTML = notices(v);
  const facts = [];
  if (v.calledLabel && v.state !== 'called') facts.push([t('p.nowCalling'), v.calledLabel]);
  if (v.doctorName) facts.push([t('p.doctor'), v.doctorName]);
  if (v.room) facts.push([t('p.room'), roomName(v.room)]);
  if (v.slotStart) facts.push([t('p.slot'), `${hhmm(v.slotStart)}–${hhmm(v.slotEnd)}`]);
  $('facts').innerHTML = facts.map(([k, val]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(val)}</dd>`).join('');
  $('facts').classList.toggle('hidden', facts.length === 0);
  $('alertBox').classList.toggle('hidden', !(v.state === 'waiting' || v.state === 'booked'));
}

function renderAlertBox() {
  const sel = $('alertN');
  if (!sel.options.length) {
    for (const n of [1, 2, 3, 5, 8, 10]) sel.add(new Option(String(n), String(n)));
  }
  if (![...sel.options].some((o) => Number(o.value) === alertN)) sel.add(new Option(String(alertN), String(alertN)));
  sel.value = String(alertN);
  $('alertLabel').textContent = t('p.alertLabel');
  const notif = 'Notification' in window ? Notification.permission : 'unsupported';
  $('alertBtn').textContent = t('p.notifyOn');
  $('alertBtn').classList.toggle('hidden', notif !== 'default');
  $('alertMsg').textContent = t('p.alertSet', { n: alertN });
}

// Vibration and a system notification (where the browser allows it), once
// per crossing of the threshold and once when called.
function maybeAlert(prev, v) {
  // Fired alerts survive a reload (sessionStorage): one at the threshold,
  // one at "you are next"; both re-arm when the patient falls back.
  let fired = {};
  try { fired = JSON.parse(sessionStorage.getItem(alertedKey) || '{}'); } catch { /* reset */ }
  let reason = null;
  if (v.state === 'called' && prev && prev.state !== 'called') reason = t('p.called', { room: roomName(v.room) });
  else if (v.state === 'missed' && prev && prev.state !== 'missed') reason = `${t('p.missed')}: ${t('p.missedSub')}`;
  else if (v.state === 'waiting') {
    if (v.ahead === 0 && !fired.next) { reason = t('p.next'); fired.next = true; fired.n = alertN; }
    else if (v.ahead > 0 && v.ahead <= alertN && fired.n !== alertN) { reason = t('p.alert', { n: v.ahead }); fired.n = alertN; }
    if (v.ahead > alertN) fired = {};
    if (v.ahead > 0) fired.next = false;
  }
  try { sessionStorage.setItem(alertedKey, JSON.stringify(fired)); } catch { /* ignore */ }
  if (!reason) return;
  qc.alerts.push({ at: Date.now(), text: reason });
  try { if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]); } catch { /* not allowed */ }
  try {
    if ('Notification' in window && Notification.permission === 'granted') {
      new Notification(`${v.label} · ${t('p.title')}`, { body: reason, tag: `qc-${token}` });
    }
  } catch { /* Android Chrome needs a service worker for this; vibration and the page still alert */ }
}

// The view to show from the newest own view and board; null while they
// disagree (the board already moved the ticket out of the waiting list and
// the own view saying so follows it in the same write).
function compose() {
  if (!own) return null;
  if (!board || board.sessionId !== own.sessionId || board.version <= own.version) return own;
  const v = { ...own, calledLabel: board.calledLabel, sessionStatus: board.status, version: board.version };
  if (own.state === 'waiting') {
    const i = board.waiting.indexOf(own.label);
    if (i < 0) return null;
    v.ahead = i;
    v.eta = i < board.etaOffsetsMs.length ? board.doctorAvailableAt + board.etaOffsetsMs[i] : own.eta;
  }
  return v;
}

// If the own view that should follow a board does not come (it always
// does, in the same write), ask for it after a while rather than stay stale.
let resyncTimer = null;
function resyncSoon() {
  if (resyncTimer) return;
  resyncTimer = setTimeout(() => {
    resyncTimer = null;
    if (compose()) return;
    endpoints.me(token).then((v) => { if (!compose() && v.version >= own.version) show(v); }).catch(() => {});
  }, 3000);
}

function update() {
  updatedAt = serverNow();
  const v = compose();
  if (!v) { resyncSoon(); render(); return; }
  const prev = view;
  view = v;
  qc.view = v;
  maybeAlert(prev, v);
  render();
}

function show(v) {
  own = v;
  qc.own = v;
  update();
}

$('alertN').addEventListener('change', (e) => {
  alertN = Number(e.target.value);
  try { localStorage.setItem('qc.alertN', String(alertN)); } catch { /* ignore */ }
  sessionStorage.removeItem(alertedKey);
  render();
});
$('alertBtn').addEventListener('click', async () => {
  if (!('Notification' in window)) return;
  try { await Notification.requestPermission(); } catch { /* ignore */ }
  render();
});
langButton($('lang'), render);
render();
setInterval(() => { if (view && view.state === 'waiting') render(); }, 30000);

function setConnection(state) {
  qc.connection = state;
  $('dot').className = `live-dot ${state === 'live' ? '' : state}`;
  $('banner').classList.toggle('hidden', state !== 'down');
  render();
}

if (!token) {
  $('hero').innerHTML = `<div class="lead">${escapeHtml(t('p.badToken'))}</div>`;
} else {
  live({
    subscribe: { patient: { token, board: true } },
    onState: setConnection,
    onView: (v, meta) => {
      if (meta.kind === 'patient') {
        qc.owns += 1;
        qc.version = meta.version;
        show(v);
      } else if (meta.kind === 'board') {
        qc.boards += 1;
        qc.version = meta.version;
        board = v;
        qc.board = v;
        update();
      }
    },
    onError: (e) => {
      if (e.code === 'unauthorized' || e.code === 'forbidden') {
        $('hero').className = 'p-card p-hero final';
        $('hero').innerHTML = `<div class="lead">${escapeHtml(t('p.badToken'))}</div>`;
      }
    },
  });
  endpoints.me(token).then((v) => { if (!own) show(v); }).catch((e) => {
    if (!view && (e.status === 401 || e.status === 403 || e.status === 404)) {
      $('hero').className = 'p-card p-hero final';
      $('hero').innerHTML = `<div class="lead">${escapeHtml(t('p.badToken'))}</div><div class="sub">${escapeHtml(errorText(e))}</div>`;
    }
  });
}
