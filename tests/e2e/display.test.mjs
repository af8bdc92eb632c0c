// The display's announcement queue and connection watchdog, against a mock
// push server (no queuecastd needed): the first view is silent; calls queue
// up, each `repeat` times, and never overlap; a label called again after a
// miss, and a recall (call counter), announce again; a silent link (no pong)
// raises the "not live" banner within 5 s, and the page resubscribes with the
// last version it saw; a ticket called back by an undo (its old called time)
// is not announced again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from './node_modules/playwright-core/index.mjs';
import { routeFake, ORIGIN } from './lib/fake.mjs';

// Each utterance "speaks" for 150 ms; records overlaps.
function stubSpeech() {
  window.__speak = [];
  window.__overlap = 0;
  let speaking = 0;
  const fake = {
    speak(u) {
      speaking++;
      if (speaking > 1) window.__overlap++;
      window.__speak.push({ text: u.text, at: performance.now() });
      setTimeout(() => { speaking--; u.onend && u.onend(new Event('end')); }, 150);
    },
    cancel() { window.__cancelled = true; }, getVoices() { return []; }, speaking: false, pending: false,
  };
  Object.defineProperty(window, 'speechSynthesis', { value: fake, configurable: true });
}

const room = (label, extra = {}) => ({
  area: 'a', version: String(extra.version || 1),
  rooms: [{ sessionId: 's1', room: '3', doctorName: 'D', version: String(extra.version || 1),
    ...(label ? { called: { label } } : {}), next: extra.next || [], missed: extra.missed || [],
    ...(extra.callSeq !== undefined ? { callSeq: String(extra.callSeq) } : {}),
    ...(extra.calledAt ? { calledAt: extra.calledAt } : {}) }],
});

describe('display announcements and connection watchdog (mock push)', () => {
  let ctx;
  let udd;
  let socket = null;          // the page's current mock socket
  let answerPings = true;
  const subscribes = [];
  const boardSubscribes = [];
  let boardSocket = null;

  before(async () => {
    udd = await mkdtemp(path.join(tmpdir(), 'qc-e2e-display-'));
    ctx = await chromium.launchPersistentContext(udd, {
      executablePath: process.env.QC_CHROMIUM || '/usr/bin/chromium', headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    await routeFake(ctx, {
      http: () => ({ status: 503, body: { error: { code: 'unavailable', message: 'mock' } } }),
      ws: (ws) => {
        ws.onMessage((m) => {
          const msg = JSON.parse(m);
          if (msg.ping && answerPings) ws.send(JSON.stringify({ pong: { at: new Date().toISOString() } }));
          if (msg.subscribe && msg.subscribe.board) { boardSocket = ws; boardSubscribes.push(msg.subscribe); }  // followed for recalls
          if (msg.subscribe && msg.subscribe.display) {
            socket = ws;
            subscribes.push(msg.subscribe);
            if (subscribes.length === 1) push(room('', { version: 1 }), 1);
          }
        });
      },
    });
  });
  after(async () => {
    if (ctx) await ctx.close();
    if (udd) await rm(udd, { recursive: true, force: true });
  });
  const push = (display, version) => socket.send(JSON.stringify({ view: { display, version: String(version), sentAt: new Date().toISOString() } }));

  let page;
  it('queues every call `repeat` times, one utterance at a time; the first view is silent', async () => {
    page = await ctx.newPage();
    await page.addInitScript(stubSpeech);
    await page.goto(`${ORIGIN}/display/a?token=t&repeat=2`);
    await page.waitForFunction(() => window.__qc && window.__qc.views === 1);
    assert.deepEqual(subscribes[0], { display: { area: 'a', token: 't' }, lastVersion: '0' });
    push(room('A001', { version: 2 }), 2);
    push(room('A002', { version: 3 }), 3);  // called again before the first finished
    await page.waitForFunction(() => window.__speak.length === 4, null, { timeout: 10000 });
    const spoken = await page.evaluate(() => window.__speak);
    assert.deepEqual(spoken.map((s) => s.text.match(/A\d+/)[0]), ['A001', 'A001', 'A002', 'A002']);
    for (let i = 1; i < spoken.length; i++) assert.ok(spoken[i].at - spoken[i - 1].at >= 150, 'utterances overlap in time');
    assert.equal(await page.evaluate(() => window.__overlap), 0);
    assert.equal(await page.evaluate(() => window.__qc.announcements.length), 2);
    assert.equal(await page.evaluate(() => window.__cancelled || false), false);
  });

  it('announces a label called again after a miss, and a recall when the call counter moves', async () => {
    const before = await page.evaluate(() => window.__qc.announcements.length);
    push(room('', { version: 4, missed: [{ label: 'A002' }] }), 4);
    push(room('A002', { version: 5 }), 5);
    await page.waitForFunction((n) => window.__qc.announcements.length === n + 1, before, { timeout: 3000 });
    push(room('A002', { version: 6, callSeq: 7 }), 6);   // first counter seen: a change
    push(room('A002', { version: 7, callSeq: 7 }), 7);   // something else changed: silent
    push(room('A002', { version: 8, callSeq: 8 }), 8);   // recall
    await page.waitForFunction((n) => window.__qc.announcements.length >= n + 3, before, { timeout: 3000 });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__qc.announcements.length), before + 3);
    assert.equal(await page.textContent('[data-testid=called]'), 'A002');
  });

  it('a silent link shows "not live" within 5 s, then resubscribes with the last version', async () => {
    answerPings = false;
    const t0 = Date.now();
    await page.waitForFunction(() => !document.getElementById('banner').classList.contains('hidden'), null, { timeout: 5000 });
    const ms = Date.now() - t0;
    console.log(`banner after a silent link: ${ms} ms`);
    assert.equal(await page.evaluate(() => window.__qc.connection), 'down');
    answerPings = true;
    const n = subscribes.length;
    await page.waitForFunction(() => document.getElementById('banner').classList.contains('hidden'), null, { timeout: 10000 });
    assert.ok(subscribes.length > n);
    assert.equal(subscribes.at(-1).lastVersion, '8');
  });

  it('without a call counter, a recall is taken from the board: one version step, same content', async () => {
    const before = await page.evaluate(() => window.__qc.announcements.length);
    boardSocket = null;                     // (the first test's rooms were followed too)
    push(room('B001', { version: 9 }), 9);  // no callSeq: the page follows the board
    await page.waitForFunction((n) => window.__qc.announcements.length === n + 1, before, { timeout: 3000 });
    const deadline = Date.now() + 3000;
    while (!boardSocket && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(boardSocket, 'the display subscribed to the board');
    assert.deepEqual(boardSubscribes.at(-1).board, { sessionId: 's1' });
    const board = (waiting, version) => boardSocket.send(JSON.stringify({
      view: { board: { sessionId: 's1', calledLabel: 'B001', waiting, version: String(version) }, version: String(version) } }));
    board(['B002'], 20);
    board(['B002'], 21);                 // recall
    await page.waitForFunction((n) => window.__qc.announcements.length === n + 2, before, { timeout: 3000 });
    board(['B002'], 23);                 // two commands conflated: not a recall
    board(['B002', 'B003'], 24);         // the queue changed: not a recall
    await page.waitForTimeout(500);
    assert.equal(await page.evaluate(() => window.__qc.announcements.length), before + 2);
    assert.equal(await page.evaluate(() => window.__qc.recalls), 1);
  });

  it('a ticket called back by an undo (its old called time) is not announced again', async () => {
    const before = await page.evaluate(() => window.__qc.announcements.length);
    const at = (hhmm) => `2026-12-07T${hhmm}:00Z`;
    push(room('W004', { version: 30, calledAt: at('08:00') }), 30);
    push(room('W005', { version: 31, calledAt: at('08:12') }), 31);   // call next by mistake
    await page.waitForFunction((n) => window.__qc.announcements.length === n + 2, before, { timeout: 3000 });
    push(room('W004', { version: 32, calledAt: at('08:00'), next: [{ label: 'W005' }] }), 32);  // undo
    await page.waitForFunction(() => window.__qc.version === 32);
    assert.equal(await page.textContent('[data-testid=called]'), 'W004');
    push(room('', { version: 33 }), 33);                               // complete W004
    push(room('W004', { version: 34, calledAt: at('08:00') }), 34);   // undo of the complete
    await page.waitForFunction(() => window.__qc.version === 34);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__qc.announcements.length), before + 2);
    push(room('W005', { version: 35, calledAt: at('08:14') }), 35);   // the real call
    push(room('W005', { version: 36, calledAt: at('08:15') }), 36);   // missed and called again, conflated
    await page.waitForFunction((n) => window.__qc.announcements.length === n + 4, before, { timeout: 3000 });
    await page.waitForTimeout(300);
    const said = await page.evaluate((n) => window.__qc.announcements.slice(n).map((a) => a.text.match(/W\d+/)[0]), before);
    assert.deepEqual(said, ['W004', 'W005', 'W005', 'W005']);
  });
});
