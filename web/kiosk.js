// Kiosk: /kiosk[?session=<id>[|<name shown>][,...]][&key=<kiosk key>].
// Check in an appointment with what the patient holds (the number on the
// booking with the doctor chosen on screen, the booking's QR code scanned
// by the camera or a scanner, or the patient id), or register a walk-in,
// then print a ticket whose QR code opens the patient page. The kiosk key is
// asked once and kept in localStorage. The sessions come from the server
// (the kiosk's scope); `session=` in the URL narrows and names them.
// Everything printed is the server's: the engine's estimate and the
// server's clock (docs/pages.md, "Kiosk").
import { endpoints, normalizePatient, serverClock } from './api.js';
import { t, roomName, hhmm, whenText, langButton, applyStatic, escapeHtml, errorText } from './i18n.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const KEY_STORE = 'qc.kioskKey';
let key = params.get('key') || localStorage.getItem(KEY_STORE) || '';
let sessions = [];
let idleTimer = null;
let scanner = null;
const qc = { tickets: [], sessions: [] };
window.__qc = qc;

function show(id) {
  stopScan();
  for (const s of ['keyForm', 'home', 'checkinForm', 'walkinForm', 'ticketBox']) $(s).classList.toggle('hidden', s !== id);
  $('error').textContent = '';
  clearTimeout(idleTimer);
  if (id !== 'home' && id !== 'keyForm') idleTimer = setTimeout(() => show('home'), 90000);
  const first = $(id).querySelector('input, select, button');
  if (first) first.focus();
}

// Today's sessions still running or to come (by the server's clock).
function current(s) {
  if (s.status !== 'open' && s.status !== 'paused') return false;
  const now = serverClock.now();
  if (!s.start) return true;
  return s.end > now && (s.start <= now || whenText(s.start, now) === hhmm(s.start));
}
const slotEnd = (s, i) => s.start + (i + 1) * s.slotMinutes * 60000;
// Walk-in numbers left in the slots that have not ended.
function walkinsLeft(s) {
  return s.walkinLeft.reduce((n, w, i) => (s.start && slotEnd(s, i) <= serverClock.now() ? n : n + w), 0);
}

async function loadSessions() {
  const wanted = (params.get('session') || '').split(',').filter(Boolean).map((x) => {
    const [id, name] = x.split('|');
    return { id: id.trim(), name: (name || '').trim() };
  });
  let listed = [];
  try {
    listed = (await endpoints.sessions(key)).filter(current);
  } catch (e) {
    if (e.status === 401) { localStorage.removeItem(KEY_STORE); key = ''; show('keyForm'); $('error').textContent = errorText(e); return; }
    $('error').textContent = errorText(e);
  }
  listed.sort((a, b) => (a.start - b.start) || a.room.localeCompare(b.room));
  if (wanted.length) {
    const known = new Map(listed.map((s) => [s.sessionId, s]));
    sessions = wanted.map((w) => ({ ...(known.get(w.id) || { sessionId: w.id, doctorName: '', room: '', walkinLeft: [] }), shown: w.name }));
  } else {
    sessions = listed;
  }
  qc.sessions = sessions;
  renderSessions();
}
function renderSessions() {
  const option = (s, extra = '') => `<option value="${escapeHtml(s.sessionId)}">${escapeHtml(sessionName(s))}${escapeHtml(extra)}</option>`;
  $('wSession').innerHTML = sessions.map((s) => {
    const left = s.walkinLeft && s.walkinLeft.length ? walkinsLeft(s) : null;
    return option(s, left === null ? '' : ` · ${t('k.walkinLeft', { n: left })}`);
  }).join('');
  const chosen = $('cSession').value;
  $('cSession').innerHTML = `<option value="">${escapeHtml(t('k.chooseSession'))}</option>${sessions.map((s) => option(s)).join('')}`;
  if (sessions.length === 1) $('cSession').value = sessions[0].sessionId;
  else if (chosen) $('cSession').value = chosen;
}
function sessionName(s) {
  if (s.shown) return s.shown;
  if (!s.doctorName) return s.sessionId;
  return `${s.doctorName} · ${roomName(s.room)}${s.start ? ` · ${hhmm(s.start)}–${hhmm(s.end)}` : ''}`;
}

// The printed ticket: everything from the engine's view of the ticket
// (CommandResponse.ticket) and the server's clock.
function ticketHtml({ label, kindText, doctor, room, slotStart, slotEnd: end, ahead, eta, token, note, printedAt }) {
  const qr = token
    ? `<img class="t-qr" alt="QR" src="${escapeHtml(endpoints.qrUrl(endpoints.patientPageUrl(token)))}"><div class="t-small">${escapeHtml(t('k.scan'))}</div>`
    : `<div class="t-small">${escapeHtml(t('k.noQr'))}</div>`;
  return `<div class="t-head">${escapeHtml(t('k.ticket'))} · ${escapeHtml(kindText)}</div>
    <div class="t-label" data-testid="ticket-label">${escapeHtml(label)}</div>
    <div class="t-line" data-testid="ticket-where">${escapeHtml([doctor, roomName(room)].filter(Boolean).join(' · '))}</div>
    ${note ? `<div class="t-line"><b>${escapeHtml(note)}</b></div>` : ''}
    ${slotStart ? `<div class="t-line" data-testid="ticket-slot">${escapeHtml(t('k.slot', { from: whenText(slotStart, printedAt), to: hhmm(end) }))}</div>` : ''}
    ${ahead >= 0 ? `<div class="t-line" data-testid="ticket-eta">${escapeHtml(t('k.ahead', { n: ahead }))}${eta ? ` · ${escapeHtml(t('p.eta', { time: whenText(eta, printedAt) }))}` : ''}</div>` : ''}
    ${qr}
    <div class="t-small" data-testid="ticket-printed">${escapeHtml(t('k.printed', { time: `${whenText(printedAt, 0)}` }))}</div>`;
}

function printTicket(resp, kindText, fallbackLabel) {
  const v = normalizePatient(resp.ticket || {});
  const info = {
    label: v.label || resp.label || fallbackLabel, kindText, doctor: v.doctorName, room: v.room,
    slotStart: v.slotStart, slotEnd: v.slotEnd, ahead: v.state === 'waiting' ? v.ahead : -1, eta: v.eta,
    token: resp.token || '', printedAt: serverClock.now(),
    note: v.placement === 'demoted' ? t('k.demoted') : v.placement === 'made_next' ? t('p.madeNext')
      : v.placement === 'inserted' && v.state === 'waiting' && !v.priority ? t('k.returnedNote', { n: v.ahead + 1 }) : '',
  };
  qc.tickets.push({ ...info, view: v });
  $('ticket').innerHTML = ticketHtml(info);
  show('ticketBox');
}

// What was typed or scanned into the number field: the booking's QR code
// (a /t/<token> link, or the bare 32-hex token), else the printed number.
function checkInForm(text, ref, sid) {
  const m = /(?:\/t\/)?([0-9a-f]{32})\s*$/i.exec(text);
  if (text && m && (text.includes('/t/') || text.length === 32)) return { sid: '', by: { token: m[1].toLowerCase() } };
  if (text) return sid ? { sid, by: { label: text } } : { error: t('k.needSession') };
  if (ref) return { sid, by: { patientRef: ref } };
  return { error: t('k.needOne') };
}

async function submitCheckIn() {
  $('error').textContent = '';
  const text = $('apptNo').value.trim();
  const form = checkInForm(text, $('cRef').value.trim(), $('cSession').value);
  if (form.error) { $('error').textContent = form.error; return; }
  try {
    const resp = await endpoints.checkInBy(form.sid, form.by, key);
    // A patient back from tests checks in again with the same ticket: the
    // server returns an AT_TESTS ticket from tests and answers as for a
    // check-in (docs/api.md, "Check-in at the kiosk").
    const back = (resp.events || []).some((ev) => ev.returnedFromTests);
    printTicket(resp, t(back ? 'k.returned' : 'k.checkedIn'), text);
    $('apptNo').value = '';
    $('cRef').value = '';
  } catch (err) {
    $('error').textContent = errorText(err);
    if (err.code === 'ambiguous') $('cSession').focus();
  }
}
$('checkinForm').addEventListener('submit', (e) => { e.preventDefault(); submitCheckIn(); });
for (const id of ['apptNo', 'cRef', 'cSession']) $(id).addEventListener('input', () => { $('error').textContent = ''; });

// The booking's QR code through the kiosk's camera where the browser can
// read barcodes (BarcodeDetector); a handheld scanner types into #apptNo.
async function startScan() {
  if (scanner) return;
  try {
    const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    const video = $('scanVideo');
    video.srcObject = stream;
    await video.play();
    $('scanBox').classList.remove('hidden');
    scanner = { stream, timer: setInterval(async () => {
      let codes = [];
      try { codes = await detector.detect(video); } catch { return; }
      if (!codes.length || !scanner) return;
      $('apptNo').value = codes[0].rawValue;
      stopScan();
      submitCheckIn();
    }, 300) };
  } catch (e) {
    $('error').textContent = errorText({ code: 'camera', message: String(e && e.message || e) });
    stopScan();
  }
}
function stopScan() {
  if (!scanner) { $('scanBox')?.classList.add('hidden'); return; }
  clearInterval(scanner.timer);
  for (const tr of scanner.stream.getTracks()) tr.stop();
  scanner = null;
  $('scanBox').classList.add('hidden');
}
const canScan = 'BarcodeDetector' in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
$('scanBtn').classList.toggle('hidden', !canScan);
$('scanBtn').addEventListener('click', startScan);

$('walkinForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const sid = $('wSession').value;
  try {
    const resp = await endpoints.walkIn(sid, key, $('wRef').value.trim(), $('wName').value.trim());
    printTicket(resp, t('kind.walk_in'), '');
    $('wRef').value = '';
    $('wName').value = '';
    loadSessions();  // walk-in numbers left
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
$('tabCheckin').addEventListener('click', () => { show('checkinForm'); loadSessions(); });
$('tabWalkin').addEventListener('click', () => { show('walkinForm'); loadSessions(); });
for (const b of document.querySelectorAll('.k-back')) b.addEventListener('click', () => show('home'));
$('print').addEventListener('click', () => window.print());
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && $('keyForm').classList.contains('hidden')) show('home'); });

applyStatic();
langButton($('lang'), () => {
  renderSessions();
  if (qc.tickets.length && !$('ticketBox').classList.contains('hidden')) $('ticket').innerHTML = ticketHtml(qc.tickets.at(-1));
});
if (key) { localStorage.setItem(KEY_STORE, key); show('home'); loadSessions(); } else show('keyForm');
