// Nurse console: /console[?session=<id>][&room=<room>]. The staff key is asked once and
// kept in sessionStorage (this tab only). Keyboard first: see ACTIONS and
// docs/pages.md ("Nurse console: keys"). Keys act once, per intent:
// - a shortcut never fires while a control (button, field, select) has the
//   focus: the control handles its own keys (Space/Enter press the focused
//   button); Esc leaves the control; a mouse click does not keep the focus;
// - Enter with a selected row checks in that patient if BOOKED, nothing else;
// - a second call (N/Space/C) within CALL_GUARD_MS of the previous one asks
//   for a confirmation;
// - the last call / complete / missed can be undone (U) for UNDO_MS.
// A session with several rooms: each console is bound to one room (the
// room selector; `?room=` in the URL, remembered per session in this tab and
// this browser); its calls, pause and "in the room" are that room's.
import { live, endpoints } from './api.js';
import { t, roomName, reasonName, hhmm, langButton, applyStatic, escapeHtml, errorText } from './i18n.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const KEY_STORE = 'qc.staffKey';
let key = sessionStorage.getItem(KEY_STORE) || '';
let sessions = [];
let sid = params.get('session') || sessionStorage.getItem('qc.session') || '';
let room = '';          // this console's room in a session with several rooms
// The priority reason codes offered: the deployment's list (config
// `priority.reasons`, sent with the sessions list; the server refuses any
// other), or `?reasons=a,b`, or the default four from an older server.
const REASONS = (params.get('reasons') || 'elderly,military,disabled,pregnant').split(',').map((x) => x.trim()).filter(Boolean);
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
// `room`: names this console's room when the session has several.
const ACTIONS = [
  { id: 'callNext', keys: ['n', ' '], label: 'c.callNext', primary: true, call: true, undoable: true, room: true, run: () => sessionCmd('call-next', roomBody()) },
  { id: 'call', keys: ['c'], label: 'c.call', needs: 'waiting', call: true, undoable: true, room: true, run: (tk) => ticketCmd(tk, 'call', roomBody()) },
  { id: 'recall', keys: ['r'], label: 'c.recall', onCalled: true, run: (tk) => ticketCmd(tk, 'recall') },
  { id: 'complete', keys: ['d'], label: 'c.complete', onCalled: true, undoable: true, run: (tk) => ticketCmd(tk, 'complete') },
  { id: 'missed', keys: ['m'], label: 'c.missed', onCalled: true, undoable: true, run: (tk) => ticketCmd(tk, 'missed') },
  { id: 'return', keys: ['b'], label: 'c.return', needs: 'missed', run: (tk) => ticketCmd(tk, 'return') },
  { id: 'moveNext', keys: ['x'], label: 'c.moveNext', needs: 'waiting', run: (tk) => ticketCmd(tk, 'move-to-next') },
  { id: 'checkIn', keys: ['i'], label: 'c.checkIn', needs: 'booked', run: (tk) => ticketCmd(tk, 'check-in') },
  { id: 'sendTests', keys: ['t'], label: 'c.sendTests', onCalled: true, run: (tk) => endpoints.sendForTests(tk.ticketId, key) },
  { id: 'backTests', keys: ['h'], label: 'c.backTests', needs: 'at_tests', run: (tk) => endpoints.returnFromTests(tk.ticketId, key) },
  { id: 'priority', keys: ['y'], label: 'c.priority', needs: ['booked', 'waiting', 'called', 'missed', 'at_tests'], run: (tk) => openPriority(tk) },
  { id: 'walkIn', keys: ['w'], label: 'c.walkIn', run: () => openWalkIn() },
  { id: 'pause', keys: ['p'], label: 'c.pause', room: true, run: () => sessionCmd(paused() ? 'resume' : 'pause', roomBody()) },
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

// Rooms: a session with several rooms needs this console's room for its
// calls and pause; with one room nothing is named (the server's default).
function multiRoom() { return !!view && view.rooms.length > 1; }
function myRoom() { return multiRoom() && view.rooms.some((r) => r.room === room) ? room : ''; }
function myRoomInfo() { return multiRoom() ? view.rooms.find((r) => r.room === room) || null : null; }
function roomBody() { return multiRoom() ? { room: myRoom() } : undefined; }
function paused() {
  if (!view) return false;
  return multiRoom() ? !!(myRoomInfo() && myRoomInfo().paused) : view.status === 'paused';
}
// The ticket in this console's room (with one room: the one CALLED).
function calledTicket() {
  if (!view) return null;
  if (multiRoom()) return myRoom() ? view.tickets.find((x) => x.state === 'called' && x.room === myRoom()) || null : null;
  return view.tickets.find((x) => x.state === 'called') || null;
}
function selectedTicket() { return view ? view.tickets.find((x) => x.ticketId === selected) : null; }
const needsState = (a, st) => (Array.isArray(a.needs) ? a.needs.includes(st) : a.needs === st);
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
  if (a.needs) { const tk = selectedTicket(); return !!tk && needsState(a, tk.state); }
  return true;
}
function enabled(a) { return !busy && available(a); }

// ---- actions ---------------------------------------------------------------

async function perform(a, confirmed = false) {
  if (a.room && multiRoom() && !myRoom()) {
    showResult('error', t('c.needRoom'));
    $('room').focus();
    return;
  }
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
  undoable = a.undoable && changed ? { until: sentAt + UNDO_MS, what: summarize(resp, a), others: otherRooms() } : null;
  if (undoable) undoTimer = setTimeout(renderActions, UNDO_MS + 50);
}

// The engine's undo reverts the session's last call / complete / missed,
// whichever room made it: once another room's ticket changes, this
// console's undo would revert the other room's action, so it goes.
function otherRooms() {
  return multiRoom() ? JSON.stringify(view.rooms.filter((r) => r.room !== myRoom()).map((r) => [r.room, r.calledTicket])) : '';
}
function dropForeignUndo() {
  if (undoable && undoable.others !== otherRooms()) { undoable = null; clearTimeout(undoTimer); }
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

const sessionCmd = (action, body) => endpoints.sessionAction(sid, action, key, body);
const ticketCmd = (tk, action, body) => endpoints.ticketAction(tk.ticketId, action, key, body);

// The label of a ticket of this session by its id (events name the other
// ticket of an insertion by id).
function labelOf(id) {
  const x = view && view.tickets.find((tk) => tk.ticketId === id);
  return x ? x.label : id;
}
const inRoom = (e, zh) => (e.room ? (zh ? `（${roomName(e.room)}）` : ` (${roomName(e.room)})`) : '');

const EVENT_TEXT = {
  zh: {
    ticketCalled: (e) => `已叫号 ${e.label}${e.room ? ` → ${roomName(e.room)}` : ''}`, ticketRecalled: (e) => `已重呼 ${e.label}`,
    ticketCompleted: (e) => `${e.label} 就诊完成`, ticketMissed: (e) => `${e.label} 已过号`,
    ticketReturned: (e) => `${e.label} 过号返回${placementText(e.placement)}`,
    movedToNext: (e) => `${e.label} 已排到下一位`, checkedIn: (e) => `${e.label} 已签到${placementText(e.placement)}`,
    walkInRegistered: (e) => `已挂号 ${e.label}`, nobodyWaiting: () => '没有候诊的患者',
    sessionPaused: (e) => `已暂停接诊${inRoom(e, true)}`, sessionResumed: (e) => `已恢复接诊${inRoom(e, true)}`,
    actionUndone: (e) => `已撤销：${e.label} 恢复为${stateText(e.to)}`,
    prioritySet: (e) => (e.priority ? `${e.label} 优先：${reasonName(e.priority)}` : `${e.label} 已取消优先`),
    ticketInserted: (e) => `${e.label} 插入${e.otherTicket ? `到 ${labelOf(e.otherTicket)} 之后` : '到队首'}（越过 ${e.count || 0} 人）`,
    ticketProtected: (e) => `${e.label} 已被插队 ${e.count} 次，不再被插队`,
    sentForTests: (e) => `${e.label} 去检查`,
    returnedFromTests: (e) => `${e.label} 检查回来${placementText(e.placement)}`,
  },
  en: {
    ticketCalled: (e) => `Called ${e.label}${e.room ? ` to ${roomName(e.room)}` : ''}`, ticketRecalled: (e) => `Recalled ${e.label}`,
    ticketCompleted: (e) => `${e.label} completed`, ticketMissed: (e) => `${e.label} missed`,
    ticketReturned: (e) => `${e.label} returned${placementText(e.placement)}`,
    movedToNext: (e) => `${e.label} moved to next`, checkedIn: (e) => `${e.label} checked in${placementText(e.placement)}`,
    walkInRegistered: (e) => `Registered ${e.label}`, nobodyWaiting: () => 'Nobody is waiting',
    sessionPaused: (e) => `Session paused${inRoom(e)}`, sessionResumed: (e) => `Session resumed${inRoom(e)}`,
    actionUndone: (e) => `Undone: ${e.label} back to ${stateText(e.to)}`,
    prioritySet: (e) => (e.priority ? `${e.label} priority: ${reasonName(e.priority)}` : `${e.label} priority removed`),
    ticketInserted: (e) => `${e.label} inserted ${e.otherTicket ? `after ${labelOf(e.otherTicket)}` : 'at the head'} (passing ${e.count || 0})`,
    ticketProtected: (e) => `${e.label} passed ${e.count} times: protected`,
    sentForTests: (e) => `${e.label} sent for tests`,
    returnedFromTests: (e) => `${e.label} back from tests${placementText(e.placement)}`,
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

// ---- priority dialog -------------------------------------------------------------

// Y on a selected ticket: the reasons as buttons with number keys (1..n), 0
// removes a priority it has; Esc closes without a change.
let priorityFor = null;  // the ticket the dialog is about
function openPriority(tk) {
  priorityFor = tk;
  $('priorityTitle').textContent = t('c.priorityTitle');
  $('priorityWho').textContent = `${tk.label} ${tk.patientName}`;
  const items = REASONS.map((r, i) => [String(i + 1), r, reasonName(r)]);
  if (tk.priority) items.push(['0', '', t('c.removePriority')]);
  $('priorityReasons').innerHTML = items.map(([k, r, text]) =>
    `<button type="button" data-reason="${escapeHtml(r)}" class="${r && r === tk.priority ? 'current' : ''}"><kbd>${k}</kbd> ${escapeHtml(text)}</button>`).join('');
  $('priorityCancel').textContent = t('c.cancel');
  $('priorityDlg').showModal();
  ($('priorityReasons').querySelector('.current') || $('priorityReasons').querySelector('button')).focus();
  return null;
}
async function choosePriority(reason) {
  const tk = priorityFor;
  $('priorityDlg').close();
  if (!tk || busy) return;
  busy = true;
  try {
    const resp = await endpoints.setPriority(tk.ticketId, reason, key);
    showResult('ok', summarize(resp, { label: 'c.priority' }));
    noteUndo({}, null, 0);
    if (!sub || sub.state !== 'live') await reload();
  } catch (e) {
    showResult('error', `${t('c.priority')}: ${errText(e)}`);
    if (e.status === 401) logout();
  } finally {
    busy = false;
    renderActions();
  }
}
$('priorityReasons').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-reason]');
  if (b) choosePriority(b.dataset.reason);
});
$('priorityDlg').addEventListener('keydown', (e) => {
  if (!/^[0-9]$/.test(e.key)) return;
  const b = [...$('priorityReasons').querySelectorAll('button')].find((x) => x.querySelector('kbd').textContent === e.key);
  if (b) { e.preventDefault(); choosePriority(b.dataset.reason); }
});
$('priorityCancel').addEventListener('click', () => $('priorityDlg').close());

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
  if (view) dropForeignUndo();
  renderActions();
  if (!view) { $('rows').innerHTML = ''; return; }
  const multi = multiRoom();
  const rooms = multi ? view.rooms.map((r) => roomName(r.room)).join(' / ') : roomName(view.room);
  $('sessionInfo').textContent = `${view.doctorName} · ${rooms} · ${hhmm(view.start)}–${hhmm(view.end)}`;
  $('sessionStatus').textContent = t(`status.${view.status}`);
  $('sessionStatus').className = `c-chip ${view.status}`;
  const called = calledTicket();
  $('nowLabel').textContent = called ? called.label : '—';
  $('nowName').textContent = called ? called.patientName : '';
  $('nowRoom').textContent = myRoom() ? ` · ${roomName(myRoom())}` : '';
  renderRooms();
  const list = visibleTickets();
  if (!list.some((x) => x.ticketId === selected)) {
    const first = list.find((x) => x.state === 'waiting') || list[0];
    selected = first ? first.ticketId : null;
  }
  const atTests = list.filter((x) => x.state === 'at_tests').length;
  $('rows').innerHTML = list.map((x, i) => {
    // AT_TESTS tickets are a group of their own (the server lists them
    // after the waiting ones): a heading row before the first.
    const group = x.state === 'at_tests' && (i === 0 || list[i - 1].state !== 'at_tests')
      ? `<tr class="c-group"><td colspan="7">${escapeHtml(t('c.atTests', { k: view.returnAfter }))} · ${atTests}</td></tr>` : '';
    const slot = x.effectiveSlot >= 0 && x.effectiveSlot !== x.slot
      ? `${slotText(view, x.slot)} → ${slotText(view, x.effectiveSlot)}` : slotText(view, x.slot);
    const where = multi && x.room && (x.state === 'called' || x.state === 'at_tests') ? ` · ${roomName(x.room)}` : '';
    return `${group}<tr class="s-${x.state}${x.ticketId === selected ? ' sel' : ''}" data-ticket="${escapeHtml(x.ticketId)}" data-label="${escapeHtml(x.label)}" data-state="${x.state}">
      <td>${x.state === 'waiting' && x.position >= 0 ? x.position + 1 : ''}</td><td class="label">${escapeHtml(x.label)}</td>
      <td>${escapeHtml(t(`kind.${x.kind}`))}</td><td>${escapeHtml(slot)}</td>
      <td>${escapeHtml(x.patientName)}</td><td>${escapeHtml(t(`state.${x.state}`))}${escapeHtml(where)}${tags(x)}</td>
      <td>${escapeHtml(hhmm(x.checkedInAt))}</td></tr>`;
  }).join('');
  const n = (st) => view.tickets.filter((x) => x.state === st).length;
  $('counts').textContent = `${t('state.waiting')} ${n('waiting')} · ${t('state.at_tests')} ${n('at_tests')} · ${t('state.missed')} ${n('missed')} · ${t('state.booked')} ${n('booked')} · ${t('state.done')} ${n('done')}`;
  const sel = document.querySelector('tr.sel');
  if (sel) sel.scrollIntoView({ block: 'nearest' });
}

// A row's tags: placement (下一位 / 迟到顺延 / 插入), the priority with its
// reason, and how often an insertion passed it (protected at max_overtaken).
const FINAL = ['done', 'cancelled', 'no_show'];
function tags(x) {
  const out = [];
  if (['made_next', 'demoted', 'inserted'].includes(x.placement) && !FINAL.includes(x.state)) {
    out.push([`${x.placement}`, t(`placement.${x.placement}`), 'placement']);
  }
  if (x.priority) out.push(['priority', `${t('priority')}·${reasonName(x.priority)}`, 'priority']);
  if (x.overtaken > 0 && !FINAL.includes(x.state)) {
    const prot = view.maxOvertaken > 0 && x.overtaken >= view.maxOvertaken;
    out.push([prot ? 'protected' : 'overtaken',
      `${t('c.overtaken', { n: x.overtaken })}${prot ? ` · ${t('c.protected')}` : ''}`, prot ? 'protected' : 'overtaken']);
  }
  return out.map(([cls, text, id]) => `<span class="tag ${cls}" data-testid="${id}">${escapeHtml(text)}</span>`).join('');
}

// The room selector (only for a session with several rooms) and each room's
// ticket in the room, this console's first.
function renderRooms() {
  const multi = multiRoom();
  const sel = $('room');
  sel.classList.toggle('hidden', !multi);
  $('rooms').classList.toggle('hidden', !multi);
  if (!multi) { $('rooms').innerHTML = ''; return; }
  const opts = `<option value="">${escapeHtml(t('c.chooseRoom'))}</option>${view.rooms.map((r) =>
    `<option value="${escapeHtml(r.room)}">${escapeHtml(roomName(r.room))}</option>`).join('')}`;
  if (sel.dataset.opts !== opts) { sel.innerHTML = opts; sel.dataset.opts = opts; }
  sel.value = myRoom();
  $('rooms').innerHTML = view.rooms.map((r) => `<span class="c-room${r.room === myRoom() ? ' mine' : ''}${r.paused ? ' paused' : ''}" data-room="${escapeHtml(r.room)}">
    ${escapeHtml(roomName(r.room))} <b>${escapeHtml(r.calledLabel || '—')}</b>${r.paused ? ` · ${escapeHtml(t('c.roomPaused'))}` : ''}</span>`).join('');
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
    const label = a.id === 'pause' && paused() ? 'c.resume' : a.label;
    b.firstElementChild.textContent = lt(label);
    b.disabled = !available(a);
    if (a.id === 'undo') {
      b.classList.toggle('hidden', undoLeft() <= 0);
      b.title = undoable ? lt('c.undoWhat', { what: undoable.what }) : '';
    }
  }
  $('keys').textContent = `${t('c.keys')}: N/Space ${t('c.callNext')} · ↑↓ / J K · Enter ${t('c.checkIn')}/${t('c.backTests')} · C ${t('c.call')} · R ${t('c.recall')} · D ${t('c.complete')} · M ${t('c.missed')} · B ${t('c.return')} · X ${t('c.moveNext')} · I ${t('c.checkIn')} · T ${t('c.sendTests')} · H ${t('c.backTests')} · Y ${t('c.priority')} (1-${REASONS.length}, 0 ${t('c.removePriority')}) · W ${t('c.walkIn')} · P ${t('c.pause')}/${t('c.resume')} · U ${lt('c.undo')} · / ${t('c.filter')} · Esc`;
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
  if ($('app').classList.contains('hidden') || $('walkin').open || $('confirmCall').open || $('priorityDlg').open) return;
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
    // One explicit thing: the selected patient is at the desk: check in a
    // BOOKED one, or one back from tests (AT_TESTS). Enter never calls,
    // completes or marks anyone (those have their own keys).
    e.preventDefault();
    const tk = selectedTicket();
    if (tk && tk.state === 'booked') perform(ACTIONS.find((a) => a.id === 'checkIn'));
    else if (tk && tk.state === 'at_tests') perform(ACTIONS.find((a) => a.id === 'backTests'));
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
$('room').addEventListener('change', (e) => { chooseRoom(e.target.value); e.target.blur(); });

// This console's room: `?room=` (for the session of `?session=`, or any
// session when none is named), else the last choice for the session in
// this tab, then in this browser. A choice is kept in both and in the URL.
let urlRoom = params.get('room') || '';
const urlSession = params.get('session') || '';
function rememberedRoom(id) {
  if (urlRoom && (!urlSession || urlSession === id)) return urlRoom;
  try { return sessionStorage.getItem(`qc.room.${id}`) || localStorage.getItem(`qc.room.${id}`) || ''; } catch { return ''; }
}
function chooseRoom(r) {
  if (r !== room) { noteUndo({}, null, 0); lastCallAt = -Infinity; }
  room = r;
  urlRoom = '';  // the choice (kept below) wins from now on
  try {
    sessionStorage.setItem(`qc.room.${sid}`, r);
    localStorage.setItem(`qc.room.${sid}`, r);
  } catch { /* private mode */ }
  const u = new URL(location.href);
  u.searchParams.set('session', sid);
  if (r) u.searchParams.set('room', r); else u.searchParams.delete('room');
  history.replaceState(null, '', u);
  render();
}

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
  room = rememberedRoom(id);
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
    if (!params.get('reasons') && sessions.priorityReasons) REASONS.splice(0, REASONS.length, ...sessions.priorityReasons);
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
