// Nurse console: /console[?session=<id>]. The staff key is asked once and
// kept in sessionStorage (this tab only). Keyboard first: see KEYS.
import { live, endpoints } from './api.js';
import { t, roomName, hhmm, langButton, applyStatic, escapeHtml, errorText } from './i18n.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const KEY_STORE = 'qc.staffKey';
let key = sessionStorage.getItem(KEY_STORE) || '';
let sessions = [];
let sid = params.get('session') || sessionStorage.getItem('qc.session') || '';
let view = null;
let selected = null;   // ticketId
let filter = '';
let sub = null;
let busy = false;
let serverOffset = 0;  // server clock - browser clock (virtual in demos)
const qc = { connection: 'connecting', results: [] };
window.__qc = qc;

// id, keys, label, what it acts on, endpoint.
const ACTIONS = [
  { id: 'callNext', keys: ['n', ' '], label: 'c.callNext', primary: true, run: () => sessionCmd('call-next') },
  { id: 'call', keys: ['c'], label: 'c.call', needs: 'waiting', run: (tk) => ticketCmd(tk, 'call') },
  { id: 'recall', keys: ['r'], label: 'c.recall', onCalled: true, run: (tk) => ticketCmd(tk, 'recall') },
  { id: 'complete', keys: ['d'], label: 'c.complete', onCalled: true, run: (tk) => ticketCmd(tk, 'complete') },
  { id: 'missed', keys: ['m'], label: 'c.missed', onCalled: true, run: (tk) => ticketCmd(tk, 'missed') },
  { id: 'return', keys: ['b'], label: 'c.return', needs: 'missed', run: (tk) => ticketCmd(tk, 'return') },
  { id: 'moveNext', keys: ['x'], label: 'c.moveNext', needs: 'waiting', run: (tk) => ticketCmd(tk, 'move-to-next') },
  { id: 'checkIn', keys: ['i'], label: 'c.checkIn', needs: 'booked', run: (tk) => ticketCmd(tk, 'check-in') },
  { id: 'walkIn', keys: ['w'], label: 'c.walkIn', run: () => openWalkIn() },
  { id: 'pause', keys: ['p'], label: 'c.pause', run: () => sessionCmd(view && view.status === 'paused' ? 'resume' : 'pause') },
];

function calledTicket() { return view ? view.tickets.find((x) => x.state === 'called') : null; }
function selectedTicket() { return view ? view.tickets.find((x) => x.ticketId === selected) : null; }
function target(a) { return a.onCalled ? calledTicket() : a.needs ? selectedTicket() : null; }
function enabled(a) {
  if (!view || busy) return false;
  if (a.onCalled) return !!calledTicket();
  if (a.needs) { const tk = selectedTicket(); return !!tk && tk.state === a.needs; }
  return true;
}

// ---- actions ---------------------------------------------------------------

async function perform(a) {
  if (!enabled(a)) {
    if (a.needs) showResult('error', t('c.select'));
    return;
  }
  const tk = target(a);
  busy = true;
  renderActions();
  try {
    const resp = await a.run(tk);
    if (resp) showResult('ok', summarize(resp, a));
    if (!sub || sub.state !== 'live') await reload();
  } catch (e) {
    showResult('error', `${t(a.label)}: ${errorText(e)}`);
    if (e.status === 401) logout();
  } finally {
    busy = false;
    renderActions();
  }
}
const sessionCmd = (action) => endpoints.sessionAction(sid, action, key);
const ticketCmd = (tk, action) => endpoints.ticketAction(tk.ticketId, action, key);

const EVENT_TEXT = {
  zh: {
    ticketCalled: (e) => `已叫号 ${e.label}`, ticketRecalled: (e) => `已重呼 ${e.label}`,
    ticketCompleted: (e) => `${e.label} 就诊完成`, ticketMissed: (e) => `${e.label} 已过号`,
    ticketReturned: (e) => `${e.label} 过号返回${placementText(e.placement)}`,
    movedToNext: (e) => `${e.label} 已排到下一位`, checkedIn: (e) => `${e.label} 已签到${placementText(e.placement)}`,
    walkInRegistered: (e) => `已挂号 ${e.label}`, nobodyWaiting: () => '没有候诊的患者',
    sessionPaused: () => '已暂停接诊', sessionResumed: () => '已恢复接诊',
  },
  en: {
    ticketCalled: (e) => `Called ${e.label}`, ticketRecalled: (e) => `Recalled ${e.label}`,
    ticketCompleted: (e) => `${e.label} completed`, ticketMissed: (e) => `${e.label} missed`,
    ticketReturned: (e) => `${e.label} returned${placementText(e.placement)}`,
    movedToNext: (e) => `${e.label} moved to next`, checkedIn: (e) => `${e.label} checked in${placementText(e.placement)}`,
    walkInRegistered: (e) => `Registered ${e.label}`, nobodyWaiting: () => 'Nobody is waiting',
    sessionPaused: () => 'Session paused', sessionResumed: () => 'Session resumed',
  },
};
function placementText(p) {
  const name = String(p || '').toLowerCase().replace(/^placement_/, '');
  const s = name && name !== 'normal' && name !== 'none' ? t(`placement.${name}`) : '';
  return s ? ` (${s})` : '';
}
function summarize(resp, a) {
  const table = EVENT_TEXT[document.documentElement.lang === 'en' ? 'en' : 'zh'];
  const parts = [];
  for (const ev of resp.events || []) {
    for (const [k, fn] of Object.entries(table)) {
      if (ev[k] !== undefined) {
        // ticketCompleted with reason next_call is implied by the next call.
        if (k === 'ticketCompleted' && ev[k].reason === 'next_call') continue;
        parts.push(fn(ev[k]));
      }
    }
  }
  return parts.length ? parts.join('；') : t('c.ok', { what: t(a.label) });
}

function showResult(kind, text) {
  const el = $('result');
  el.className = `c-result ${kind}`;
  el.textContent = `${hhmm(Date.now() + serverOffset)}  ${text}`;
  qc.results.push({ kind, text });
}

// ---- walk-in dialog ---------------------------------------------------------

function openWalkIn() {
  $('wRef').value = '';
  $('wName').value = '';
  $('walkin').showModal();
  $('wRef').focus();
  return null;
}
$('wCancel').addEventListener('click', () => $('walkin').close());
$('walkinForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const ref = $('wRef').value.trim();
  const name = $('wName').value.trim();
  $('walkin').close();
  try {
    const resp = await endpoints.walkIn(sid, key, ref, name);
    showResult('ok', t('c.registered', { label: resp.label || '' }));
    if (resp.ticketId) selected = resp.ticketId;
    if (!sub || sub.state !== 'live') await reload();
  } catch (err) {
    showResult('error', `${t('c.walkIn')}: ${errorText(err)}`);
  }
});

// ---- rendering ---------------------------------------------------------------

function slotText(s, slot) {
  if (!s || slot < 0 || !s.start) return slot >= 0 ? String(slot) : '';
  const from = s.start + slot * s.slotMinutes * 60000;
  return `${hhmm(from)}`;
}

function visibleTickets() {
  if (!view) return [];
  const f = filter.toLowerCase();
  return view.tickets.filter((x) => !f || x.label.toLowerCase().includes(f) || x.patientName.toLowerCase().includes(f) || x.patientRef.toLowerCase().includes(f));
}

function render() {
  applyStatic();
  $('live').textContent = t(`live.${qc.connection === 'live' ? 'ok' : qc.connection}`);
  renderSessions();
  renderActions();
  if (!view) { $('rows').innerHTML = ''; return; }
  $('sessionInfo').textContent = `${view.doctorName} · ${roomName(view.room)} · ${hhmm(view.start)}–${hhmm(view.end)}`;
  $('sessionStatus').textContent = t(`status.${view.status}`);
  $('sessionStatus').className = `c-chip ${view.status}`;
  const called = calledTicket();
  $('nowLabel').textContent = called ? called.label : '—';
  $('nowName').textContent = called ? called.patientName : '';
  const list = visibleTickets();
  if (!list.some((x) => x.ticketId === selected)) {
    const first = list.find((x) => x.state === 'waiting') || list[0];
    selected = first ? first.ticketId : null;
  }
  $('rows').innerHTML = list.map((x) => {
    const tag = x.placement === 'made_next' || x.placement === 'demoted'
      ? `<span class="tag ${x.placement}">${escapeHtml(t(`placement.${x.placement}`))}</span>` : '';
    const slot = x.effectiveSlot >= 0 && x.effectiveSlot !== x.slot
      ? `${slotText(view, x.slot)} → ${slotText(view, x.effectiveSlot)}` : slotText(view, x.slot);
    return `<tr class="s-${x.state}${x.ticketId === selected ? ' sel' : ''}" data-ticket="${escapeHtml(x.ticketId)}" data-label="${escapeHtml(x.label)}" data-state="${x.state}">
      <td>${x.state === 'waiting' && x.position >= 0 ? x.position + 1 : ''}</td><td class="label">${escapeHtml(x.label)}</td>
      <td>${escapeHtml(t(`kind.${x.kind}`))}</td><td>${escapeHtml(slot)}</td>
      <td>${escapeHtml(x.patientName)}</td><td>${escapeHtml(t(`state.${x.state}`))}${tag}</td>
      <td>${escapeHtml(hhmm(x.checkedInAt))}</td></tr>`;
  }).join('');
  const n = (st) => view.tickets.filter((x) => x.state === st).length;
  $('counts').textContent = `${t('state.waiting')} ${n('waiting')} · ${t('state.missed')} ${n('missed')} · ${t('state.booked')} ${n('booked')} · ${t('state.done')} ${n('done')}`;
  const sel = document.querySelector('tr.sel');
  if (sel) sel.scrollIntoView({ block: 'nearest' });
}

function renderActions() {
  const box = $('actions');
  if (!box.children.length) {
    box.innerHTML = ACTIONS.map((a) => `<button type="button" data-action="${a.id}" class="${a.primary ? 'primary' : ''}"><span></span><kbd>${a.keys[0] === ' ' ? 'Space' : a.keys[0].toUpperCase()}</kbd></button>`).join('');
    for (const b of box.querySelectorAll('button')) {
      b.addEventListener('click', () => perform(ACTIONS.find((a) => a.id === b.dataset.action)));
    }
  }
  for (const a of ACTIONS) {
    const b = box.querySelector(`[data-action="${a.id}"]`);
    const label = a.id === 'pause' && view && view.status === 'paused' ? 'c.resume' : a.label;
    b.firstElementChild.textContent = t(label);
    b.disabled = !enabled(a);
  }
  $('keys').textContent = `${t('c.keys')}: N/Space ${t('c.callNext')} · ↑↓ / J K · Enter · C ${t('c.call')} · R ${t('c.recall')} · D ${t('c.complete')} · M ${t('c.missed')} · B ${t('c.return')} · X ${t('c.moveNext')} · I ${t('c.checkIn')} · W ${t('c.walkIn')} · P ${t('c.pause')}/${t('c.resume')} · / ${t('c.filter')}`;
}

function renderSessions() {
  const sel = $('session');
  const opts = sessions.map((s) => `<option value="${escapeHtml(s.sessionId)}">${escapeHtml(`${s.doctorName || s.sessionId} · ${roomName(s.room)} · ${hhmm(s.start)}`)}</option>`).join('');
  if (sel.dataset.opts !== opts) { sel.innerHTML = opts; sel.dataset.opts = opts; }
  sel.value = sid;
}

// ---- keyboard ------------------------------------------------------------------

document.addEventListener('keydown', (e) => {
  if ($('app').classList.contains('hidden') || $('walkin').open) return;
  const inField = e.target.matches('input, select, textarea');
  if (e.key === 'Escape' && inField) { e.target.blur(); return; }
  if (inField || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (k === 'ArrowDown' || k === 'j' || k === 'ArrowUp' || k === 'k') {
    const list = visibleTickets();
    const i = list.findIndex((x) => x.ticketId === selected);
    const j = Math.max(0, Math.min(list.length - 1, i + (k === 'ArrowDown' || k === 'j' ? 1 : -1)));
    if (list[j]) { selected = list[j].ticketId; render(); }
    e.preventDefault();
    return;
  }
  if (k === '/') { $('filter').focus(); e.preventDefault(); return; }
  if (k === 'Enter') {
    const tk = selectedTicket();
    const by = { waiting: 'call', booked: 'checkIn', missed: 'return', called: 'complete' };
    if (tk && by[tk.state]) { perform(ACTIONS.find((a) => a.id === by[tk.state])); e.preventDefault(); }
    return;
  }
  const a = ACTIONS.find((x) => x.keys.includes(k));
  if (a) { e.preventDefault(); perform(a); }
});
$('rows').addEventListener('click', (e) => {
  const tr = e.target.closest('tr[data-ticket]');
  if (tr) { selected = tr.dataset.ticket; render(); }
});
$('filter').addEventListener('input', (e) => { filter = e.target.value.trim(); render(); });
$('session').addEventListener('change', (e) => openSession(e.target.value));

// ---- session + login ---------------------------------------------------------

async function reload() {
  if (!sid) return;
  try { view = await endpoints.session(sid, key); render(); } catch (e) { showResult('error', errorText(e)); }
}

function openSession(id) {
  sid = id;
  sessionStorage.setItem('qc.session', sid);
  view = null;
  if (sub) sub.close();
  render();
  sub = live({
    subscribe: { staff: { sessionId: sid, key } },
    onState: (s) => {
      qc.connection = s;
      $('dot').className = `live-dot ${s === 'live' ? '' : s}`;
      $('banner').classList.toggle('hidden', s !== 'down');
      $('live').textContent = t(`live.${s === 'live' ? 'ok' : s}`);
    },
    onServerTime: (ms) => { serverOffset = ms - Date.now(); },
    onView: (v, meta) => { if (meta.kind === 'staff' && v.sessionId === sid) { view = v; qc.version = meta.version; render(); } },
    onError: (e) => showResult('error', errorText(e)),
  });
  reload();
}

async function start() {
  $('login').classList.add('hidden');
  $('app').classList.remove('hidden');
  try {
    sessions = await endpoints.sessions(key);
  } catch (e) {
    if (e.status === 401 || e.status === 403) { logout(errorText(e)); return; }
    showResult('error', errorText(e));
    sessions = [];
  }
  if (!sessions.length && !sid) { showResult('error', t('c.noSession')); render(); return; }
  if (!sessions.some((s) => s.sessionId === sid)) sid = sid && !sessions.length ? sid : sessions[0].sessionId;
  openSession(sid);
}

function logout(msg = '') {
  sessionStorage.removeItem(KEY_STORE);
  key = '';
  if (sub) { sub.close(); sub = null; }
  $('app').classList.add('hidden');
  $('login').classList.remove('hidden');
  $('loginErr').textContent = msg;
  $('key').value = '';
  $('key').focus();
}
$('logout').addEventListener('click', () => logout());
$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  key = $('key').value.trim();
  sessionStorage.setItem(KEY_STORE, key);
  start();
});

applyStatic();
langButton($('lang'), render);
if (key) start(); else logout();
