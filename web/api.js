// queuecast pages: every network call lives here (docs/api.md).
//
// - request(method, path, {body, credential, idempotencyKey}) -> JSON;
//   throws ApiError {status, code, message} (code "network" when the server
//   cannot be reached).
// - live({subscribe, onView, onState, onError}) -> a reconnecting WebSocket
//   subscription to /v1/ws (subprotocol queuecast.v1.json). It remembers the
//   newest version it saw and resubscribes with it (lastVersion) after every
//   reconnect, so the server resends the view only if it changed. A client
//   ping every 2 s must be answered (pong or any message) so that nothing is
//   silent for 3.5 s; a dead link is reported as "down" within ~4 s even
//   without a TCP close.
// Views are normalized (normalizeView) so pages never see the protobuf JSON
// mapping's quirks: enums become lower-case names ("waiting"), omitted
// defaults are filled in, 64-bit integers become numbers, timestamps become
// epoch milliseconds and durations milliseconds.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

// The server's clock (virtual in demos): every HTTP answer's X-Server-Time,
// every view's sentAt and every pong set it. Pages show times from it,
// never from the browser's clock (which may be minutes or hours off).
let serverOffset = null;
export const serverClock = {
  now: () => Date.now() + (serverOffset ?? 0),
  known: () => serverOffset !== null,
  set(ms) { if (ms) serverOffset = ms - Date.now(); },
};

let idemCounter = 0;
export function newIdempotencyKey() {
  const rnd = crypto.getRandomValues(new Uint32Array(2));
  return `web-${Date.now().toString(36)}-${rnd[0].toString(36)}${rnd[1].toString(36)}-${++idemCounter}`;
}

export async function request(method, path, { body, credential, idempotencyKey } = {}) {
  const headers = { Accept: 'application/json' };
  if (credential) headers.Authorization = `Bearer ${credential}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['Idempotency-Key'] = idempotencyKey || newIdempotencyKey();
  let res;
  try {
    res = await fetch(path, {
      method, headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message || e));
  }
  serverClock.set(toMs(res.headers.get('X-Server-Time')));
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch { json = null; }
  if (!res.ok) {
    const err = json && json.error;
    throw new ApiError(res.status, err?.code || `http_${res.status}`, err?.message || text.slice(0, 200));
  }
  return json ?? {};
}

const enc = encodeURIComponent;
// The endpoints the pages use, by name.
export const endpoints = {
  // The sessions in scope; the array also carries the deployment's priority
  // reason codes (`priorityReasons`, null from a server that sends none).
  sessions: (cred) => request('GET', '/v1/sessions', { credential: cred })
    .then((r) => Object.assign((r.sessions || []).map(normalizeStaff),
      { priorityReasons: Array.isArray(r.priorityReasons) && r.priorityReasons.length ? r.priorityReasons : null })),
  session: (sid, cred) => request('GET', `/v1/sessions/${enc(sid)}`, { credential: cred }).then(normalizeStaff),
  me: (token) => request('GET', '/v1/me', { credential: token }).then(normalizePatient),
  display: (area, token) => request('GET', `/v1/areas/${enc(area)}/display`, { credential: token }).then(normalizeDisplay),
  sessionAction: (sid, action, cred, body) =>
    request('POST', `/v1/sessions/${enc(sid)}/${action}`, { credential: cred, body }),
  ticketAction: (tid, action, cred, body) => request('POST', `/v1/tickets/${enc(tid)}/${action}`, { credential: cred, body }),
  // The clinical flow (docs/api.md): a reason code from the deployment's
  // list ("" removes the priority); a patient back from tests.
  setPriority: (tid, priority, cred) => endpoints.ticketAction(tid, 'set-priority', cred, { priority }),
  sendForTests: (tid, cred) => endpoints.ticketAction(tid, 'send-for-tests', cred),
  returnFromTests: (tid, cred) => endpoints.ticketAction(tid, 'return-from-tests', cred),
  // Check-in by what the patient holds: {label} with the session, {token}
  // (the booking's QR code) or {patientRef}, with or without the session.
  checkInBy: (sid, by, cred) =>
    request('POST', sid ? `/v1/sessions/${enc(sid)}/check-in` : '/v1/check-in', { credential: cred, body: by }),
  walkIn: (sid, cred, patientRef, patientName) =>
    request('POST', `/v1/sessions/${enc(sid)}/walk-ins`, { credential: cred, body: { patientRef, patientName } }),
  board: (sid) => request('GET', `/v1/sessions/${enc(sid)}/board`).then(normalizeBoard),
  ticket: (tid, cred) => request('GET', `/v1/tickets/${enc(tid)}`, { credential: cred }).then(normalizePatient),
  qrUrl: (text) => `/v1/qr.svg?text=${enc(text)}`,
  patientPageUrl: (token) => `${location.origin}/t/${enc(token)}`,
};

// ---- normalization of the protobuf JSON mapping ----------------------------

const ENUMS = {
  kind: ['appointment', 'walk_in'],
  state: ['booked', 'waiting', 'called', 'missed', 'done', 'cancelled', 'no_show', 'at_tests'],
  placement: ['none', 'normal', 'made_next', 'demoted', 'inserted'],
  status: ['open', 'paused', 'suspended', 'closed'],
};
const PREFIX = /^(ticket_kind_|ticket_state_|placement_|session_status_)/;
function enumName(v, table) {
  if (v === undefined || v === null || v === '') return ENUMS[table][0];
  if (typeof v === 'number') return ENUMS[table][v] ?? String(v);
  return String(v).toLowerCase().replace(PREFIX, '');
}
export function toMs(v) {  // Timestamp -> epoch ms, or null
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return v;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}
export function durMs(v) {  // Duration ("600s", "1.5s") -> ms
  if (v === undefined || v === null || v === '') return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?[\d.]+)s$/.exec(String(v));
  return m ? Math.round(parseFloat(m[1]) * 1000) : 0;
}
const int = (v, d = 0) => (v === undefined || v === null || v === '' ? d : Number(v));

export function normalizePatient(p = {}) {
  return {
    ticketId: p.ticketId || '', sessionId: p.sessionId || '', label: p.label || '',
    kind: enumName(p.kind, 'kind'), state: enumName(p.state, 'state'),
    placement: enumName(p.placement, 'placement'), sessionStatus: enumName(p.sessionStatus, 'status'),
    slot: int(p.slot), effectiveSlot: int(p.effectiveSlot),
    slotStart: toMs(p.slotStart), slotEnd: toMs(p.slotEnd),
    ahead: int(p.ahead), eta: toMs(p.eta), recommendedArrival: toMs(p.recommendedArrival),
    calledLabel: p.calledLabel || '', room: p.room || '', doctorName: p.doctorName || '',
    version: int(p.version),
    priority: p.priority || '',  // the ticket's own reason code: shown to its patient only
  };
}
const entry = (e) => (e ? { label: e.label || '', maskedName: e.maskedName || '' } : null);
export function normalizeDisplay(d = {}) {
  return {
    area: d.area || '', version: int(d.version),
    rooms: (d.rooms || []).map((r) => ({
      sessionId: r.sessionId || '', room: r.room || '', doctorName: r.doctorName || '',
      status: enumName(r.status, 'status'),
      called: r.called && r.called.label ? entry(r.called) : null,
      next: (r.next || []).map(entry), missed: (r.missed || []).map(entry),
      version: int(r.version), calledAt: toMs(r.calledAt),
      // Announcement counter if the server provides one (see docs/pages.md).
      callSeq: r.callSeq !== undefined ? int(r.callSeq) : (r.recalls !== undefined ? int(r.recalls) : null),
    })),
  };
}
export function normalizeStaff(s = {}) {
  return {
    sessionId: s.sessionId || '', doctorName: s.doctorName || '', room: s.room || '', area: s.area || '',
    status: enumName(s.status, 'status'), start: toMs(s.start), end: toMs(s.end),
    slotMinutes: int(s.slotMinutes, 60), servingSlot: int(s.servingSlot, -1),
    appointmentLeft: (s.appointmentLeft || []).map(Number), walkinLeft: (s.walkinLeft || []).map(Number),
    avgConsult: durMs(s.avgConsult), version: int(s.version),
    // Several rooms sharing the session's queue (one entry per room; empty
    // from a server without rooms) and the insertion settings.
    rooms: (s.rooms || []).map((r) => ({
      room: r.room || '', paused: !!r.paused, calledTicket: r.calledTicket || '', calledLabel: r.calledLabel || '',
      availableAt: toMs(r.availableAt),
    })),
    priorityAfter: int(s.priorityAfter, 1), returnAfter: int(s.returnAfter, 2), maxOvertaken: int(s.maxOvertaken, 3),
    tickets: (s.tickets || []).map((t) => ({
      ticketId: t.ticketId || '', label: t.label || '', patientRef: t.patientRef || '',
      patientName: t.patientName || '', kind: enumName(t.kind, 'kind'), state: enumName(t.state, 'state'),
      placement: enumName(t.placement, 'placement'), slot: int(t.slot), effectiveSlot: int(t.effectiveSlot),
      band: int(t.band), seq: int(t.seq), position: int(t.position),
      checkedInAt: toMs(t.checkedInAt), calledAt: toMs(t.calledAt),
      priority: t.priority || '', room: t.room || '', overtaken: int(t.overtaken),
    })),
  };
}
export function normalizeBoard(b = {}) {
  return {
    sessionId: b.sessionId || '', status: enumName(b.status, 'status'), calledLabel: b.calledLabel || '',
    waiting: (b.waiting || []).map(String), doctorAvailableAt: toMs(b.doctorAvailableAt),
    avgConsult: durMs(b.avgConsult), version: int(b.version),
    etaOffsetsMs: (b.etaOffsetsMs || []).map(Number),
  };
}
export function normalizeView(v) {
  if (v.patient) return { kind: 'patient', view: normalizePatient(v.patient) };
  if (v.display) return { kind: 'display', view: normalizeDisplay(v.display) };
  if (v.staff) return { kind: 'staff', view: normalizeStaff(v.staff) };
  if (v.board) return { kind: 'board', view: normalizeBoard(v.board) };
  return { kind: 'unknown', view: v };
}

// ---- live push -------------------------------------------------------------

const PING_EVERY_MS = 2000;
const PONG_TIMEOUT_MS = 3500;
const WATCHDOG_MS = 250;

// subscribe: the Subscribe message without lastVersion, e.g.
// {display:{area, token}}. States: "connecting" | "live" | "down".
// onServerTime(ms) gets the server's clock (virtual in demos) from every
// view's sentAt and every pong.
export function live({ subscribe, onView, onState = () => {}, onError = () => {}, onServerTime = () => {}, url }) {
  const wsUrl = url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`;
  let ws = null;
  let lastVersion = 0;
  let state = '';
  let closed = false;
  let retry = 0;
  let pingTimer = null;
  let lastHeard = 0;
  let reconnectTimer = null;

  const setState = (s) => { if (s !== state) { state = s; onState(s); } };
  const stopTimers = () => { clearInterval(pingTimer); pingTimer = null; };

  function connect() {
    if (closed) return;
    setState(state === 'live' || state === 'down' ? 'down' : 'connecting');
    let sock;
    try {
      sock = new WebSocket(wsUrl, 'queuecast.v1.json');
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.onopen = () => {
      lastHeard = Date.now();
      sock.send(JSON.stringify({ subscribe: { ...subscribe, lastVersion: String(lastVersion) } }));
      retry = 0;
      setState('live');
      stopTimers();
      let lastPing = 0;
      pingTimer = setInterval(() => {
        const now = Date.now();
        if (now - lastHeard > PONG_TIMEOUT_MS) {  // silent link: give up on it
          sock.onclose = null;
          try { sock.close(); } catch { /* ignore */ }
          dropped();
          return;
        }
        if (now - lastPing >= PING_EVERY_MS) {
          lastPing = now;
          try { sock.send('{"ping":{}}'); } catch { /* close follows */ }
        }
      }, WATCHDOG_MS);
    };
    sock.onmessage = (ev) => {
      lastHeard = Date.now();
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg.view) {
        const version = Number(msg.view.version || 0);
        const { kind, view } = normalizeView(msg.view);
        lastVersion = version;
        const sentAt = toMs(msg.view.sentAt);
        if (sentAt) { serverClock.set(sentAt); onServerTime(sentAt); }
        onView(view, { kind, version, sentAt });
      } else if (msg.pong) {
        const at = toMs(msg.pong.at);
        if (at) { serverClock.set(at); onServerTime(at); }
      } else if (msg.error) {
        onError(new ApiError(0, msg.error.code, msg.error.message));
      }
    };
    sock.onclose = () => dropped();
    sock.onerror = () => { /* onclose follows */ };
  }
  function dropped() {
    stopTimers();
    ws = null;
    if (closed) return;
    setState('down');
    scheduleReconnect();
  }
  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    const delay = Math.min(3000, 300 * 2 ** retry) + Math.random() * 200;
    retry = Math.min(retry + 1, 6);
    reconnectTimer = setTimeout(connect, delay);
  }
  connect();
  return {
    get state() { return state; },
    get lastVersion() { return lastVersion; },
    // Forget the version (e.g. after a 401/403 the page asks again).
    resync() { lastVersion = 0; if (ws) ws.close(); },
    close() { closed = true; stopTimers(); clearTimeout(reconnectTimer); if (ws) ws.close(); },
  };
}
