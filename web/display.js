// Waiting-room display: /display/<area>?token=...
// Optional URL parameters: repeat=N (times each call is spoken, default 2),
// voice=0 (silent), rate=0.9 (speech rate), lang=en|zh.
import { live, endpoints, serverClock } from './api.js';
import { t, lang, roomName, hhmm, langButton, applyStatic, escapeHtml } from './i18n.js';
import { Announcer } from './announcer.js';

const params = new URLSearchParams(location.search);
const area = decodeURIComponent(location.pathname.split('/')[2] || params.get('area') || '');
const token = params.get('token') || '';
const $ = (id) => document.getElementById(id);

const announcer = new Announcer({
  repeat: Number(params.get('repeat') || 2),
  rate: Number(params.get('rate') || 0.9),
  enabled: params.get('voice') !== '0',
  lang: lang === 'en' ? 'en-US' : 'zh-CN',
  onBlocked: () => $('voiceHint').classList.remove('hidden'),
});
document.addEventListener('click', () => $('voiceHint').classList.add('hidden'));

// For tests and support staff: what was announced, and the connection.
const qc = { announcements: announcer.log, announcer, connection: 'connecting', version: 0, views: 0 };
window.__qc = qc;

let view = null;
let firstView = true;
// A card is a (session, room): a session with several rooms has one card per
// room, each with its own called ticket (docs/pages.md).
const cardKey = (r) => `${r.sessionId}/${r.room}`;
const lastCalled = new Map();  // card key -> {label, seq, at, atLabel}
const flashing = new Set();    // card keys

function callText(label, room) {
  return t('voice.call', { label, room: roomName(room) });
}

// A call is new when its called time (calledAt) is newer than the newest one
// seen in the room: an undo calls a ticket back with its old time and is not
// announced again. Without calledAt (older servers), a label that differs
// from the one shown before is new.
function isNewCall(prev, label, at) {
  if (!prev) return true;
  if (at !== null && prev.at !== null) return at > prev.at || (at === prev.at && label !== prev.atLabel);
  return prev.label !== label;
}

function detectCalls(v) {
  for (const r of v.rooms) {
    const label = r.called ? r.called.label : '';
    const at = label ? r.calledAt : null;
    const k = cardKey(r);
    const prev = lastCalled.get(k);
    const isNew = label && (isNewCall(prev, label, at) || (r.callSeq !== null && prev.seq !== r.callSeq));
    if (isNew && !firstView) {
      announcer.announce(callText(label, r.room), `${k}/${label}/${r.callSeq ?? ''}`);
      flashing.add(k);
      setTimeout(() => { flashing.delete(k); }, 3500);
    }
    const newest = prev && prev.at !== null && (at === null || prev.at > at) ? prev : { at, atLabel: label };
    lastCalled.set(k, { label, seq: r.callSeq, at: newest.at, atLabel: newest.atLabel });
  }
  firstView = false;
}

// Recalls. The display view says nothing about a recall (it changes no
// state). When the server sends a per-room call counter (callSeq) the
// detection above covers it. Otherwise each room's public board is followed
// too: a recall is the one command that moves a session's version by exactly
// one while its board (called label, waiting order, status) stays the same.
// (With the default configuration nothing else does that during clinic
// hours; a conflated burst of several commands is never taken for a recall.)
const boards = new Map();      // sessionId -> {sub, last}
function followBoards(v) {
  const want = new Set(v.rooms.filter((r) => r.callSeq === null).map((r) => r.sessionId));
  for (const [sid, b] of boards) if (!want.has(sid)) { b.sub.close(); boards.delete(sid); }
  for (const sid of want) {
    if (boards.has(sid)) continue;
    const entry = { last: null, sub: null };
    entry.sub = live({
      subscribe: { board: { sessionId: sid } },
      onView: (b, meta) => { if (meta.kind === 'board') onBoard(sid, entry, b, meta.version); },
    });
    boards.set(sid, entry);
  }
}
function onBoard(sid, entry, b, version) {
  const prev = entry.last;
  const sig = JSON.stringify([b.calledLabel, b.status, b.waiting]);
  entry.last = { version, sig, calledLabel: b.calledLabel };
  if (!prev || !b.calledLabel || version !== prev.version + 1 || sig !== prev.sig) return;
  // A session with several rooms: the board's called label is the last call
  // of any room, so a recall in another room would look like a recall of
  // it: no guess there (a missed recall announcement beats a false one).
  const cards = view ? view.rooms.filter((x) => x.sessionId === sid) : [];
  const r = cards.length === 1 ? cards[0] : null;
  if (!r || !r.called || r.called.label !== b.calledLabel || r.callSeq !== null) return;
  announcer.announce(callText(b.calledLabel, r.room), `${sid}/${b.calledLabel}/recall@${version}`);
  qc.recalls = (qc.recalls || 0) + 1;
}

function entryHtml(e) {
  return `<span class="d-item">${escapeHtml(e.label)}${e.maskedName ? `<small>${escapeHtml(e.maskedName)}</small>` : ''}</span>`;
}

function render() {
  $('area').textContent = area;
  const main = $('rooms');
  if (!view) { main.innerHTML = ''; return; }
  if (view.rooms.length === 0) {
    main.innerHTML = `<div class="d-empty-area">${escapeHtml(t('display.noRooms'))}</div>`;
    return;
  }
  // Fit the cards: up to 3 per row; the called label shrinks with the rows.
  const n = view.rooms.length;
  const cols = n <= 3 ? n : Math.ceil(n / Math.ceil(n / 3));
  const rows = Math.ceil(n / cols);
  main.style.setProperty('--cols', String(cols));
  main.style.setProperty('--label', n === 1 ? '26vh' : rows === 1 ? '16vh' : rows === 2 ? '10vh' : '7vh');
  main.style.setProperty('--room-h', `${Math.floor(88 / rows) - 2}vh`);
  main.classList.toggle('compact', rows > 1);
  main.innerHTML = view.rooms.map((r) => {
    const status = r.status !== 'open'
      ? `<span class="d-status ${r.status}">${escapeHtml(t(`status.${r.status}`))}</span>` : '';
    const called = r.called
      ? `<div class="d-now">${escapeHtml(t('display.now'))}</div>
         <div class="d-label" data-testid="called">${escapeHtml(r.called.label)}</div>
         ${r.called.maskedName ? `<div class="d-name">${escapeHtml(r.called.maskedName)}</div>` : ''}
         <div class="d-go">${escapeHtml(t('display.go', { room: roomName(r.room) }))}</div>`
      : `<div class="d-empty">${escapeHtml(t('display.none'))}</div>`;
    const next = r.next.length
      ? `<div class="d-next" data-testid="next"><span class="d-tag">${escapeHtml(t('display.next'))}</span>${r.next.map(entryHtml).join('')}</div>` : '';
    const missed = r.missed.length
      ? `<div class="d-missed" data-testid="missed"><span class="d-tag">${escapeHtml(t('display.missed'))}</span>${r.missed.map(entryHtml).join('')}</div>` : '';
    return `<section class="d-room${flashing.has(cardKey(r)) ? ' flash' : ''}" data-session="${escapeHtml(r.sessionId)}" data-room="${escapeHtml(r.room)}">
      <div class="d-room-head"><span>${escapeHtml(roomName(r.room))} <span class="d-doctor">${escapeHtml(r.doctorName)}</span></span>${status}</div>
      <div class="d-called">${called}</div>${next}${missed}</section>`;
  }).join('');
}

function setConnection(state) {
  qc.connection = state;
  $('dot').className = `live-dot ${state === 'live' ? '' : state}`;
  $('live').textContent = t(`live.${state === 'live' ? 'ok' : state}`);
  $('banner').classList.toggle('hidden', state !== 'down');
}

function tickClock() {
  $('clock').textContent = serverClock.known() ? hhmm(serverClock.now()) : '';  // the server's (virtual in demos)
}

applyStatic();
langButton($('lang'), () => { announcer.lang = lang === 'en' ? 'en-US' : 'zh-CN'; setConnection(qc.connection); render(); });
document.title = `${area} · ${t('app')}`;
render();
tickClock();
setInterval(tickClock, 1000);

live({
  subscribe: { display: { area, token } },
  onState: setConnection,
  onServerTime: tickClock,
  onView: (v, meta) => {
    if (meta.kind !== 'display') return;
    detectCalls(v);
    view = v;
    followBoards(v);
    qc.version = meta.version;
    qc.views++;
    qc.view = v;
    render();
  },
  onError: (e) => {
    $('rooms').innerHTML = `<div class="d-empty-area">${escapeHtml(`${e.code}: ${e.message}`)}</div>`;
  },
});
// Fallback when the push is not possible at all (e.g. a proxy without
// WebSocket): the first paint comes from HTTP.
endpoints.display(area, token).then((v) => { if (!view) { detectCalls(v); view = v; render(); } }).catch(() => {});
