// Fixture views in the protobuf JSON mapping, as queuecastd sends them
// (defaults omitted, enums by name, 64-bit integers as strings).
export const NOW = '2026-11-23T01:32:00Z';  // 09:32 in Shanghai

const room3 = {
  sessionId: 'li-am', room: '3', doctorName: '李医生', version: '5',
  called: { label: 'A012', maskedName: '张*' },
  next: [{ label: 'W005', maskedName: '王*' }, { label: 'A013', maskedName: '陈*' }, { label: 'A014', maskedName: '刘*' }],
  missed: [{ label: 'W003', maskedName: '赵*' }],
};
const room5 = {
  sessionId: 'wang-am', room: '5', doctorName: '王医生', status: 'SESSION_STATUS_PAUSED', version: '2',
  called: { label: 'W002' }, next: [{ label: 'A004' }, { label: 'W006' }],
};
const room7 = { sessionId: 'zhao-am', room: '7', doctorName: '赵医生', version: '0', next: [{ label: 'A001' }] };
export const DISPLAY = { area: 'neuro-2f', rooms: [room3, room5, room7], version: '7' };

const base = {
  ticketId: 'li-am-A015', sessionId: 'li-am', label: 'A015', room: '3', doctorName: '李医生',
  slot: 2, effectiveSlot: 2, slotStart: '2026-11-23T02:00:00Z', slotEnd: '2026-11-23T03:00:00Z',
  calledLabel: 'A012', version: '5',
};
export const PATIENTS = {
  booked: { ...base, ahead: 6, eta: '2026-11-23T02:35:00Z', recommendedArrival: '2026-11-23T02:20:00Z' },
  waiting: { ...base, state: 'TICKET_STATE_WAITING', placement: 'PLACEMENT_NORMAL', ahead: 3, eta: '2026-11-23T02:02:00Z' },
  next: { ...base, state: 'TICKET_STATE_WAITING', placement: 'PLACEMENT_NORMAL', eta: '2026-11-23T01:40:00Z' },
  called: { ...base, state: 'TICKET_STATE_CALLED', calledLabel: 'A015', ahead: -1 },
  missed: { ...base, state: 'TICKET_STATE_MISSED', ahead: -1 },
  demoted: { ...base, state: 'TICKET_STATE_WAITING', placement: 'PLACEMENT_DEMOTED', effectiveSlot: 3, ahead: 11, eta: '2026-11-23T03:20:00Z' },
  paused: { ...base, state: 'TICKET_STATE_WAITING', placement: 'PLACEMENT_NORMAL', sessionStatus: 'SESSION_STATUS_PAUSED', ahead: 2, eta: '2026-11-23T02:10:00Z' },
  suspended: { ...base, state: 'TICKET_STATE_CANCELLED', sessionStatus: 'SESSION_STATUS_SUSPENDED', ahead: -1 },
  done: { ...base, state: 'TICKET_STATE_DONE', ahead: -1 },
};

const T = (label, name, state, extra = {}) => ({
  ticketId: `li-am-${label}`, label, patientRef: `P${label}`, patientName: name,
  kind: label.startsWith('W') ? 'TICKET_KIND_WALK_IN' : undefined, state, ...extra,
});
export const STAFF = {
  sessionId: 'li-am', doctorName: '李医生', room: '3', area: 'neuro-2f',
  start: '2026-11-23T00:00:00Z', end: '2026-11-23T04:00:00Z', slotMinutes: 60, servingSlot: 1,
  appointmentLeft: [0, 1, 3, 5], walkinLeft: [0, 2, 4, 2], avgConsult: '540s', version: '5',
  tickets: [
    T('A012', '张三', 'TICKET_STATE_CALLED', { slot: 1, effectiveSlot: 1, calledAt: '2026-11-23T01:30:00Z', checkedInAt: '2026-11-23T00:50:00Z' }),
    T('W005', '王五', 'TICKET_STATE_WAITING', { slot: 1, effectiveSlot: 1, band: 1, position: 0, checkedInAt: '2026-11-23T00:40:00Z' }),
    T('A013', '陈六', 'TICKET_STATE_WAITING', { slot: 1, effectiveSlot: 1, band: 1, position: 1, placement: 'PLACEMENT_NORMAL', checkedInAt: '2026-11-23T01:01:00Z' }),
    T('A014', '刘七', 'TICKET_STATE_WAITING', { slot: 2, effectiveSlot: 2, band: 1, position: 2, checkedInAt: '2026-11-23T01:20:00Z' }),
    T('A003', '孙八', 'TICKET_STATE_WAITING', { slot: 0, effectiveSlot: 3, band: 1, position: 3, placement: 'PLACEMENT_DEMOTED', checkedInAt: '2026-11-23T01:25:00Z' }),
    T('W003', '赵九', 'TICKET_STATE_MISSED', { slot: 0, effectiveSlot: 0 }),
    T('A015', '周十', undefined, { slot: 2, effectiveSlot: 2 }),
    T('A016', '吴一', undefined, { slot: 3, effectiveSlot: 3 }),
    T('A001', '郑二', 'TICKET_STATE_DONE', { slot: 0, effectiveSlot: 0, calledAt: '2026-11-23T00:05:00Z', checkedInAt: '2026-11-22T23:40:00Z' }),
    T('W001', '冯三', 'TICKET_STATE_DONE', { slot: 0, effectiveSlot: 0, calledAt: '2026-11-23T00:16:00Z', checkedInAt: '2026-11-22T23:20:00Z' }),
  ],
};
const STAFF2 = { ...STAFF, sessionId: 'wang-am', doctorName: '王医生', room: '5', status: 'SESSION_STATUS_PAUSED', tickets: [] };

export function viewFor(sub) {
  if (sub.display) return { display: DISPLAY };
  if (sub.patient) return { patient: PATIENTS[sub.patient.token] || PATIENTS.waiting };
  if (sub.staff) return { staff: sub.staff.sessionId === 'li-am' ? STAFF : STAFF2 };
  return null;
}

export function http(method, p, q) {
  if (p === '/v1/sessions') return { body: { sessions: [{ ...STAFF, tickets: [] }, { ...STAFF2 }] } };
  if (p === '/v1/sessions/li-am') return { body: STAFF };
  if (p === '/v1/sessions/wang-am') return { body: STAFF2 };
  if (p.endsWith('/walk-ins') && method === 'POST') {
    return { status: 201, body: { ticketId: 'li-am-W007', label: 'W007', slot: 1, token: '0123456789abcdef0123456789abcdef',
      ticket: { ...PATIENTS.waiting, label: 'W007', kind: 'TICKET_KIND_WALK_IN', ahead: 4, slot: 1, slotStart: '2026-11-23T01:00:00Z', slotEnd: '2026-11-23T02:00:00Z' } } };
  }
  if (p === '/v1/me') return { body: PATIENTS.waiting };
  if (p.startsWith('/v1/areas/')) return { body: DISPLAY };
  if (p === '/v1/qr.svg') return { type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>' };
  return { status: 404, body: { error: { code: 'not_found', message: p } } };
}
