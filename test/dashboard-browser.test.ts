// The dashboard page in a real browser (Chromium through playwright-core)
// against a real stack: it lists the services, follows a change made from
// outside without a reload, restarts from a button, shows a line a service
// printed, a request through the proxy, a confirmed replay — and no console
// errors. Each view is saved under test/screenshots/.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { Browser, Page } from 'playwright-core';
import type { Snapshot } from '../src/dashboard/types.js';
import { REPO, Rig, waitFor } from './rig.js';

const CHROMIUM = process.env.DEVPORT_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.join(REPO, 'test', 'screenshots');
/** The page must show a change this soon after it happened. */
const WITHIN_MS = 1000;
const ajv = new Ajv2020({ strict: true, allErrors: true });
formats.default(ajv);
const validHar = ajv.compile(JSON.parse(readFileSync(path.join(REPO, 'test', 'fixtures', 'har-1.2.schema.json'), 'utf8')) as object);

const API = `
const http = require('http');
http.createServer((q, s) => {
  const u = new URL(q.url, 'http://x');
  if (u.pathname === '/say') console.log('said: \\u001b[35m' + u.searchParams.get('m') + '\\u001b[0m');
  let body = '';
  q.on('data', (d) => (body += d));
  q.on('end', () => s.end('api ' + q.method + ' ' + body));
}).listen(process.env.PORT, '127.0.0.1');
`;

let rig: Rig;
let browser: Browser | undefined;
let page: Page;
let url = '';
let bearer = '';
let origin = '';
const errors: string[] = [];

async function state(): Promise<Snapshot> {
  const res = await fetch(`${origin}/api/state`, { headers: { authorization: `Bearer ${bearer}` } });
  return (await res.json()) as Snapshot;
}

const nodeOf = async (key: string) => {
  const n = (await state()).nodes.find((x) => x.key === key);
  assert.ok(n, `${key} in /api/state`);
  return n;
};

describe('dashboard page', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, () => {
  before(async () => {
    rig = new Rig('devport-dashboard-page-');
    rig.write('p/api.js', API);
    rig.write(
      'p/devport.toml',
      `dashboard = true
[[service]]
name = "api"
command = ["node", "api.js"]
  [service.health]
  interval = "50ms"

[[service]]
type = "proxy"
name = "web"
  [[service.routes]]
  path = "/"
  type = "http"
  url = "http://127.0.0.1:\${API_PORT}"
`,
    );
    const r = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: rig.path('p'), timeoutMs: 60_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
    url = (await rig.run(['dashboard', '--url'], { cwd: rig.path('p') })).stdout.trim();
    const u = new URL(url);
    origin = u.origin;
    bearer = u.searchParams.get('token') ?? '';
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await rig.run(['down'], { cwd: rig.path('p') });
    const left = await rig.cleanup();
    assert.deepEqual(left, [], 'processes left behind');
  });

  test('lists every service of the stack, the token leaves the address bar', async () => {
    await page.goto(url);
    for (const key of ['api', 'web', '_dashboard']) await page.waitForSelector(`tr[data-key="${key}"] [data-state="healthy"]`, { timeout: 5000 });
    assert.equal(new URL(page.url()).searchParams.get('token'), null);
    assert.equal(await page.locator('tbody tr[data-key]').count(), 3);
    await page.screenshot({ path: path.join(SHOTS, 'resources.png') });
  });

  test('a child killed from outside: its new state shows within 1 s, without a reload', async () => {
    const before = await nodeOf('api');
    assert.ok(before.pid);
    const t0 = Date.now();
    process.kill(before.pid, 'SIGKILL');
    // Gone from healthy, or already back with another child: either is the page following it.
    const row = page.locator('tr[data-key="api"]');
    await waitFor('the page to show the kill', async () => (await row.getAttribute('data-state')) !== 'healthy' || (await row.locator('[data-field=pid]').textContent()) !== String(before.pid), WITHIN_MS, 10);
    assert.ok(Date.now() - t0 <= WITHIN_MS + 100, `shown after ${Date.now() - t0} ms`);
    await page.waitForSelector('tr[data-key="api"][data-state="healthy"]', { timeout: 10_000 });
  });

  test('the Restart button bumps the generation', async () => {
    await page.waitForSelector('tr[data-key="api"][data-state="healthy"]');
    const gen = Number(await page.textContent('tr[data-key="api"] [data-field=generation]'));
    await page.click('tr[data-key="api"] button[data-action=restart]');
    await waitFor('the next generation on the page', async () => (await page.textContent('tr[data-key="api"] [data-field=generation]')) === String(gen + 1), 10_000, 10);
    await page.waitForSelector('tr[data-key="api"][data-state="healthy"]', { timeout: 10_000 });
    assert.equal((await nodeOf('api')).generation, gen + 1);
  });

  test('logs: a line the service printed shows within 1 s, colours rendered; keys switch views', async () => {
    await page.keyboard.press('2');
    await page.waitForSelector('#view-logs:not([hidden]) .line');
    const api = await nodeOf('api');
    const marker = randomUUID();
    const t0 = Date.now();
    await fetch(`${api.url}/say?m=${marker}`);
    const line = page.locator('.line', { hasText: marker });
    await line.waitFor({ timeout: WITHIN_MS });
    assert.ok(Date.now() - t0 <= WITHIN_MS + 100, `shown after ${Date.now() - t0} ms`);
    assert.equal(await line.locator('span.fg-c5').textContent(), marker, 'the ANSI colour became a span, the escape is gone');
    await page.fill('#view-logs input[type=search]', marker);
    assert.equal(await page.locator('#view-logs .line:visible').count(), 1, 'the filter leaves the one line');
    await page.fill('#view-logs input[type=search]', '');
    await page.keyboard.press('Escape');
    await page.screenshot({ path: path.join(SHOTS, 'logs.png') });
  });

  test('requests: one through the proxy shows within 1 s; a replayed POST, once confirmed, shows its response', async () => {
    await page.keyboard.press('3');
    await page.waitForSelector('#view-requests:not([hidden])');
    const web = await nodeOf('web');
    const marker = randomUUID();
    const t0 = Date.now();
    const res = await fetch(`${web.url}/orders?m=${marker}`, { method: 'POST', body: `order ${marker}` });
    assert.equal(await res.text(), `api POST order ${marker}`);
    const row = page.locator('table.requests tr', { hasText: marker });
    await row.waitFor({ timeout: WITHIN_MS });
    assert.ok(Date.now() - t0 <= WITHIN_MS + 100, `shown after ${Date.now() - t0} ms`);
    await row.click();
    await page.waitForSelector('form.replay');
    await page.fill('form.replay textarea[name=body]', `again ${marker}`);
    await page.click('form.replay button[type=submit]');
    // A POST may change data: the page asks first.
    const dialog = page.locator('dialog.confirm');
    await dialog.waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'requests-confirm.png') });
    await dialog.locator('button[value=yes]').click();
    await page.waitForSelector(`[data-field=replay-body]:has-text("api POST again ${marker}")`, { timeout: 5000 });
    assert.match((await page.textContent('[data-field=replay-status]')) ?? '', /→ 200/);
    await page.screenshot({ path: path.join(SHOTS, 'requests.png') });
    // The HAR export of what was captured, secrets redacted.
    const har = (await page.evaluate(async () => (await fetch('/api/requests.har')).json())) as { log: { entries: { request: { url: string }; timings: { wait: number; receive: number } }[] } };
    assert.ok(validHar(har), JSON.stringify(validHar.errors));
    // DevTools' HAR import needs each entry's timings: the replayed POST has real ones.
    const replayed = har.log.entries.filter((e) => e.request.url.includes(marker));
    assert.ok(replayed.length >= 2, 'the POST and its replay');
    for (const e of replayed) assert.ok(e.timings.wait >= 0 && e.timings.receive >= 0, JSON.stringify(e.timings));
  });

  test('narrow screens: no horizontal scrolling; no console errors anywhere', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.keyboard.press('1');
    await page.waitForSelector('#view-resources:not([hidden])');
    // (Page functions name the DOM through a cast: this file is type-checked without the DOM library.)
    const [scroll, inner] = await page.evaluate(() => {
      const w = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return [w.document.documentElement.scrollWidth, w.innerWidth] as const;
    });
    assert.ok(scroll <= inner, `page is ${scroll} px wide in a ${inner} px window`);
    await page.screenshot({ path: path.join(SHOTS, 'resources-narrow.png') });
    assert.deepEqual(errors, []);
  });
});
