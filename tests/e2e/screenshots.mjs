// Screenshots for the README (docs/screenshots/): the display and a patient
// page of a running demo (gateway/demo/demo.mjs --tokens-file F).
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
await ctx.close();
await rm(udd, { recursive: true, force: true });
console.log(`wrote ${out}/display.png and ${out}/patient.png (patient ${pick.label}, ${pick.who})`);
