// Screenshots for the README and docs/pages.md (docs/screenshots/): the
// display, a patient page, a kiosk ticket (one more walk-in) and the manager
// view of a running demo (web/demo/demo.mjs --tokens-file F).
//   node tests/e2e/screenshots.mjs --url http://127.0.0.1:8080 --tokens F --out docs/screenshots
import { chromium } from './node_modules/playwright-core/index.mjs';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1] : d; };
const url = arg('url', 'http://127.0.0.1:8080');
const out = arg('out', 'docs/screenshots');
const area = arg('area', 'demo-2f');
const displayToken = arg('display-token', 'demo-display');
const kioskKey = arg('kiosk-key', 'demo-kiosk');
const staffKey = arg('staff-key', 'demo-admin');
const tokens = JSON.parse(readFileSync(arg('tokens'), 'utf8'));
await mkdir(out, { recursive: true });

// A patient who is waiting with a few people ahead reads best.
let pick = null;
for (const t of tokens) {
  const r = await fetch(`${url}/v1/me`, { headers: { Authorization: `Bearer ${t.token}` } });
  if (!r.ok) continue;
  const v = await r.json();
  const ahead = Number(v.ahead || 0);
  if (String(v.state).includes('WAITING') && ahead >= 2 && ahead <= 5) { pick = t; break; }
}
if (!pick) throw new Error('no waiting patient with 2-5 ahead yet; try again in a moment');

const udd = await mkdtemp(path.join(tmpdir(), 'qc-shots-'));
const ctx = await chromium.launchPersistentContext(udd, {
  executablePath: '/usr/bin/chromium', headless: true, timezoneId: 'Asia/Shanghai',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
const d = await ctx.newPage();
await d.setViewportSize({ width: 1280, height: 720 });
await d.goto(`${url}/display/${area}?token=${displayToken}&voice=0`);
await d.waitForFunction(() => window.__qc && window.__qc.views > 0);
await d.waitForTimeout(300);
await d.screenshot({ path: path.join(out, 'display.png') });
const p = await ctx.newPage();
await p.setViewportSize({ width: 360, height: 640 });
await p.goto(`${url}/t/${pick.token}`);
await p.waitForFunction(() => window.__qc && window.__qc.view);
await p.waitForTimeout(300);
await p.screenshot({ path: path.join(out, 'patient.png') });
// The kiosk: the printed ticket of a walk-in, in the first session with walk-in numbers left.
const k = await ctx.newPage();
await k.setViewportSize({ width: 1024, height: 768 });
await k.goto(`${url}/kiosk?key=${kioskKey}`);
await k.click('#tabWalkin');
await k.waitForFunction(() => document.querySelectorAll('#wSession option').length > 0);
const free = await k.$$eval('#wSession option', (os) => os.find((o) => !/ 0$/.test(o.textContent))?.value);
if (free) await k.selectOption('#wSession', free);
await k.fill('#wRef', `shot-${Date.now()}`);
await k.fill('#wName', '张三');
await k.press('#wName', 'Enter');
await k.waitForFunction(() => { const i = document.querySelector('.t-qr'); return i && i.complete && i.naturalWidth > 0; });
await k.screenshot({ path: path.join(out, 'kiosk.png') });
// The manager view with the planning chart.
const m = await ctx.newPage();
await m.setViewportSize({ width: 1280, height: 800 });
await m.addInitScript((key) => sessionStorage.setItem('qc.staffKey', key), staffKey);
await m.goto(`${url}/manager`);
await m.waitForSelector('tr[data-session]');
await m.waitForFunction(() => { const i = document.getElementById('planChart'); return i && i.complete && i.naturalWidth > 0; });
await m.screenshot({ path: path.join(out, 'manager.png'), fullPage: true });
await ctx.close();
await rm(udd, { recursive: true, force: true });
console.log(`wrote ${out}/display.png, patient.png (patient ${pick.label}, ${pick.who}), kiosk.png and manager.png`);
