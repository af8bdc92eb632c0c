// Nurse console: /console[?session=<id>]. The staff key is asked once and
// kept in sessionStorage (this tab only). Keyboard first: see ACTIONS and
// docs/pages.md ("Nurse console: keys"). Keys act once, per intent:
// - a shortcut never fires while a control (button, field, select) has the
//   focus: the control handles its own keys (Space/Enter press the focused
//   button); Esc leaves the control; a mouse click does not keep the focus;
// - Enter with a selected row checks in that patient if BOOKED, nothing else;
// - a second call (N/Space/C) within CALL_GUARD_MS of the previous one asks
//   for a confirmation;
// - the last call / complete / missed can be undone (U) for UNDO_MS.
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
const CALL_GUARD_MS = 3000;
const UNDO_MS = 60000;  // the engine's undo window (docs/engine.md 26)
let lastCallAt = -Infinity;  // performance.now() of the last call sent
let undoable = null;         // { until, what }: the last undoable action of this console
let undoTimer = null;
const qc = { connection: 'connecting', results: [] };
window.__qc = qc;

// id, keys, label, what it acts on, endpoint.
// `call`: guarded against a second call within CALL_GUARD_MS; `undoable`: may
// be undone (the engine's undo covers exactly these four).
const ACTIONS = [
  { id: 'callNext', keys: ['n', ' '], label: 'c.callNext', primary: true, call: true, undoable: true, run: () => sessionCmd('call-next') },
  { id: 'call', keys: ['c'], label: 'c.call', needs: 'waiting', call: true, undoable: true, run: (tk) => ticketCmd(tk, 'call') },
  { id: 'recall', keys: ['r'], label: 'c.recall', onCalled: true, run: (tk) => ticketCmd(tk, 'recall') },
  { id: 'complete', keys: ['d'], label: 'c.complete', onCalled: true, undoable: true, run: (tk) => ticketCmd(tk, 'complete') },
  { id: 'missed', keys: ['m'], label: 'c.missed', onCalled: true, undoable: true, run: (tk) => ticketCmd(tk, 'missed') },
  { id: 'return', keys: ['b'], label: 'c.return', needs: 'missed', run: (tk) => ticketCmd(tk, 'return') },
  { id: 'moveNext', keys: ['x'], label: 'c.moveNext', needs: 'waiting', run: (tk) => ticketCmd(tk, 'move-to-next') },
  { id: 'checkIn', keys: ['i'], label: 'c.checkIn', needs: 'booked', run: (tk) => ticketCmd(tk, 'check-in') },
  { id: 'walkIn', keys: ['w'], label: 'c.walkIn', run: () => openWalkIn() },
  { id: 'pause', keys: ['p'], label: 'c.pause', run: () => sessionCmd(view && view.status === 'paused' ? 'resume' : 'pause') },
  { id: 'undo', keys: ['u'], label: 'c.undo', run: () => sessionCmd('undo') },
];

// Texts of this page that i18n.js does not have.
const LOCAL = {
  zh: {
    'c.undo': '撤销', 'c.undoWhat': '撤销：{what}',
    'c.confirmTitle': '再次叫号？', 'c.confirmText': '{ago} 秒前刚叫过号（{label}）。再叫一位会结束当前患者的就诊。',
    'c.confirmYes': '仍然叫号', 'c.confirmNo': '取消', 'c.notCalled': '已取消，没有叫号',
    'c.enterHint': 'Enter 只用于签到预约患者；叫此号请按 C，完成按 D',
    'err.nothing_to_undo': '没有可撤销的操作（之后队列已有变化）', 'err.undo_expired': '已超过 1 分钟，不能撤销',
  },
  en: {
    'c.undo': 'Undo', 'c.undoWhat': 'Undo: {what}',
    'c.confirmTitle': 'Call again?', 'c.confirmText': 'A patient ({label}) was called {ago} s ago. Another call ends their visit.',
    'c.confirmYes': 'Call anyway', 'c.confirmNo': 'Cancel', 'c.notCalled': 'Cancelled: nobody was called',
    'c.enterHint': 'Enter only checks in a booked patient; press C to call this one, D to complete',
    'err.nothing_to_undo': 'Nothing to undo (the queue changed since)', 'err.undo_expired': 'More than a minute ago: cannot undo',
  },
};
function lt(k, vars = {}) {
  const table = LOCAL[document.documentElement.lang === 'en' ? 'en' : 'zh'];
  if (!(k in table)) return t(k, vars);
  return table[k].replace(/\{(\w+)\}/g, (_, v) => String(vars[v] ?? ''));
}
function errText(e) {
  const local = LOCAL[document.documentElement.lang === 'en' ? 'en' : 'zh'][`err.${e && e.code}`];
  return local || errorText(e);
}

function calledTicket() { return view ? view.tickets.find((x) => x.state === 'called') : null; }
function selectedTicket() { return view ? view.tickets.find((x) => x.ticketId === selected) : null; }
function target(a) { return a.onCalled ? calledTicket() : a.needs ? selectedTicket() : null; }
function undoLeft() { return undoable ? undoable.until - performance.now() : 0; }
// Whether the action can run now; `busy` (a request in flight) is checked by
// perform() only, so that a focused button never becomes disabled under the
// nurse's finger (the focus would fall back to the page and the next Space
// would be a shortcut).
function available(a) {
  if (!view) return false;
  if (a.id === 'undo') return undoLeft() > 0;
  if (a.onCalled) return !!calledTicket();
  if (a.needs) { const tk = selectedTicket(); return !!tk && tk.state === a.needs; }
  return true;
}
function enabled(a) { return !busy && available(a); }

// ---- actions ---------------------------------------------------------------

async function perform(a, confirmed = false) {
  if (!available(a)) {
    if (a.needs) showResult('error', t('c.select'));
    return;
  }
  if (a.call && !confirmed && performance.now() - lastCallAt < CALL_GUARD_MS) {
    askConfirm(a);
    return;
  }
  if (busy) return;  // one action at a time: another key pressed meanwhile is dropped
  const tk = target(a);
  const sentAt = performance.now();
  if (a.call) lastCallAt = sentAt;
  busy = true;
  renderActions();
  try {
    const resp = await a.run(tk);
    if (resp) showResult('ok', summarize(resp, a));
    noteUndo(a, resp, sentAt);
    if (!sub || sub.state !== 'live') await reload();
  } catch (e) {
    showResult('error', `${lt(a.label)}: ${errText(e)}`);
    if (a.id === 'undo') noteUndo(a, null, sentAt);
    if (e.status === 401) logout();
  } finally {
    busy = false;
    renderActions();
  }
}
// After an action: an undoable one that changed something can be undone for
// UNDO_MS (counted from when it was sent: the engine counts from its time);
// any other action of this console (the undo too) ends that.
function noteUndo(a, resp, sentAt) {
  clearTimeout(undoTimer);
  const changed = resp && (resp.events || []).some((ev) => ev.ticketCalled || ev.ticketCompleted || ev.ticketMissed);
  undoable = a.undoable && changed ? { until: sentAt + UNDO_MS, what: summarize(resp, a) } : null;
  if (undoable) undoTimer = setTimeout(renderActions, UNDO_MS + 50);
}

// The confirmation of a second call within CALL_GUARD_MS. The focus starts
// on "cancel": a third key press or Enter does not call.
function askConfirm(a) {
  const called = calledTicket();
  $('confirmTitle').textContent = lt('c.confirmTitle');
  $('confirmText').textContent = lt('c.confirmText', {
    ago: Math.max(0, Math.round((performance.now() - lastCallAt) / 1000)), label: called ? called.label : '—' });
  $('confirmYes').textContent = lt('c.confirmYes');
  $('confirmNo').textContent = lt('c.confirmNo');
  $('confirmCall').dataset.action = a.id;
  $('confirmCall').showModal();
  $('confirmNo').focus();
}
$('confirmNo').addEventListener('click', () => $('confirmCall').close('no'));
$('confirmYes').addEventListener('click', () => $('confirmCall').close('yes'));
$('confirmCall').addEventListener('close', () => {
  const a = ACTIONS.find((x) => x.id === $('confirmCall').dataset.action);
  if ($('confirmCall').returnValue === 'yes' && a) perform(a, true);
  else showResult('ok', lt('c.notCalled'));
  $('confirmCall').returnValue = '';
});

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
    actionUndone: (e) => `已撤销：${e.label} 恢复为${stateText(e.to)}`,
  },
  en: {
    ticketCalled: (e) => `Called ${e.label}`, ticketRecalled: (e) => `Recalled ${e.label}`,
    ticketCompleted: (e) => `${e.label} completed`, ticketMissed: (e) => `${e.label} missed`,
    ticketReturned: (e) => `${e.label} returned${placementText(e.placement)}`,
    movedToNext: (e) => `${e.label} moved to next`, checkedIn: (e) => `${e.label} checked in${placementText(e.placement)}`,
    walkInRegistered: (e) => `Registered ${e.label}`, nobodyWaiting: () => 'Nobody is waiting',
    sessionPaused: () => 'Session paused', sessionResumed: () => 'Session resumed',
    actionUndone: (e) => `Undone: ${e.label} back to ${stateText(e.to)}`,
  },
};
function stateText(s) {
  const name = String(s || 'ticket_state_booked').toLowerCase().replace(/^ticket_state_/, '');
  return t(`state.${name}`);
}
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
  return parts.length ? parts.join('；') : t('c.ok', { what: lt(a.label) });
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
      b.addEventListener('click', (e) => {
        // A mouse click does not keep the focus (the shortcuts keep working);
        // a button pressed from the keyboard (Space/Enter) keeps it.
        if (e.detail > 0) b.blur();
        perform(ACTIONS.find((a) => a.id === b.dataset.action));
      });
    }
  }
  for (const a of ACTIONS) {
    const b = box.querySelector(`[data-action="${a.id}"]`);
    const label = a.id === 'pause' && view && view.status === 'paused' ? 'c.resume' : a.label;
    b.firstElementChild.textContent = lt(label);
    b.disabled = !available(a);
    if (a.id === 'undo') {
      b.classList.toggle('hidden', undoLeft() <= 0);
      b.title = undoable ? lt('c.undoWhat', { what: undoable.what }) : '';
    }
  }
  $('keys').textContent = `${t('c.keys')}: N/Space ${t('c.callNext')} · ↑↓ / J K · Enter ${t('c.checkIn')} · C ${t('c.call')} · R ${t('c.recall')} · D ${t('c.complete')} · M ${t('c.missed')} · B ${t('c.return')} · X ${t('c.moveNext')} · I ${t('c.checkIn')} · W ${t('c.walkIn')} · P ${t('c.pause')}/${t('c.resume')} · U ${lt('c.undo')} · / ${t('c.filter')} · Esc`;
}

function renderSessions() {
  const sel = $('session');
  const opts = sessions.map((s) => `<option value="${escapeHtml(s.sessionId)}">${escapeHtml(`${s.doctorName || s.sessionId} · ${roomName(s.room)} · ${hhmm(s.start)}`)}</option>`).join('');
  if (sel.dataset.opts !== opts) { sel.innerHTML = opts; sel.dataset.opts = opts; }
  sel.value = sid;
}

// ---- keyboard ------------------------------------------------------------------

// Controls handle their own keys: a shortcut never fires while one has the focus.
const CONTROLS = 'input, select, textarea, button, a[href], summary, [contenteditable]:not([contenteditable="false"])';
document.addEventListener('keydown', (e) => {
  if ($('app').classList.contains('hidden') || $('walkin').open || $('confirmCall').open) return;
  const inControl = e.target instanceof Element && e.target.closest(CONTROLS);
  if (e.key === 'Escape' && inControl) { e.target.blur(); return; }
  if (inControl || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
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
    // One explicit thing: check in the selected BOOKED patient. Enter never
    // calls, completes or marks anyone (those have their own keys).
    e.preventDefault();
    const tk = selectedTicket();
    if (tk && tk.state === 'booked') perform(ACTIONS.find((a) => a.id === 'checkIn'));
    else showResult('error', lt('c.enterHint'));
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
  // The undo and the double-call guard are about this console's last action
  // in one session: another session starts afresh.
  if (id !== sid) { noteUndo({}, null, 0); lastCallAt = -Infinity; }
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
