// Serve web to a Playwright context at http://qc.test without a
// server: static files from disk, page routes as queuecastd maps them,
// /v1 HTTP from a handler, and /v1/ws from a WebSocket handler (a mock).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB = path.resolve(here, '../../../web');
export const ORIGIN = 'http://qc.test';
const PAGES = { display: 'display.html', t: 'ticket.html', console: 'console.html', kiosk: 'kiosk.html', manager: 'manager.html' };
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml' };

export async function routeFake(ctx, { http = () => ({ status: 404, body: { error: { code: 'not_found', message: '' } } }), ws }) {
  await ctx.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    const p = url.pathname;
    if (p.startsWith('/static/')) {
      const f = path.join(WEB, path.basename(p));
      return route.fulfill({ body: await readFile(f), contentType: TYPES[path.extname(f)] });
    }
    if (p.startsWith('/v1/')) {
      const r = http(route.request().method(), p, url.searchParams);
      return route.fulfill({
        status: r.status || 200, contentType: r.type || 'application/json',
        body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
      });
    }
    const file = PAGES[p.split('/')[1] || ''] || 'index.html';
    return route.fulfill({ body: await readFile(path.join(WEB, file)), contentType: TYPES['.html'] });
  });
  if (ws) await ctx.routeWebSocket(`ws://qc.test/v1/ws`, ws);
}
