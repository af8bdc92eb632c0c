// The clinic's real day in Debian's Chromium against a real queuecastd
// (issue 17): a priority set at the console moves the patient on every
// screen (console order, the display's next list, the patient's phone);
// send for tests and return at the kiosk (the phone explains AT_TESTS, then
// the inserted position); two consoles on the two rooms of one session
// calling alternately, the display showing both rooms' cards and naming
// each room in its voice call.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, KEYS, AREA } from './lib/server.mjs';
import { newBrowser, openPage as openIn, stubSpeech } from './lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(process.env.QC_SCREENSHOT_DIR || path.join(here, '../../build/e2e-screenshots'), 'flow');
const S1 = 'e2e-flow-20261123-am';  // one room (3): priority, tests
const S2 = 'e2e-gp-20261123-am';    // two rooms (5, 6) sharing one queue

describe('priority, tests and rooms in a real browser', () => {
  let server;
  let browser;
  let ctx;
  let display;
  let consolePage;
  const tickets = { [S1]: {}, [S2]: {} };  // session -> label -> {ticketId, token}

  const session = (id, extra) => ({
    sessionId: id, doctorId: `d-${id}`, doctorName: '李医生', department: 'neuro', room: '3', area: AREA,
    start: '2026-11-23T00:00:00Z', end: '2026-11-23T04:00:00Z', registrationOpen: '2026-11-22T23:00:00Z',
    walkinConversionTime: '2026-11-23T03:00:00Z', slotMinutes: 60, appointmentQuota: [4, 4, 4, 4], walkinQuota: [8, 8, 8, 8],
    ...extra,
  });

  before(async () => {
    server = await startServer({ logDir: shots, clockStart: '2026-11-23T09:00:00+08:00' });
    await server.api('POST', '/v1/sessions', session(S1, {}), KEYS.admin);
    await server.api('POST', '/v1/sessions', session(S2, { doctorName: '普通门诊', room: '5', rooms: ['5', '6'] }), KEYS.admin);
    const names = ['王五', '赵六', '孙七', '周八', '吴九', '郑十'];
    for (const sid of [S1, S2]) {
      for (const [i, name] of names.entries()) {
        const r = await server.api('POST', `/v1/sessions/${sid}/walk-ins`, { patientRef: `${sid}-P${i + 1}`, patientName: name });
        tickets[sid][r.label] = { ticketId: r.ticketId, token: r.token };
      }
    }
    // waitForFunction evaluates strings in the page, which the pages' CSP
    // refuses: bypassed here (pages.test.mjs checks the pages under it).
    browser = await newBrowser('qc-e2e-flow-', { bypassCSP: true });
    ctx = browser.ctx;
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.cleanup();
  });

  const openPage = (url, size, init) => openIn(ctx, server.url, url, size, init);
  const openConsole = async (url, sid) => {
    const page = await openPage(url, { width: 1280, height: 800 },
      { fn: ([k, s]) => { sessionStorage.setItem('qc.staffKey', k); sessionStorage.setItem('qc.session', s); }, arg: [KEYS.nurse, sid] });
    await page.waitForFunction(() => window.__qc.connection === 'live');
    return page;
  };
  // A second call within 3 s asks first: these tests are not about that.
  const confirmIfAsked = async (page) => {
    if (await page.waitForSelector('#confirmCall[open]', { timeout: 600 }).catch(() => null)) await page.click('#confirmYes');
  };
  // (a page in the background may never paint: bring it to the front first)
  const shot = async (page, name) => { await page.bringToFront(); await page.screenshot({ path: path.join(shots, name) }); };
  const card = (sid, room) => `section.d-room[data-session="${sid}"][data-room="${room}"]`;
  // The labels of a display card's next list, in order.
  const nextOnDisplay = (sid, room) => display.evaluate((sel) =>
    [...document.querySelectorAll(`${sel} [data-testid=next] .d-item`)].map((e) => e.firstChild.textContent), card(sid, room));
  const calledOn = (sid, room) => display.evaluate((sel) =>
    document.querySelector(`${sel} [data-testid=called]`)?.textContent || '', card(sid, room));
  const waitNext = (sid, room, want) => display.waitForFunction(([sel, w]) =>
    [...document.querySelectorAll(`${sel} [data-testid=next] .d-item`)].map((e) => e.firstChild.textContent).slice(0, w.length).join(' ') === w.join(' '),
  [card(sid, room), want], { timeout: 3000 }).catch(async () => assert.deepEqual(await nextOnDisplay(sid, room), want));
  const staff = async (sid) => (await server.api('GET', `/v1/sessions/${sid}`, null, KEYS.nurse)).tickets;
  const position = (page, label) => page.textContent(`tr[data-label="${label}"] td:first-child`);

  it('a priority set at the console moves the patient on the console, the display and their phone', async () => {
    display = await openPage(`/display/${AREA}?token=${KEYS.display}&repeat=1`, { width: 1280, height: 720 }, { fn: stubSpeech });
    await display.waitForFunction(() => window.__qc && window.__qc.connection === 'live' && window.__qc.views > 0);
    consolePage = await openConsole(`/console?session=${S1}`, S1);
    await consolePage.waitForSelector('tr[data-label="W006"]');
    // One room: no room selector.
    assert.equal(await consolePage.isVisible('#room'), false);
    await consolePage.locator('#nowLabel').click();
    await consolePage.keyboard.press('n');  // W001 in the room
    await consolePage.waitForFunction(() => /已叫号 W001/.test(document.getElementById('result').textContent));
    await waitNext(S1, '3', ['W002', 'W003', 'W004', 'W005', 'W006']);

    const phone = await openPage(`/t/${tickets[S1].W005.token}`, { width: 360, height: 640 });
    await phone.waitForFunction(() => window.__qc.view && window.__qc.view.state === 'waiting' && window.__qc.view.ahead === 3);
    assert.equal(await phone.isVisible('[data-testid=priority]'), false);

    // Y on W005, then 1: the first reason (elderly).
    await consolePage.click('tr[data-label="W005"]');
    await consolePage.keyboard.press('y');
    await consolePage.waitForSelector('#priorityDlg[open]');
    assert.match(await consolePage.textContent('#priorityReasons'), /1 老年人.*2 军人.*3 残疾人.*4 孕妇/s);
    await consolePage.keyboard.press('1');
    await consolePage.waitForFunction(() => !document.getElementById('priorityDlg').open);
    await consolePage.waitForFunction(() => /W005 优先：老年人/.test(document.getElementById('result').textContent), null, { timeout: 3000 });
    // Inserted after priority_after = 1: W002, W005, W003, ...
    await consolePage.waitForFunction(() => document.querySelector('tr[data-label="W005"] td').textContent === '2', null, { timeout: 3000 });
    assert.equal(await position(consolePage, 'W002'), '1');
    assert.equal(await position(consolePage, 'W003'), '3');
    assert.equal(await consolePage.textContent('tr[data-label="W005"] [data-testid=priority]'), '优先·老年人');
    assert.equal(await consolePage.textContent('tr[data-label="W005"] .tag.inserted'), '插入');
    assert.equal(await consolePage.textContent('tr[data-label="W003"] [data-testid=overtaken]'), '被插队 1 次');
    assert.match(await consolePage.textContent('#result'), /W005 插入到 W002 之后/);
    await waitNext(S1, '3', ['W002', 'W005', 'W003', 'W004', 'W006']);
    // The phone: one ahead, 优先 on its own ticket, where it stands.
    await phone.waitForFunction(() => window.__qc.view.ahead === 1, null, { timeout: 3000 });
    assert.equal(await phone.textContent('[data-testid=priority]'), '优先');
    assert.match(await phone.textContent('#notices'), /优先就诊：排在第 2 位/);
    // The display says nothing about why W005 moved.
    const shown = await display.evaluate(() => document.body.textContent);
    assert.ok(!/优先|老年|elderly|插入/.test(shown), shown);
    assert.ok(!/elderly|priority/.test(JSON.stringify(await display.evaluate(() => window.__qc.view))));
    // Another patient's phone does not say it either.
    const other = await openPage(`/t/${tickets[S1].W003.token}`, { width: 360, height: 640 });
    await other.waitForFunction(() => window.__qc.view && window.__qc.view.ahead === 2, null, { timeout: 3000 });
    assert.equal(await other.isVisible('[data-testid=priority]'), false);
    await other.close();
    await shot(consolePage, 'console-priority.png');
    await shot(phone, 'ticket-priority.png');
    await phone.close();
  });

  it('send for tests: the phone explains AT_TESTS; back at the kiosk, it shows the inserted position', async () => {
    const phone = await openPage(`/t/${tickets[S1].W002.token}`, { width: 360, height: 640 });
    await phone.waitForFunction(() => window.__qc.view && window.__qc.view.state === 'waiting');
    await consolePage.locator('#nowLabel').click();
    await consolePage.keyboard.press('n');  // W001 done, W002 in the room
    await confirmIfAsked(consolePage);
    await consolePage.waitForFunction(() => /已叫号 W002/.test(document.getElementById('result').textContent));
    await phone.waitForFunction(() => window.__qc.view.state === 'called', null, { timeout: 3000 });
    assert.match(await phone.textContent('[data-testid=hero]'), /请立即到 3诊室 就诊/);

    await consolePage.keyboard.press('t');  // the doctor sends W002 for tests
    await consolePage.waitForSelector('tr[data-label="W002"][data-state="at_tests"]', { timeout: 3000 });
    assert.match(await consolePage.textContent('#result'), /W002 去检查/);
    assert.equal(await consolePage.textContent('#nowLabel'), '—');  // the room is free
    assert.match(await consolePage.textContent('tr.c-group'), /检查中/);
    await phone.waitForFunction(() => window.__qc.view.state === 'at_tests', null, { timeout: 3000 });
    assert.match(await phone.textContent('[data-testid=hero]'), /检查完成、拿到结果后请回到候诊区，在自助机或护士站报到/);
    assert.equal(await phone.textContent('#state'), '检查中');
    await display.waitForFunction((sel) => !document.querySelector(`${sel} [data-testid=called]`), card(S1, '3'), { timeout: 3000 });
    await shot(phone, 'ticket-at-tests.png');

    await consolePage.keyboard.press('n');  // meanwhile: W005 (priority) in the room
    await confirmIfAsked(consolePage);
    await consolePage.waitForFunction(() => /已叫号 W005/.test(document.getElementById('result').textContent));
    await waitNext(S1, '3', ['W003', 'W004', 'W006']);

    // Back with the results: the patient scans their ticket's QR code at the kiosk.
    const kiosk = await openPage(`/kiosk?key=${KEYS.kiosk}`, { width: 1024, height: 768 });
    await kiosk.click('#tabCheckin');
    await kiosk.fill('#apptNo', `${server.url}/t/${tickets[S1].W002.token}`);
    await kiosk.press('#apptNo', 'Enter');
    await kiosk.waitForSelector('[data-testid=ticket-label]', { timeout: 5000 }).catch(async () => {
      assert.fail(`kiosk: ${await kiosk.textContent('#error')}`);
    });
    assert.equal(await kiosk.textContent('[data-testid=ticket-label]'), 'W002');
    assert.match(await kiosk.textContent('[data-testid=ticket]'), /检查回来，已重新报到/);
    assert.match(await kiosk.textContent('[data-testid=ticket]'), /检查回来后排在第 3 位/);
    await shot(kiosk, 'kiosk-back-from-tests.png');
    await kiosk.close();

    // Inserted after return_after = 2 (not at the end): W003, W004, W002, W006.
    await phone.waitForFunction(() => window.__qc.view.state === 'waiting' && window.__qc.view.ahead === 2, null, { timeout: 3000 });
    assert.match(await phone.textContent('#notices'), /检查回来后排在第 3 位/);
    assert.equal(await phone.textContent('[data-testid=ahead]'), '2人');
    await waitNext(S1, '3', ['W003', 'W004', 'W002', 'W006']);
    await consolePage.waitForSelector('tr[data-label="W002"][data-state="waiting"]', { timeout: 3000 });
    assert.equal(await position(consolePage, 'W002'), '3');
    assert.equal(await consolePage.textContent('tr[data-label="W002"] .tag.inserted'), '插入');
    const w2 = (await staff(S1)).find((x) => x.label === 'W002');
    assert.match(w2.state, /WAITING$/);
    await shot(phone, 'ticket-back-from-tests.png');
    await phone.close();

    // At the nurse station instead: W005 (in the room) sent for tests, back,
    // Enter on its row. Inserted after return_after = 2, and after W002
    // (inserted before it: first inserted, first called).
    await consolePage.locator('#nowLabel').click();
    await consolePage.keyboard.press('t');
    await consolePage.waitForFunction(() => /W005 去检查/.test(document.getElementById('result').textContent));
    await consolePage.waitForSelector('tr[data-label="W005"][data-state="at_tests"]', { timeout: 3000 });
    await consolePage.click('tr[data-label="W005"]');
    await consolePage.keyboard.press('Enter');
    await consolePage.waitForSelector('tr[data-label="W005"][data-state="waiting"]', { timeout: 3000 });
    assert.match(await consolePage.textContent('#result'), /W005 检查回来 \(插入\)/);
    assert.equal(await position(consolePage, 'W005'), '4');
    await waitNext(S1, '3', ['W003', 'W004', 'W002', 'W005', 'W006']);

    // By the number on the ticket at the kiosk (the doctor chosen): W003,
    // called, sent for tests, back after the two inserted before it.
    await consolePage.keyboard.press('n');
    await confirmIfAsked(consolePage);
    // (the console takes one action at a time: wait for its answer)
    await consolePage.waitForFunction(() => /已叫号 W003/.test(document.getElementById('result').textContent));
    await consolePage.keyboard.press('t');
    await consolePage.waitForSelector('tr[data-label="W003"][data-state="at_tests"]', { timeout: 3000 });
    const byNumber = await openPage(`/kiosk?key=${KEYS.kiosk}`, { width: 1024, height: 768 });
    await byNumber.click('#tabCheckin');
    await byNumber.waitForFunction((sid) => [...document.querySelectorAll('#cSession option')].some((o) => o.value === sid), S1);
    await byNumber.selectOption('#cSession', S1);
    await byNumber.fill('#apptNo', 'w003');
    await byNumber.press('#apptNo', 'Enter');
    await byNumber.waitForSelector('[data-testid=ticket-label]', { timeout: 5000 });
    assert.equal(await byNumber.textContent('[data-testid=ticket-label]'), 'W003');
    assert.match(await byNumber.textContent('[data-testid=ticket]'), /检查回来，已重新报到[\s\S]*检查回来后排在第 4 位/);
    await byNumber.close();
    await waitNext(S1, '3', ['W004', 'W002', 'W005', 'W003', 'W006']);
  });

  it('two consoles on the two rooms of one session call alternately; the display shows both rooms', async () => {
    const roomA = await openConsole(`/console?session=${S2}&room=5`, S2);
    const roomB = await openConsole(`/console?session=${S2}&room=6`, S2);
    for (const [page, r] of [[roomA, '5'], [roomB, '6']]) {
      await page.waitForSelector('tr[data-label="W006"]');
      assert.equal(await page.inputValue('#room'), r);
      assert.equal(await page.textContent('#nowRoom'), ` · ${r}诊室`);
    }
    // Both rooms' cards, each with the session's next labels.
    await display.waitForSelector(card(S2, '5'));
    await display.waitForSelector(card(S2, '6'));
    assert.equal(await display.locator(`section.d-room[data-session="${S2}"]`).count(), 2);
    const spoken0 = await display.evaluate(() => window.__speak.length);

    const press = async (page, want, r) => {
      await page.locator('#nowLabel').click();
      await page.keyboard.press('n');
      await confirmIfAsked(page);
      await page.waitForFunction((w) => document.getElementById('nowLabel').textContent === w, want, { timeout: 3000 });
      await display.waitForFunction(([sel, w]) => document.querySelector(`${sel} [data-testid=called]`)?.textContent === w,
        [card(S2, r), want], { timeout: 3000 });
    };
    await press(roomA, 'W001', '5');
    await press(roomB, 'W002', '6');
    assert.equal(await calledOn(S2, '5'), 'W001');  // room 6's call leaves room 5's patient in
    await press(roomA, 'W003', '5');
    assert.equal(await calledOn(S2, '6'), 'W002');
    await roomA.waitForSelector('[data-action="undo"]:not(.hidden)');
    await press(roomB, 'W004', '6');
    assert.equal(await calledOn(S2, '5'), 'W003');
    // The engine's undo is the session's last action, now room 6's: room 5's
    // console no longer offers it, room 6's does.
    await roomA.waitForSelector('[data-action="undo"].hidden', { state: 'attached', timeout: 3000 });
    await roomB.waitForSelector('[data-action="undo"]:not(.hidden)');
    assert.deepEqual(await nextOnDisplay(S2, '5'), ['W005', 'W006']);
    assert.deepEqual(await nextOnDisplay(S2, '6'), ['W005', 'W006']);
    // Each call announced once, naming its room.
    await display.waitForFunction((n) => window.__speak.length >= n + 4, spoken0, { timeout: 8000 });
    const spoken = (await display.evaluate(() => window.__speak)).slice(spoken0);
    assert.deepEqual(spoken, ['请 W001 号 到 5诊室 就诊', '请 W002 号 到 6诊室 就诊', '请 W003 号 到 5诊室 就诊', '请 W004 号 到 6诊室 就诊']);
    // The server agrees: a call from a room completed that room's patient only.
    const st = Object.fromEntries((await staff(S2)).map((x) => [x.label, `${x.state.replace(/^TICKET_STATE_/, '')}${x.room ? `@${x.room}` : ''}`]));
    assert.equal(st.W001.split('@')[0], 'DONE');
    assert.equal(st.W002.split('@')[0], 'DONE');
    assert.equal(st.W003, 'CALLED@5');
    assert.equal(st.W004, 'CALLED@6');
    // Each console shows every room's ticket, its own marked.
    assert.match(await roomA.textContent('[data-testid=rooms]'), /5诊室\s*W003[\s\S]*6诊室\s*W004/);
    assert.equal(await roomA.getAttribute('.c-room.mine', 'data-room'), '5');
    // The called patient's phone names the room.
    const phone = await openPage(`/t/${tickets[S2].W004.token}`, { width: 360, height: 640 });
    await phone.waitForFunction(() => window.__qc.view && window.__qc.view.state === 'called');
    assert.match(await phone.textContent('[data-testid=hero]'), /请立即到 6诊室 就诊/);
    await phone.close();
    await shot(display, 'display-rooms.png');
    await shot(roomA, 'console-room5.png');

    // Pausing room 6 pauses that room only: room 5 calls on.
    await roomB.locator('#nowLabel').click();
    await roomB.keyboard.press('p');
    await roomB.waitForFunction(() => /已暂停接诊/.test(document.getElementById('result').textContent), null, { timeout: 3000 });
    await roomB.keyboard.press('n');
    await confirmIfAsked(roomB);
    await roomB.waitForFunction(() => document.getElementById('result').classList.contains('error'), null, { timeout: 3000 });
    assert.match(await roomB.textContent('#result'), /已暂停接诊/);
    assert.match(await roomB.textContent('[data-testid=rooms]'), /6诊室\s*W004 · 暂停/);
    assert.equal(await roomB.textContent('#nowLabel'), 'W004');
    await display.waitForFunction((sel) => document.querySelector(`${sel} .d-status`)?.textContent === '暂停接诊', card(S2, '6'), { timeout: 3000 });
    assert.equal(await display.locator(`${card(S2, '5')} .d-status`).count(), 0);
    await press(roomA, 'W005', '5');

    // A console of this session without a room chosen calls nobody and says why.
    const unbound = await openConsole(`/console?session=${S2}`, S2);
    await unbound.waitForSelector('tr[data-label="W006"]');
    await unbound.locator('#nowLabel').click();
    await unbound.keyboard.press('n');
    await unbound.waitForFunction(() => /请先选择本工作台的诊室/.test(document.getElementById('result').textContent));
    assert.equal(await unbound.textContent('#nowLabel'), '—');
    // Choosing the room binds it (kept in the URL for a reload).
    await unbound.selectOption('#room', '6');
    await unbound.waitForFunction(() => document.getElementById('nowLabel').textContent === 'W004');
    assert.match(unbound.url(), /room=6/);
    await unbound.close();
    await roomA.close();
    await roomB.close();
  });
});
