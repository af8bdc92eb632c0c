#!/usr/bin/env node
// A small stand-in for queuecastd, for page development only (never used by
// ctest): the same flags, routes, credentials and JSON shapes as docs/api.md,
// a simplified queue (walk-ins, booking, check-in with the presenting rule,
// call/recall/complete/missed/return/move-to-next, pause; rooms, priority
// and return after tests with a simplified insertion after k), live push on
// /v1/ws with lastVersion, state kept in <data-dir>/fake.json so a restart
// keeps it. Node only, no npm packages.
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const argv = process.argv.slice(2);
const flag = (n, d) => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : d; };
const [host, port] = flag('--listen', '127.0.0.1:8080').split(':');
const webRoot = flag('--web-root', '');
const dataDir = flag('--data-dir', 'data');
const cfg = flag('--config') ? JSON.parse(readFileSync(flag('--config'), 'utf8')) : {};
const speed = Number(flag('--clock-speed', '1'));
const clockStart = flag('--clock-start') ? Date.parse(flag('--clock-start')) : Date.now();
const realStart = Date.now();
const now = () => Math.round(clockStart + (Date.now() - realStart) * speed);
const sha = (s) => createHash('sha256').update(s).digest('hex');
const MIN = 60000;

const keys = new Map();
for (const k of cfg.staff || []) keys.set(k.key_sha256, { role: k.role, id: k.id });
for (const k of cfg.kiosks || []) keys.set(k.key_sha256, { role: 'kiosk', id: k.id });
for (const k of cfg.displays || []) keys.set(k.token_sha256, { role: 'display', id: k.area });

mkdirSync(dataDir, { recursive: true });
const stateFile = path.join(dataDir, 'fake.json');
const S = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : { sessions: {}, tickets: {}, tokens: {} };
const save = () => writeFileSync(stateFile, JSON.stringify(S));

const iso = (ms) => (ms == null ? undefined : new Date(ms).toISOString());
const slotEnd = (s, i) => s.start + (i + 1) * s.slotMinutes * MIN;
const M = (s) => s.aq.length;
function waiting(s) {
  return Object.values(S.tickets).filter((t) => t.sid === s.id && t.state === 'WAITING')
    .sort((a, b) => a.band - b.band || (a.band === 0 ? 0 : a.eslot - b.eslot) || a.seq - b.seq);
}
function place(s, t, passed) {
  const onTime = now() <= slotEnd(s, t.slot);
  t.state = 'WAITING'; t.seq = ++s.seq;
  if (!onTime) { t.band = 1; t.eslot = M(s) - 1; t.placement = 'PLACEMENT_DEMOTED'; }
  else if (passed) { t.band = 0; t.eslot = t.slot; t.placement = 'PLACEMENT_MADE_NEXT'; }
  else { t.band = 1; t.eslot = t.slot; t.placement = 'PLACEMENT_NORMAL'; }
}
// The ticket CALLED in a room ('' = the session's first room).
function called(s, room = '') {
  const r = room || s.rooms[0];
  return Object.values(S.tickets).find((t) => t.sid === s.id && t.state === 'CALLED' && t.room === r);
}
function lastCalled(s) {
  return Object.values(S.tickets).filter((t) => t.sid === s.id && t.state === 'CALLED').sort((a, b) => b.calledAt - a.calledAt)[0];
}
function call(s, t, how, room) {
  const c = called(s, room); if (c) c.state = 'DONE';
  t.state = 'CALLED'; t.room = room || s.rooms[0]; t.calledAt = now(); if (how === 'call_next' && t.band === 1) s.serving = t.eslot;
  s.calls++; s.roomCalls = { ...s.roomCalls, [t.room]: ((s.roomCalls || {})[t.room] || 0) + 1 };
  return { ticketCalled: { ticketId: t.id, label: t.label, slot: t.slot, effectiveSlot: t.eslot, reason: how, room: t.room } };
}
function roomOf(s, body) {
  const r = (body && body.room) || '';
  if (!r && s.rooms.length > 1) throw new E(400, 'invalid_argument', 'room required');
  if (r && !s.rooms.includes(r)) throw new E(400, 'invalid_argument', 'unknown room');
  return r || s.rooms[0];
}
// Insertion after k (docs/engine.md, simplified): after P (the k-th band-1
// waiting ticket, or a later protected or inserted one); every band-1
// waiting ticket behind it is overtaken once more (set_priority on a waiting
// ticket, `moving`: only those it moves past). Returns the events.
function insert(s, t, k, reason, entering, moving = false) {
  const w = waiting(s).filter((x) => x !== t && x.band === 1);
  let pi = w.length ? Math.min(k, w.length) - 1 : -1;
  w.forEach((x, i) => { if (((x.overtaken || 0) >= s.maxOver || x.inserted) && i > pi) pi = i; });
  const P = pi >= 0 ? w[pi] : null;
  const all = waiting(s);
  const normal = all.indexOf(t);
  const ahead = new Set(all.slice(0, Math.max(0, normal)));
  const target = all.filter((x) => x.band === 0 && x !== t).length + pi + 1;
  if (normal >= 0 && normal <= target) return [entering];
  t.band = 1; t.inserted = true; t.placement = 'PLACEMENT_INSERTED';
  if (P) { t.eslot = P.eslot; t.seq = P.seq + 0.001 * (++s.ins); } else if (w.length) { t.eslot = w[0].eslot; t.seq = w[0].seq - 0.5; }
  entering[Object.keys(entering).find((x) => x !== 'at' && x !== 'sessionId')].placement = 'PLACEMENT_INSERTED';
  const passed = w.slice(pi + 1).filter((x) => !moving || ahead.has(x));
  const out = [entering, ev(s, { ticketInserted: { ticketId: t.id, label: t.label, reason, otherTicket: P ? P.id : '', count: passed.length } })];
  for (const x of passed) {
    x.overtaken = (x.overtaken || 0) + 1;
    out.push(ev(s, { ticketOvertaken: { ticketId: x.id, label: x.label, otherTicket: t.id, count: x.overtaken } }));
    if (x.overtaken === s.maxOver) out.push(ev(s, { ticketProtected: { ticketId: x.id, label: x.label, count: x.overtaken } }));
  }
  return out;
}
const sessionPaused = (s) => s.rooms.every((r) => s.paused.includes(r));
const ev = (s, body) => ({ at: iso(now()), sessionId: s.id, ...body });

// ---- views ------------------------------------------------------------------
function patientView(t) {
  const s = S.sessions[t.sid]; const w = waiting(s); const c = lastCalled(s);
  let ahead = t.state === 'WAITING' ? w.indexOf(t) : t.state === 'BOOKED' ? w.filter((x) => x.band === 0 || x.eslot <= t.slot).length : -1;
  const eta = ahead >= 0 ? Math.max(now(), s.start) + ahead * 10 * MIN : null;
  return { ticketId: t.id, sessionId: s.id, label: t.label, kind: t.kind, state: t.state, placement: t.placement,
    sessionStatus: s.status, slot: t.slot, effectiveSlot: t.eslot, slotStart: iso(s.start + t.slot * s.slotMinutes * MIN),
    slotEnd: iso(slotEnd(s, t.slot)), ahead: ahead || undefined, ...(ahead < 0 ? { ahead: -1 } : {}), eta: iso(eta),
    recommendedArrival: t.state === 'BOOKED' ? iso(Math.min(Math.max(eta - 15 * MIN, s.regOpen), slotEnd(s, t.slot))) : undefined,
    calledLabel: c ? c.label : undefined, room: t.state === 'CALLED' ? t.room : s.rooms.join(' / '), doctorName: s.doctor,
    version: String(s.version), priority: t.priority || undefined };
}
const mask = (n) => (n ? `${n[0]}*` : '');
function displayView(area) {
  const rooms = Object.values(S.sessions).filter((s) => s.area === area).flatMap((s) => s.rooms.map((room) => {
    const c = called(s, room);
    return { sessionId: s.id, room, doctorName: s.doctor, status: s.paused.includes(room) ? 'SESSION_STATUS_PAUSED' : s.status,
      called: c ? { label: c.label, maskedName: mask(c.name) } : undefined, calledAt: c ? iso(c.calledAt) : undefined,
      next: waiting(s).slice(0, 5).map((t) => ({ label: t.label, maskedName: mask(t.name) })),
      missed: Object.values(S.tickets).filter((t) => t.sid === s.id && t.state === 'MISSED').map((t) => ({ label: t.label, maskedName: mask(t.name) })),
      version: String(s.version), callSeq: String((s.roomCalls || {})[room] || 0) };
  }));
  return { area, rooms, version: String(rooms.reduce((a, r) => a + Number(r.version), 0)) };
}
function staffView(s, withTickets = true) {
  const w = waiting(s);
  const order = { CALLED: 0, WAITING: 1, AT_TESTS: 2, MISSED: 3, BOOKED: 4 };
  const ts = Object.values(S.tickets).filter((t) => t.sid === s.id)
    .sort((a, b) => (order[a.state] ?? 4) - (order[b.state] ?? 4) || (a.state === 'WAITING' ? w.indexOf(a) - w.indexOf(b) : a.n - b.n));
  return { sessionId: s.id, doctorName: s.doctor, room: s.room, area: s.area, status: s.status, start: iso(s.start), end: iso(s.end),
    slotMinutes: s.slotMinutes, servingSlot: s.serving, appointmentLeft: s.aq, walkinLeft: s.wq, avgConsult: '600s', version: String(s.version),
    rooms: s.rooms.map((r) => { const c = called(s, r); return { room: r, paused: s.paused.includes(r), calledTicket: c ? c.id : '', calledLabel: c ? c.label : '', availableAt: iso(now()) }; }),
    priorityAfter: 1, returnAfter: 2, maxOvertaken: s.maxOver,
    tickets: withTickets ? ts.map((t) => ({ ticketId: t.id, label: t.label, patientRef: t.ref, patientName: t.name, kind: t.kind, state: t.state,
      placement: t.placement, slot: t.slot, effectiveSlot: t.eslot, band: t.state === 'WAITING' ? t.band : -1, seq: String(t.seq || 0),
      position: t.state === 'WAITING' ? w.indexOf(t) : -1, checkedInAt: iso(t.inAt), calledAt: iso(t.calledAt),
      priority: t.priority || '', room: ['CALLED', 'AT_TESTS'].includes(t.state) ? t.room : '', overtaken: t.overtaken || 0 })) : [] };
}

// ---- push -------------------------------------------------------------------
const subs = new Set();  // {sock, kind, id, last}
function viewOf(sub) {
  if (sub.kind === 'patient') { const t = S.tickets[S.tokens[sub.id]]; return t && { patient: patientView(t), version: S.sessions[t.sid].version }; }
  if (sub.kind === 'display') { const d = displayView(sub.id); return { display: d, version: Number(d.version) }; }
  if (sub.kind === 'staff') { const s = S.sessions[sub.id]; return s && { staff: staffView(s), version: s.version }; }
  return null;
}
function pushAll() {
  for (const sub of subs) {
    const v = viewOf(sub); if (!v) continue;
    const body = JSON.stringify({ ...v, version: undefined });
    if (body === sub.lastBody) continue;
    sub.lastBody = body;
    const { version, ...view } = v;
    wsSend(sub.sock, JSON.stringify({ view: { ...view, version: String(version), sentAt: iso(now()) } }));
  }
}
function wsSend(sock, text) {
  const b = Buffer.from(text); let h;
  if (b.length < 126) h = Buffer.from([0x81, b.length]);
  else if (b.length < 65536) { h = Buffer.alloc(4); h[0] = 0x81; h[1] = 126; h.writeUInt16BE(b.length, 2); }
  else { h = Buffer.alloc(10); h[0] = 0x81; h[1] = 127; h.writeBigUInt64BE(BigInt(b.length), 2); }
  if (!sock.destroyed) sock.write(Buffer.concat([h, b]));
}
function onWsMessage(sock, text) {
  let m; try { m = JSON.parse(text); } catch { return; }
  if (m.ping) return wsSend(sock, JSON.stringify({ pong: { at: iso(now()) } }));
  const sb = m.subscribe; if (!sb) return;
  let sub;
  if (sb.patient) sub = { kind: 'patient', id: sb.patient.token };
  else if (sb.display) { if (keys.get(sha(sb.display.token || ''))?.id !== sb.display.area) return wsSend(sock, '{"error":{"code":"unauthorized","message":"bad display token"}}'); sub = { kind: 'display', id: sb.display.area }; }
  else if (sb.staff) { if (!keys.has(sha(sb.staff.key || ''))) return wsSend(sock, '{"error":{"code":"unauthorized","message":"bad key"}}'); sub = { kind: 'staff', id: sb.staff.sessionId }; }
  else return;
  sub.sock = sock;
  for (const x of subs) if (x.sock === sock && x.kind === sub.kind && x.id === sub.id) subs.delete(x);
  subs.add(sub);
  const v = viewOf(sub);
  if (v && String(v.version) !== String(sb.lastVersion || 0)) { sub.lastBody = null; pushAll(); } else if (v) sub.lastBody = JSON.stringify({ ...v, version: undefined });
}

// ---- HTTP -------------------------------------------------------------------
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png' };
class E extends Error { constructor(st, code, msg) { super(msg); this.st = st; this.code = code; } }
function auth(req, url, roles) {
  const b = (req.headers.authorization || '').replace(/^Bearer /, '') || url.searchParams.get('token') || '';
  const k = keys.get(sha(b));
  if (!k) throw new E(401, 'unauthorized', 'unknown credential');
  if (roles && !roles.includes(k.role)) throw new E(403, 'forbidden', 'not allowed');
  return k;
}
function ticket(tid) { const t = S.tickets[tid]; if (!t) throw new E(404, 'unknown_ticket', tid); return t; }
function session(sid) { const s = S.sessions[sid]; if (!s) throw new E(404, 'unknown_session', sid); return s; }
function need(t, st) { if (t.state !== st) throw new E(409, 'wrong_state', `${t.label} is ${t.state}`); }
function newTicket(s, kind, slot, ref, name) {
  const n = Object.values(S.tickets).filter((t) => t.sid === s.id).length + 1;
  const count = Object.values(S.tickets).filter((t) => t.sid === s.id && t.kind === kind).length + 1;
  const label = `${kind === 'TICKET_KIND_WALK_IN' ? 'W' : 'A'}${String(count).padStart(3, '0')}`;
  const t = { id: `${s.id}-${label}`, sid: s.id, label, kind, slot, eslot: slot, ref, name, state: 'BOOKED', placement: 'PLACEMENT_NONE', n };
  const token = randomBytes(16).toString('hex');
  S.tickets[t.id] = t; S.tokens[token] = t.id;
  return { t, token };
}

function returnFromTests(t) {
  const s = S.sessions[t.sid];
  need(t, 'AT_TESTS');
  t.state = 'WAITING'; t.band = 1; t.eslot = M(s) - 1; t.seq = ++s.seq; t.placement = 'PLACEMENT_NORMAL';
  const events = insert(s, t, 2, 'return_from_tests', ev(s, { returnedFromTests: { ticketId: t.id, label: t.label, placement: t.placement } }));
  const token = Object.keys(S.tokens).find((k) => S.tokens[k] === t.id);
  return { events, ticketId: t.id, label: t.label, token, ticket: patientView(t) };
}
function checkIn(t) {
  const s = S.sessions[t.sid];
  need(t, 'BOOKED'); place(s, t, s.serving > t.slot); t.inAt = now();
  const token = Object.keys(S.tokens).find((k) => S.tokens[k] === t.id);
  const entering = ev(s, { checkedIn: { ticketId: t.id, label: t.label, placement: t.placement } });
  const events = t.priority ? insert(s, t, 1, 'priority', entering) : [entering];
  return { events, ticketId: t.id, label: t.label, token, ticket: patientView(t) };
}
// POST /v1/check-in, /v1/sessions/{sid}/check-in: by token or label (the
// engine's answer for the ticket found, as the server does).
function checkInBy(s, by) {
  let t = null;
  if (by.token) t = S.tickets[S.tokens[by.token]];
  else if (by.label && s) t = Object.values(S.tickets).find((x) => x.sid === s.id && x.label === by.label.trim().toUpperCase());
  else throw new E(400, 'invalid_argument', 'give exactly one of label, token, patientRef');
  if (!t || (s && t.sid !== s.id)) throw new E(404, 'unknown_ticket', 'no appointment with this number in this session');
  return t.state === 'AT_TESTS' ? returnFromTests(t) : checkIn(t);  // back from tests: checks in again
}

async function api(req, url, body) {
  const p = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); const m = req.method;
  const STAFF = ['admin', 'nurse']; const KIOSK = ['admin', 'nurse', 'kiosk'];
  if (p[1] === 'sessions' && p.length === 2) {
    if (m === 'GET') { auth(req, url, KIOSK); return { sessions: Object.values(S.sessions).map((s) => staffView(s, false)), priorityReasons: ['elderly', 'military', 'disabled', 'pregnant'] }; }
    auth(req, url, ['admin']);
    if (S.sessions[body.sessionId]) throw new E(409, 'already_exists', body.sessionId);
    const start = Date.parse(body.start), end = Date.parse(body.end);
    S.sessions[body.sessionId] = { id: body.sessionId, doctor: body.doctorName, room: body.room, area: body.area, start, end,
      regOpen: Date.parse(body.registrationOpen), slotMinutes: body.slotMinutes || 60, aq: body.appointmentQuota, wq: body.walkinQuota,
      status: 'SESSION_STATUS_OPEN', version: 1, seq: 0, serving: -1, calls: 0,
      rooms: body.rooms && body.rooms.length ? body.rooms : [body.room], paused: [], maxOver: body.maxOvertaken ?? 3, ins: 0 };
    return [201, { events: [ev(S.sessions[body.sessionId], { sessionCreated: {} })] }];
  }
  if (p[1] === 'sessions') {
    const s = session(p[2]);
    if (p.length === 3) { auth(req, url, KIOSK); return staffView(s); }
    const a = p[3];
    if (a === 'walk-ins') {
      auth(req, url, KIOSK);
      if (now() >= s.end) throw new E(409, 'session_closed', 'ended');
      const slot = s.wq.findIndex((w, i) => w > 0 && slotEnd(s, i) > now());
      if (slot < 0) throw new E(409, 'no_capacity', 'no walk-in capacity');
      s.wq[slot]--;
      const { t, token } = newTicket(s, 'TICKET_KIND_WALK_IN', slot, body.patientRef, body.patientName);
      place(s, t, false); t.placement = 'PLACEMENT_NORMAL'; t.inAt = now();
      return [201, { events: [ev(s, { walkInRegistered: { ticketId: t.id, label: t.label, slot } })], ticketId: t.id, label: t.label, slot, token, ticket: patientView(t) }];
    }
    if (a === 'book') {
      auth(req, url, STAFF);
      if (!(s.aq[body.slot] > 0)) throw new E(409, 'no_capacity', 'no appointment capacity');
      s.aq[body.slot]--;
      const { t, token } = newTicket(s, 'TICKET_KIND_APPOINTMENT', body.slot, body.patientRef, body.patientName);
      return [201, { events: [ev(s, { ticketBooked: { ticketId: t.id, label: t.label, slot: t.slot } })], ticketId: t.id, label: t.label, slot: t.slot, token, ticket: patientView(t) }];
    }
    if (a === 'check-in') { auth(req, url, KIOSK); return checkInBy(s, body); }
    auth(req, url, STAFF);
    if (a === 'call-next') {
      const room = roomOf(s, body);
      if (s.paused.includes(room)) throw new E(409, 'session_paused', 'paused');
      const w = waiting(s);
      if (!w.length) { const c = called(s, room); if (c) c.state = 'DONE'; return { events: [ev(s, { nobodyWaiting: {} })] }; }
      return { events: [ev(s, call(s, w[0], 'call_next', room))] };
    }
    if (a === 'pause' || a === 'resume') {
      const rooms = body && body.room ? [roomOf(s, body)] : s.rooms;
      s.paused = a === 'pause' ? [...new Set([...s.paused, ...rooms])] : s.paused.filter((r) => !rooms.includes(r));
      s.status = sessionPaused(s) ? 'SESSION_STATUS_PAUSED' : 'SESSION_STATUS_OPEN';
      return { events: [ev(s, { [a === 'pause' ? 'sessionPaused' : 'sessionResumed']: { room: (body && body.room) || '' } })] };
    }
  }
  if (p[1] === 'check-in') { auth(req, url, KIOSK); return checkInBy(null, body); }
  if (p[1] === 'tickets') {
    const t = ticket(p[2]); const s = S.sessions[t.sid]; const a = p[3];
    const e = (k, extra = {}) => ({ events: [ev(s, { [k]: { ticketId: t.id, label: t.label, ...extra } })] });
    if (!a && m === 'GET') return patientView(t);
    if (a === 'check-in') { auth(req, url, KIOSK); return checkIn(t); }
    if (a === 'return-from-tests') { auth(req, url, KIOSK); return returnFromTests(t); }
    auth(req, url, STAFF);
    if (a === 'call') { need(t, 'WAITING'); return { events: [ev(s, call(s, t, 'call_ticket', roomOf(s, body)))] }; }
    if (a === 'send-for-tests') { need(t, 'CALLED'); t.state = 'AT_TESTS'; return e('sentForTests', { room: t.room }); }
    if (a === 'set-priority') {
      if (['DONE', 'CANCELLED', 'NO_SHOW'].includes(t.state)) throw new E(409, 'wrong_state', t.state);
      const code = (body && body.priority) || '';
      if (code && !['elderly', 'military', 'disabled', 'pregnant'].includes(code)) throw new E(400, 'invalid_argument', 'unknown priority reason');
      t.priority = code;
      const set = ev(s, { prioritySet: { ticketId: t.id, label: t.label, priority: code } });
      return { events: code && t.state === 'WAITING' ? insert(s, t, 1, 'priority', set, true) : [set] };
    }
    if (a === 'recall') { need(t, 'CALLED'); s.calls++; s.roomCalls = { ...s.roomCalls, [t.room]: ((s.roomCalls || {})[t.room] || 0) + 1 }; return e('ticketRecalled'); }
    if (a === 'complete') { if (t.state !== 'AT_TESTS') need(t, 'CALLED'); t.state = 'DONE'; return e('ticketCompleted', { reason: 'complete' }); }
    if (a === 'missed') { need(t, 'CALLED'); t.state = 'MISSED'; return e('ticketMissed'); }
    if (a === 'return') { need(t, 'MISSED'); place(s, t, true); return e('ticketReturned', { placement: t.placement }); }
    if (a === 'move-to-next') { need(t, 'WAITING'); t.band = 0; t.seq = ++s.seq; t.placement = 'PLACEMENT_MADE_NEXT'; return e('movedToNext'); }
  }
  if (p[1] === 'me') { const b = (req.headers.authorization || '').replace(/^Bearer /, '') || url.searchParams.get('token'); const tid = S.tokens[b]; if (!tid) throw new E(401, 'unauthorized', 'unknown token'); return patientView(S.tickets[tid]); }
  if (p[1] === 'areas') { const k = auth(req, url); if (k.role === 'display' && k.id !== p[2]) throw new E(403, 'forbidden', 'area'); return displayView(p[2]); }
  throw new E(404, 'not_found', url.pathname);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/readyz' || url.pathname === '/healthz') { res.end('ok'); return; }
  if (url.pathname === '/v1/qr.svg') {
    res.setHeader('Content-Type', 'image/svg+xml');
    res.end('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"><rect width="29" height="29" fill="#fff"/><path d="M4 4h7v7h-7zM18 4h7v7h-7zM4 18h7v7h-7z"/></svg>');
    return;
  }
  if (url.pathname.startsWith('/v1/')) {
    let raw = ''; for await (const c of req) raw += c;
    try {
      const before = JSON.stringify(S);
      let out = await api(req, url, raw ? JSON.parse(raw) : {});
      let status = 200; if (Array.isArray(out)) [status, out] = out;
      if (JSON.stringify(S) !== before) {
        for (const s of Object.values(S.sessions)) s.version = s.version || 1;
        const sid = out?.events?.[0]?.sessionId; if (sid && S.sessions[sid]) S.sessions[sid].version++;
        save(); setImmediate(pushAll);
      }
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Server-Time': iso(now()) }); res.end(JSON.stringify(out));
    } catch (e) {
      const st = e.st || 500;
      res.writeHead(st, { 'Content-Type': 'application/json', 'X-Server-Time': iso(now()) }); res.end(JSON.stringify({ error: { code: e.code || 'internal', message: e.message } }));
    }
    return;
  }
  const parts = url.pathname.split('/').filter(Boolean);
  let file = { display: 'display.html', t: 'ticket.html', console: 'console.html', kiosk: 'kiosk.html', manager: 'manager.html' }[parts[0]] || 'index.html';
  if (parts[0] === 'static') file = parts.slice(1).join('/');
  try { res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' }); res.end(readFileSync(path.join(webRoot, path.basename(file)))); }
  catch { res.writeHead(404); res.end(); }
});
server.on('upgrade', (req, sock) => {
  const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: queuecast.v1.json\r\n\r\n`);
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      const op = buf[0] & 0x0f; let len = buf[1] & 0x7f; let off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      if (buf.length < off + 4 + len) return;
      const mask = buf.subarray(off, off + 4); const data = Buffer.from(buf.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < data.length; i++) data[i] ^= mask[i % 4];
      buf = buf.subarray(off + 4 + len);
      if (op === 8) { sock.end(Buffer.from([0x88, 0])); return; }
      if (op === 1) onWsMessage(sock, data.toString());
    }
  });
  const drop = () => { for (const x of subs) if (x.sock === sock) subs.delete(x); };
  sock.on('close', drop); sock.on('error', drop);
});
server.listen(Number(port), host, () => console.log(`fake queuecastd on http://${host}:${port}`));
process.on('SIGTERM', () => process.exit(0));
