// Screenshots of the pages against fixture data, without a server: the page
// files come from web, /v1 HTTP and the /v1/ws push are answered
// from fixtures.mjs. For page development: node tests/e2e/preview/preview.mjs OUTDIR
import { chromium } from '../node_modules/playwright-core/index.mjs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { routeFake, ORIGIN } from '../lib/fake.mjs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as fx from './fixtures.mjs';

const out = process.argv[2] || '/tmp/qc-preview';
const only = process.argv[3];
await mkdir(out, { recursive: true });

const udd = await mkdtemp(path.join(tmpdir(), 'qc-preview-'));
const ctx = await chromium.launchPersistentContext(udd, {
  executablePath: '/usr/bin/chromium', headless: true, timezoneId: 'Asia/Shanghai',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
await routeFake(ctx, {
  http: fx.http,
  ws: (ws) => {
    ws.onMessage((m) => {
      const msg = JSON.parse(m);
      if (msg.ping) ws.send(JSON.stringify({ pong: { at: fx.NOW } }));
      if (msg.subscribe) {
        const v = fx.viewFor(msg.subscribe);
        if (v) ws.send(JSON.stringify({ view: { ...v, version: '7', sentAt: fx.NOW } }));
      }
    });
  },
});

async function shot(name, url, size, prep, act) {
  if (only && only !== name) return;
  const page = await ctx.newPage();
  page.on('console', (m) => console.log(`[${name}] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.log(`[${name}] pageerror: ${e.message}`));
  page.on('requestfailed', (r) => console.log(`[${name}] failed: ${r.url()}`));
  await page.setViewportSize(size);
  if (prep) await page.addInitScript(prep);
  await page.goto(`${ORIGIN}${url}`);
  await page.waitForTimeout(700);
  if (act) await act(page);
  await page.screenshot({ path: path.join(out, `${name}.png`) });
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  console.log(`${name}: scrollWidth ${sw} (viewport ${size.width})`);
  await page.close();
}

const login = () => sessionStorage.setItem('qc.staffKey', 'nurse-key');
await shot('display', '/display/neuro-2f?token=d', { width: 1280, height: 720 });
await shot('display-en', '/display/neuro-2f?token=d&lang=en', { width: 1280, height: 720 });
for (const k of Object.keys(fx.PATIENTS)) await shot(`ticket-${k}`, `/t/${k}`, { width: 360, height: 640 });
await shot('ticket-en', '/t/waiting?lang=en', { width: 360, height: 640 });
await shot('console', '/console', { width: 1280, height: 800 }, login);
await shot('console-login', '/console', { width: 1280, height: 800 });
await shot('kiosk', '/kiosk?key=k', { width: 1024, height: 768 });
await shot('kiosk-ticket', '/kiosk?key=k', { width: 1024, height: 768 }, null, async (page) => {
  await page.click('#tabWalkin');
  await page.fill('#wRef', 'P20');
  await page.fill('#wName', '郑十');
  await page.press('#wName', 'Enter');
  await page.waitForSelector('[data-testid=ticket-label]');
});
await shot('manager', '/manager', { width: 1280, height: 720 }, login);
await ctx.close();
await rm(udd, { recursive: true, force: true });
