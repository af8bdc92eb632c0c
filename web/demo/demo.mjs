#!/usr/bin/env node
// queuecast demo: plays a clinic morning through the real HTTP API, so every
// screen moves. No npm dependencies (Node >= 18: fetch).
//
//   queuecastd --config web/demo/queuecast.demo.json --web-root web \
//              --clock-start 2026-11-23T07:30:00+08:00 --clock-speed 60 &
//   node web/demo/demo.mjs --url http://127.0.0.1:8080 --speed 60
//
// The server's virtual clock decides what "now" is; this script reads it from
// the `at` of the events it gets back and keeps in step with --speed (virtual
// ms per real ms; must equal the server's --clock-speed). Three doctors in
// area demo-2f, 4 hours from the first full hour at least 25 minutes after
// the clock's start (08:00-12:00 for a 07:30 start), registration an hour before:
// appointments booked ahead that come early, on time, late (demoted) or not
// at all; walk-ins arriving all morning, most in the first hour; nurses
// calling at each doctor's pace; some called patients missed who return
// (made next when on time); a recall; one doctor pausing for a while.
// Flags: --url, --speed, --seed N, --admin-key, --nurse-key, --display-token,
// --area, --tokens-file F (write the patient links' tokens), --clock-start (the server's, to place the sessions before the first
// answer), --quiet, --loop (play another morning after this one).

const args = parseArgs(process.argv.slice(2));
const URL_ = args.url || 'http://127.0.0.1:8080';
const SPEED = Number(args.speed || 60);
const ADMIN = args['admin-key'] || 'demo-admin';
const NURSE = args['nurse-key'] || 'demo-nurse';
const KIOSK = args['kiosk-key'] || 'demo-kiosk';
const DISPLAY = args['display-token'] || 'demo-display';
const AREA = args.area || 'demo-2f';
const quiet = !!args.quiet;
let rand = mulberry32(Number(args.seed || 20261123));

const MIN = 60_000;
const HOUR = 60 * MIN;
const TZ = 8 * HOUR;  // the clinic's local time, UTC+8

function parseArgs(list) {
  const out = {};
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=');
    if (v !== undefined) out[k] = v;
    else if (list[i + 1] && !list[i + 1].startsWith('--')) out[k] = list[++i];
    else out[k] = true;
  }
  if (out.help) {
    console.log('usage: node web/demo/demo.mjs [--url URL] [--speed 60] [--seed N] [--loop] [--quiet]');
    process.exit(0);
  }
  return out;
}
function mulberry32(a) {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (lo, hi) => lo + rand() * (hi - lo);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

// ---- the HTTP API ------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) { super(`${code}: ${message}`); this.status = status; this.code = code; }
}
async function api(method, path, body, key = NURSE) {
  let res;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch(URL_ + path, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      break;
    } catch (e) {
      if (attempt >= 20) throw e;
      await sleep(500);  // the server may be starting or restarting
    }
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (!res.ok) throw new ApiError(res.status, json.error?.code || res.status, json.error?.message || text);
  noteClock(json);
  return json;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the virtual clock -------------------------------------------------------

let anchor = null;  // {virtual, real}
function noteClock(resp) {
  const at = resp?.events?.[0]?.at;
  if (!at) return;
  const v = Date.parse(at);
  if (!Number.isNaN(v)) anchor = { virtual: v, real: Date.now() };
}
const vnow = () => anchor.virtual + (Date.now() - anchor.real) * SPEED;
const local = (ms) => { const d = new Date(ms + TZ); return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`; };
function log(who, what) { if (!quiet) console.log(`${local(vnow())}  ${who.padEnd(6)} ${what}`); }

// A tiny scheduler on the virtual clock.
const pending = new Set();
function at(virtualMs, fn) {
  const p = new Promise((resolve) => {
    const delay = Math.max(0, (virtualMs - vnow()) / SPEED);
    setTimeout(async () => {
      try { await fn(); } catch (e) { log('!', e.message); }
      resolve();
    }, delay);
  });
  pending.add(p);
  p.then(() => pending.delete(p));
  return p;
}
const later = (virtualDelay, fn) => at(vnow() + virtualDelay, fn);

// ---- the clinic ----------------------------------------------------------------

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'.split('');
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建国志文辉海燕鹏飞俊杰欣怡子涵浩然雨桐梓轩思远嘉怡'.split('');
let patientNo = 0;
function person() {
  patientNo++;
  return { ref: `DEMO${String(patientNo).padStart(5, '0')}`, name: pick(SURNAMES) + pick(GIVEN) + (rand() < 0.6 ? pick(GIVEN) : '') };
}

const DOCTORS = [
  { id: 'li', name: '李医生', room: '3', consult: [6, 12], lateStart: 0 },
  { id: 'wang', name: '王医生', room: '5', consult: [8, 14], lateStart: 15, pauseAt: 2 * HOUR, pauseFor: 15 * MIN },
  { id: 'chen', name: '陈医生', room: '7', consult: [5, 11], lateStart: 5 },
];

async function playMorning(round) {
  // The first full local hour at least 25 minutes away (08:00 for a clock
  // started between 06:35 and 07:35); registration opens an hour before it.
  // What would have happened before the clock's start is spread over the
  // first minutes instead of arriving in one burst.
  const start0 = (ms) => Math.ceil((ms + 25 * MIN + TZ) / HOUR) * HOUR - TZ;
  const suffix = `${Date.now().toString(36)}${round}`;
  const start = start0(vnow());
  const sessions = [];
  for (const d of DOCTORS) {
    const spec = {
      sessionId: `demo-${d.id}-${suffix}`, doctorId: d.id, doctorName: d.name, department: 'demo',
      room: d.room, area: AREA, slotMinutes: 60,
      start: new Date(start).toISOString(), end: new Date(start + 4 * HOUR).toISOString(),
      registrationOpen: new Date(start - HOUR).toISOString(),
      walkinConversionTime: new Date(start + 3 * HOUR).toISOString(),
      appointmentQuota: [3, 5, 5, 5], walkinQuota: [6, 5, 5, 4],
      avgConsultSeed: '600s',
    };
    await api('POST', '/v1/sessions', spec, ADMIN);
    sessions.push({ doctor: d, spec, start, end: start + 4 * HOUR });
  }
  const first = sessions[0];
  console.log(`\nqueuecast demo: ${DOCTORS.length} doctors, ${local(first.start)}-${local(first.end)} at ${SPEED}x (1 real second = ${SPEED / 60} virtual min)`);
  console.log(`  display : ${URL_}/display/${AREA}?token=${DISPLAY}`);
  console.log(`  console : ${URL_}/console   (staff key: ${NURSE})`);
  console.log(`  kiosk   : ${URL_}/kiosk?key=${KIOSK}`);
  console.log(`  manager : ${URL_}/manager   (staff key: ${NURSE})`);

  // Book first (the appointments were made days ago), then let the morning run.
  const tokens = [];
  const arrivals = [];
  for (const s of sessions) arrivals.push(...await bookAppointments(s, tokens));
  for (const t of tokens.filter((x) => x.arrives).slice(0, 3)) {
    console.log(`  patient : ${URL_}/t/${t.token}   (${t.label}, ${t.who}, comes ${t.arrives})`);
  }
  console.log('');
  if (args['tokens-file']) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(args['tokens-file'], JSON.stringify(tokens.map((t) => ({ token: t.token, label: t.label, who: t.who }))));
  }
  for (const a of arrivals) a();
  for (const s of sessions) {
    scheduleWalkIns(s, tokens);
    scheduleNurse(s);
  }
  // Wait for the morning to end (and the queues to empty).
  await at(first.end + 30 * MIN, async () => {});
  while (pending.size) await Promise.race([...pending]);
  console.log(`${local(vnow())}  demo morning over.`);
}

// Books the session's appointments; returns functions that schedule the arrivals.
async function bookAppointments(s, tokens) {
  const arrivals = [];
  const quota = [3, 5, 5, 5];
  for (let slot = 0; slot < 4; slot++) {
    const n = quota[slot] - (rand() < 0.5 ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const p = person();
      let r;
      try {
        r = await api('POST', `/v1/sessions/${s.spec.sessionId}/book`, { slot, patientRef: p.ref, patientName: p.name });
      } catch (e) { log(s.doctor.name, `book failed: ${e.message}`); continue; }
      const entry = { token: r.token, label: r.label, who: `${s.doctor.name}` };
      tokens.push(entry);
      const slotStart = s.start + slot * HOUR;
      const x = rand();
      let arrive;
      let kind;
      if (x < 0.08) continue;  // no-show: never comes
      else if (x < 0.40) { arrive = slotStart - between(30, 75) * MIN; kind = 'early'; }
      else if (x < 0.88) { arrive = slotStart + between(-15, 40) * MIN; kind = 'on time'; }
      else { arrive = slotStart + HOUR + between(5, 40) * MIN; kind = 'late'; }
      arrive = Math.max(arrive, s.start - HOUR + 2 * MIN);
      if (arrive < vnow()) arrive = vnow() + between(1, 15) * MIN;
      if (arrive >= s.end - 10 * MIN) continue;
      entry.arrives = `${kind}, ${local(arrive)}`;
      const label = r.label;
      arrivals.push(() => at(arrive, async () => {
        // At the kiosk, with the number on the booking and the doctor chosen on screen.
        const c = await api('POST', `/v1/sessions/${encodeURIComponent(s.spec.sessionId)}/check-in`, { label }, KIOSK);
        const ev = c.events?.find((e) => e.checkedIn)?.checkedIn;
        const placement = String(ev?.placement || '').toLowerCase().replace('placement_', '');
        log(s.doctor.name, `${label} checks in (${kind})${placement === 'demoted' ? ' -> demoted to the end' : placement === 'made_next' ? ' -> made next' : ''}`);
      }));
    }
  }
  return arrivals;
}

function scheduleWalkIns(s, tokens) {
  // Most walk-ins in the first hour of registration (the morning rush).
  let t = Math.max(s.start - HOUR, vnow()) + between(2, 8) * MIN;
  while (t < s.end - 45 * MIN) {
    const rush = t < s.start + 30 * MIN;
    const when = t;
    at(when, async () => {
      const p = person();
      try {
        const r = await api('POST', `/v1/sessions/${s.spec.sessionId}/walk-ins`, { patientRef: p.ref, patientName: p.name });
        tokens.push({ token: r.token, label: r.label, who: `${s.doctor.name} walk-in` });
        log(s.doctor.name, `walk-in ${r.label} registered (${p.name})`);
      } catch (e) {
        if (e.code !== 'no_capacity') throw e;
        log(s.doctor.name, 'walk-in turned away: no capacity left');
      }
    });
    t += between(rush ? 7 : 14, rush ? 16 : 32) * MIN;
  }
}

function scheduleNurse(s) {
  const d = s.doctor;
  const sid = s.spec.sessionId;
  let paused = false;
  let idle = false;
  if (d.pauseAt) {
    at(s.start + d.pauseAt, async () => { await api('POST', `/v1/sessions/${sid}/pause`); paused = true; log(d.name, 'pauses (called to a ward)'); });
    at(s.start + d.pauseAt + d.pauseFor, async () => { await api('POST', `/v1/sessions/${sid}/resume`); paused = false; log(d.name, 'resumes'); });
  }
  const callNext = async () => {
    if (vnow() > s.end + 20 * MIN) return;
    if (paused) { later(2 * MIN, callNext); return; }
    let r;
    try {
      r = await api('POST', `/v1/sessions/${sid}/call-next`);
    } catch (e) {
      if (e.code === 'session_paused') { later(2 * MIN, callNext); return; }
      if (e.code === 'session_closed') { log(d.name, 'session closed'); return; }
      throw e;
    }
    const called = r.events?.find((e) => e.ticketCalled)?.ticketCalled;
    if (!called) {
      if (!idle) log(d.name, 'nobody waiting');
      idle = true;
      later(3 * MIN, callNext);
      return;
    }
    idle = false;
    log(d.name, `calls ${called.label}`);
    const tid = called.ticketId;
    const x = rand();
    if (x < 0.10) {
      // Not at the door: recall once, then mark missed; the patient comes back later.
      later(1.5 * MIN, async () => {
        await api('POST', `/v1/tickets/${encodeURIComponent(tid)}/recall`);
        log(d.name, `recalls ${called.label}`);
        later(1.5 * MIN, async () => {
          await api('POST', `/v1/tickets/${encodeURIComponent(tid)}/missed`);
          log(d.name, `${called.label} missed`);
          const back = rand() < 0.7 ? between(5, 20) : between(70, 120);
          if (vnow() + back * MIN >= s.end) { later(0.5 * MIN, callNext); return; }
          later(back * MIN, async () => {
            try {
              const rr = await api('POST', `/v1/tickets/${encodeURIComponent(tid)}/return`);
              const ev = rr.events?.find((e) => e.ticketReturned)?.ticketReturned;
              const placement = String(ev?.placement || '').toLowerCase().replace('placement_', '');
              log(d.name, `${called.label} returns${placement === 'made_next' ? ' -> next' : placement === 'demoted' ? ' -> demoted' : ''}`);
            } catch (e) { log(d.name, `${called.label} could not return: ${e.code}`); }
          });
          later(0.5 * MIN, callNext);
        });
      });
      return;
    }
    later(between(d.consult[0], d.consult[1]) * MIN, callNext);
  };
  at(s.start + d.lateStart * MIN, callNext);
}

// ---- main ------------------------------------------------------------------------

async function main() {
  // Until the first command answers, guess the server's clock: --clock-start
  // (the server's, when it just started) or the real time.
  const guess = args['clock-start'] ? Date.parse(args['clock-start']) : Date.now();
  anchor = { virtual: guess, real: Date.now() };
  for (let round = 0; ; round++) {
    await playMorning(round);
    if (!args.loop) break;
    rand = mulberry32(Number(args.seed || 20261123) + round + 1);
  }
}
main().catch((e) => { console.error(`demo: ${e.message}`); process.exit(1); });
