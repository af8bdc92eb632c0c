// A real queuecastd for the browser tests: a free port on 127.0.0.1, a temp
// data directory, keys from a generated configuration, a virtual clock.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile, rm, mkdir } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const KEYS = {
  admin: 'e2e-admin-key-0123456789',
  nurse: 'e2e-nurse-key-0123456789',
  kiosk: 'e2e-kiosk-key-0123456789',
  display: 'e2e-display-token-0123456789',
};
export const AREA = 'e2e-2f';

const sha = (s) => createHash('sha256').update(s).digest('hex');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// A started server as ctest runs the browser tests: the binary QC_BIN, the
// pages from QC_WEB_ROOT (default: this checkout's web/), its log in logDir.
export async function startServer({ logDir, clockStart }) {
  const webRoot = process.env.QC_WEB_ROOT || path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../web');
  const server = new Server({ bin: process.env.QC_BIN, webRoot, logDir, clockStart });
  await server.init();
  await server.start();
  return server;
}

export class Server {
  constructor({ bin, webRoot, logDir, clockStart }) {
    this.bin = bin;
    this.webRoot = webRoot;
    this.logDir = logDir;
    this.clockStartMs = Date.parse(clockStart);
    this.proc = null;
  }

  async init() {
    this.dir = await mkdtemp(path.join(tmpdir(), 'qc-e2e-'));
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    this.config = path.join(this.dir, 'queuecast.json');
    await writeFile(this.config, JSON.stringify({
      staff: [
        { id: 'admin1', role: 'admin', key_sha256: sha(KEYS.admin) },
        { id: 'nurse1', role: 'nurse', key_sha256: sha(KEYS.nurse) },
      ],
      kiosks: [{ id: 'kiosk1', key_sha256: sha(KEYS.kiosk) }],
      displays: [{ area: AREA, token_sha256: sha(KEYS.display) }],
    }, null, 2));
    if (this.logDir) await mkdir(this.logDir, { recursive: true });
    this.startedReal = null;
  }

  // The server's virtual time now (speed 1): clockStart + real time elapsed
  // since the first start; a restart continues from there.
  virtualNow() {
    return this.clockStartMs + (this.startedReal === null ? 0 : Date.now() - this.startedReal);
  }

  async start() {
    const clock = new Date(this.virtualNow()).toISOString();
    if (this.startedReal === null) this.startedReal = Date.now();
    const args = ['--config', this.config, '--listen', `127.0.0.1:${this.port}`, '--data-dir', path.join(this.dir, 'data'),
      '--web-root', this.webRoot, '--clock-start', clock, '--clock-speed', '1', '--log-level', 'info'];
    this.proc = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.logDir) {
      const log = createWriteStream(path.join(this.logDir, 'queuecastd.log'), { flags: 'a' });
      log.write(`\n--- start ${new Date().toISOString()} ${args.join(' ')}\n`);
      this.proc.stdout.pipe(log, { end: false });
      this.proc.stderr.pipe(log, { end: false });
    } else {
      this.proc.stdout.resume();
      this.proc.stderr.resume();
    }
    const exited = new Promise((resolve) => this.proc.once('exit', (code, sig) => resolve(`exited ${code ?? sig}`)));
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      const r = await Promise.race([exited, fetch(`${this.url}/readyz`).then((x) => x.status).catch(() => 0)]);
      if (typeof r === 'string') throw new Error(`queuecastd ${r} before it was ready (see queuecastd.log)`);
      if (r === 200) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('queuecastd not ready within 15 s');
  }

  async kill() {
    if (!this.proc) return;
    const p = this.proc;
    this.proc = null;
    const gone = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGKILL');
    await gone;
  }

  async stop() {
    if (!this.proc) return;
    const p = this.proc;
    this.proc = null;
    const gone = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }

  async cleanup() {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  // JSON API call with a credential; throws on a non-2xx answer.
  async api(method, p, body, key = KEYS.nurse) {
    const res = await fetch(`${this.url}${p}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p} -> ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  }
}
