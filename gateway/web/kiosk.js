// Kiosk: /kiosk[?session=<id>[|<name shown>][,...]][&key=<kiosk key>].
// Check in an appointment by its number, or register a walk-in, then print a
// ticket whose QR code opens the patient page. The kiosk key is asked once
// and kept in localStorage. A kiosk key may not list sessions: the sessions
// it serves then come from the URL ("li-am|李医生 3诊室").
import { endpoints } from './api.js';
import { t, roomName, hhmm, langButton, applyStatic, escapeHtml, errorText } from './i18n.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const KEY_STORE = 'qc.kioskKey';
let key = params.get('key') || localStorage.getItem(KEY_STORE) || '';
let sessions = [];
let idleTimer = null;
const qc = { tickets: [] };
window.__qc = qc;

function show(id) {
  for (const s of ['keyForm', 'home', 'checkinForm', 'walkinForm', 'ticketBox']) $(s).classList.toggle('hidden', s !== id);
  $('error').textContent = '';
  clearTimeout(idleTimer);
  if (id !== 'home' && id !== 'keyForm') idleTimer = setTimeout(() => show('home'), 90000);
  const first = $(id).querySelector('input, button');
  if (first) first.focus();
}

async function loadSessions() {
  const wanted = (params.get('session') || '').split(',').filter(Boolean).map((x) => {
    const [id, name] = x.split('|');
    return { id: id.trim(), name: (name || '').trim() };
  });
  try {
    sessions = (await endpoints.sessions(key)).filter((s) => s.status === 'open' || s.status === 'paused');
  } catch (e) {
    if (e.status === 401) { localStorage.removeItem(KEY_STORE); key = ''; show('keyForm'); $('error').textContent = errorText(e); return; }
    sessions = [];
  }
  if (wanted.length) {
    const known = new Map(sessions.map((s) => [s.sessionId, s]));
    sessions = wanted.map((w) => ({ ...(known.get(w.id) || { sessionId: w.id, doctorName: '', room: '' }), shown: w.name }));
  }
  $('wSession').innerHTML = sessions.map((s) => `<option value="${escapeHtml(s.sessionId)}">${escapeHtml(sessionName(s))}</option>`).join('');
}
function sessionName(s) {
  if (s.shown) return s.shown;
  if (!s.doctorName) return s.sessionId;
  return `${s.doctorName} · ${roomName(s.room)}${s.start ? ` · ${hhmm(s.start)}–${hhmm(s.end)}` : ''}`;
}

function ticketHtml({ label, kindText, doctor, room, where, slotStart, slotEnd, ahead, eta, token, note }) {
  const qr = token
    ? `<img class="t-qr" alt="QR" src="${escapeHtml(endpoints.qrUrl(endpoints.patientPageUrl(token)))}"><div class="t-small">${escapeHtml(t('k.scan'))}</div>`
    : `<div class="t-small">${escapeHtml(t('k.noQr'))}</div>`;
  const now = new Date();
  return `<div class="t-head">${escapeHtml(t('k.ticket'))} · ${escapeHtml(kindText)}</div>
    <div class="t-label" data-testid="ticket-label">${escapeHtml(label)}</div>
    <div class="t-line">${escapeHtml(where || [doctor, roomName(room)].filter(Boolean).join(' · '))}</div>
    ${note ? `<div class="t-line"><b>${escapeHtml(note)}</b></div>` : ''}
    ${slotStart ? `<div class="t-line">${escapeHtml(t('k.slot', { from: hhmm(slotStart), to: hhmm(slotEnd) }))}</div>` : ''}
    ${ahead >= 0 ? `<div class="t-line">${escapeHtml(t('k.ahead', { n: ahead }))}${eta ? ` · ${escapeHtml(t('p.eta', { time: hhmm(eta) }))}` : ''}</div>` : ''}
    ${qr}
    <div class="t-small">${now.toLocaleString('zh-CN', { hour12: false })}</div>`;
}

function printable(info) {
  qc.tickets.push(info);
  $('ticket').innerHTML = ticketHtml(info);
  show('ticketBox');
}

$('checkinForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const tid = $('apptNo').value.trim();
  try {
    const resp = await endpoints.ticketAction(tid, 'check-in', key);
    const event = (resp.events || []).find((x) => x.checkedIn) || {};
    const ev = event.checkedIn || {};
    const sid = event.sessionId || '';
    const s = sessions.find((x) => x.sessionId === sid) || { sessionId: sid };
    const label = ev.label || tid;
    // Where it stands now, from the session's public board.
    let ahead = -1;
    let eta = null;
    try {
      const b = await endpoints.board(sid);
      ahead = b.waiting.indexOf(label);
      if (ahead >= 0 && b.doctorAvailableAt) eta = b.doctorAvailableAt + ahead * b.avgConsult;
    } catch { /* the ticket is printed without it */ }
    const placement = String(ev.placement || '').toLowerCase().replace(/^placement_/, '');
    const slot = ev.slot ?? -1;
    const slotStart = s.start && slot >= 0 ? s.start + slot * s.slotMinutes * 60000 : null;
    printable({
      label, kindText: t('k.checkedIn'), where: sessionName(s) === sid ? '' : sessionName(s),
      slotStart, slotEnd: slotStart ? slotStart + s.slotMinutes * 60000 : null,
      ahead, eta, token: resp.token || '',
      note: placement === 'demoted' ? t('k.demoted') : placement === 'made_next' ? t('p.madeNext') : '',
    });
    $('apptNo').value = '';
  } catch (err) {
    $('error').textContent = errorText(err);
  }
});

$('walkinForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const sid = $('wSession').value;
  try {
    const resp = await endpoints.walkIn(sid, key, $('wRef').value.trim(), $('wName').value.trim());
    const tk = resp.ticket || {};
    printable({
      label: resp.label || tk.label, kindText: t('kind.walk_in'), doctor: tk.doctorName || '', room: tk.room || '',
      slotStart: tk.slotStart ? Date.parse(tk.slotStart) : null, slotEnd: tk.slotEnd ? Date.parse(tk.slotEnd) : null,
      ahead: tk.ahead === undefined ? 0 : Number(tk.ahead), eta: tk.eta ? Date.parse(tk.eta) : null, token: resp.token || '',
    });
    $('wRef').value = '';
    $('wName').value = '';
  } catch (err) {
    $('error').textContent = errorText(err);
  }
});

$('keyForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  key = $('kioskKey').value.trim();
  localStorage.setItem(KEY_STORE, key);
  show('home');
  await loadSessions();
});
$('tabCheckin').addEventListener('click', () => show('checkinForm'));
$('tabWalkin').addEventListener('click', () => show('walkinForm'));
for (const b of document.querySelectorAll('.k-back')) b.addEventListener('click', () => show('home'));
$('print').addEventListener('click', () => window.print());
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && $('keyForm').classList.contains('hidden')) show('home'); });

applyStatic();
langButton($('lang'), () => { if (qc.tickets.length && !$('ticketBox').classList.contains('hidden')) $('ticket').innerHTML = ticketHtml(qc.tickets.at(-1)); });
if (key) { localStorage.setItem(KEY_STORE, key); show('home'); loadSessions(); } else show('keyForm');
