// ctest entry of the browser tests (label e2e). Exit 77 = skipped, only when
// Debian's Chromium or tests/e2e/node_modules/playwright-core is missing;
// anything else missing (the server binary) is a failure.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const chromium = process.env.QC_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.log(`SKIP: ${chromium} not found (scripts/setup installs it)`);
  process.exit(77);
}
if (!existsSync(path.join(here, 'node_modules', 'playwright-core', 'package.json'))) {
  console.log('SKIP: tests/e2e/node_modules/playwright-core missing (scripts/setup runs npm ci there)');
  process.exit(77);
}
if (!process.env.QC_BIN || !existsSync(process.env.QC_BIN)) {
  console.error(`FAIL: the server binary QC_BIN=${process.env.QC_BIN || '(unset)'} does not exist`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec',
  path.join(here, 'display.test.mjs'), path.join(here, 'pages.test.mjs'), path.join(here, 'flow.test.mjs')], { stdio: 'inherit', env: process.env });
process.exit(r.status ?? 1);
