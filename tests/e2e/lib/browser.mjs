// What the browser tests against a real queuecastd share: Debian's Chromium
// in the clinic's time zone and language, a page opened at a size with an
// init script, and speech that is counted instead of spoken.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from '../node_modules/playwright-core/index.mjs';

// A persistent context (its own profile in `dir`); `extra` adds options
// (bypassCSP: the tests' waitForFunction evaluates strings in the page).
export const launch = (dir, extra = {}) => chromium.launchPersistentContext(dir, {
  executablePath: process.env.QC_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timezoneId: 'Asia/Shanghai',
  locale: 'zh-CN',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
  ...extra,
});

// launch() in a new temporary profile: {ctx, close()} (close removes it).
export async function newBrowser(prefix, extra = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const ctx = await launch(dir, extra);
  return { ctx, async close() { await ctx.close(); await rm(dir, { recursive: true, force: true }); } };
}

// A new page of `ctx` at `size` ({width, height}) on `base` + `url`;
// init: {fn, arg} runs before the page's scripts. Page errors are logged.
export async function openPage(ctx, base, url, size, init) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log(`pageerror ${url}: ${e.message}`));
  await page.setViewportSize(size);
  if (init) await page.addInitScript(init.fn, init.arg);
  await page.goto(`${base}${url}`);
  return page;
}

// Init script: counts speechSynthesis.speak() calls (window.__speak, the
// texts) instead of speaking.
export function stubSpeech() {
  window.__speak = [];
  const fake = {
    speak(u) { window.__speak.push(u.text); setTimeout(() => u.onend && u.onend(new Event('end')), 20); },
    cancel() {}, pause() {}, resume() {}, getVoices() { return []; }, speaking: false, pending: false, paused: false,
  };
  Object.defineProperty(window, 'speechSynthesis', { value: fake, configurable: true });
}
