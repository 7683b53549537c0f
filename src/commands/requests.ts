// `devport requests [--json|--har] [-n N] [--route R] [--status 5xx,404] [--method M] [--proxy P]`:
// the requests the stack's proxies captured (the request inspector), newest
// last. A table for people; --json one object per line (spec/requests.schema.json);
// --har a HAR 1.2 document, secrets redacted unless --secrets.

import path from 'node:path';
import { failure, UserError, type Failure } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import type { CapturedRequest } from '../proxy/capture-types.js';
import { toHar } from '../proxy/har.js';
import { getRequest, listRequests } from '../rpc/requests.js';
import { readJson } from '../state/atomic.js';
import { listServiceDirs, PLAN_FILE } from '../state/dirs.js';
import { isLocked } from '../state/lock.js';
import { stateFileOf } from '../state/read.js';
import { colorEnabled, palette } from '../util/color.js';
import { VERSION } from '../version.js';
import { stateDirOf } from './common.js';
import { renderTable } from './ps.js';

export interface RequestsOptions {
  file?: string;
  json?: boolean;
  har?: boolean;
  secrets?: boolean;
  lines?: string;
  route?: string;
  status?: string;
  method?: string;
  proxy?: string;
}

/** A captured request and the proxy (key) that captured it: a `--json` line. */
export type RequestLine = CapturedRequest & { proxy: string };

const usage = (message: string, hint: string) => new UserError([failure('USAGE', message, { hint })]);

function count(value: string | undefined): number {
  if (value === undefined) return 100;
  if (!/^\d{1,6}$/.test(value) || Number(value) === 0) throw usage(`-n ${value} is not a number of requests`, 'write -n 20');
  return Number(value);
}

/** "5xx,404" → a test on a status. */
export function statusFilter(value: string): (s: number | null) => boolean {
  const tests = value.split(',').map((t) => t.trim().toLowerCase());
  const parts = tests.map((t) => {
    if (/^[1-5]xx$/.test(t)) {
      const c = Number(t[0]);
      return (s: number | null) => s !== null && Math.floor(s / 100) === c;
    }
    if (/^[1-5]\d\d$/.test(t)) return (s: number | null) => s === Number(t);
    throw usage(`--status ${value}: "${t}" is not a status or a class`, 'write --status 5xx, --status 404 or --status 4xx,5xx');
  });
  return (s) => parts.some((p) => p(s));
}

interface Proxy {
  key: string;
  dir: string;
  /** Its routes' names and prefixes, from the running plan. */
  routes: { name: string | null; prefix: string }[];
}

/** The stack's proxies that can be asked: NOT_RUNNING / NO_PROXY / SERVICE_UNKNOWN otherwise. */
function proxiesOf(stateDir: string, only: string | undefined): Proxy[] {
  const keys = listServiceDirs(stateDir);
  if (keys.length === 0) throw new UserError([failure('NOT_RUNNING', 'nothing of this stack is running', { hint: 'start it with `devport up`; its proxies keep the requests they forward' })]);
  const plan = readJson<Plan>(path.join(stateDir, PLAN_FILE));
  const proxies = keys
    .filter((k) => stateFileOf(path.join(stateDir, k))?.state.type === 'proxy')
    .map((key) => {
      const node = plan?.nodes.find((n) => n.key === key);
      return { key, name: node?.name ?? key, dir: path.join(stateDir, key), routes: (node?.proxy?.routes ?? []).map((r) => ({ name: r.name || null, prefix: r.prefix })) };
    });
  if (proxies.length === 0) {
    throw new UserError([failure('NO_PROXY', 'this stack has no proxy: no requests are captured', { hint: 'add a `type = "proxy"` service with routes to devport.toml (see .devport.example.toml) and send requests through it' })]);
  }
  const chosen = only === undefined ? proxies : proxies.filter((p) => p.key === only || p.name === only);
  if (chosen.length === 0) {
    throw new UserError([failure('SERVICE_UNKNOWN', `no proxy "${only}" in this stack`, { hint: `the proxies are: ${proxies.map((p) => p.key).join(', ')}` })]);
  }
  const alive = chosen.filter((p) => isLocked(p.dir));
  if (alive.length === 0) {
    const names = chosen.map((p) => p.key).join(', ');
    throw new UserError([failure('NOT_RUNNING', `the proxy ${names} is not running`, { hint: `start it with \`devport up\` (or \`devport start ${chosen[0]?.key ?? ''}\`)`, service: chosen[0]?.key ?? '' })]);
  }
  return alive;
}

/** --route: a route's name or its prefix ("/api" and "/api/" both). */
function routeFilter(value: string, proxies: readonly Proxy[]): (prefix: string | null) => boolean {
  const trim = (p: string) => p.replace(/\/+$/, '');
  const prefixes = new Set<string>();
  for (const p of proxies) for (const r of p.routes) if (r.name === value || trim(r.prefix) === trim(value)) prefixes.add(r.prefix);
  if (prefixes.size === 0) {
    const known = proxies.flatMap((p) => p.routes.map((r) => (r.name ? `${r.name} (${r.prefix})` : r.prefix)));
    throw usage(`--route ${value}: no route has that name or prefix`, known.length > 0 ? `the routes are: ${known.join(', ')}` : 'the proxy has no routes');
  }
  return (prefix) => prefix !== null && prefixes.has(prefix);
}

async function collect(opts: RequestsOptions): Promise<RequestLine[]> {
  const n = count(opts.lines);
  const byStatus = opts.status === undefined ? undefined : statusFilter(opts.status);
  const method = opts.method?.toUpperCase();
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const proxies = proxiesOf(stateDir, opts.proxy);
  const byRoute = opts.route === undefined ? undefined : routeFilter(opts.route, proxies);
  const filtered = byStatus !== undefined || byRoute !== undefined || method !== undefined;
  const failures: Failure[] = [];
  let lines: RequestLine[] = [];
  let off = 0;
  for (const p of proxies) {
    // Filtering happens here: the whole ring (without bodies) when filtered, else only the newest n.
    const r = await listRequests(p.dir, filtered ? {} : { limit: n });
    if (!r.ok) {
      if (r.why === 'off') off++;
      else failures.push(failure('NOT_RUNNING', `cannot ask the proxy ${p.key} for its requests: ${r.message}`, { hint: 'it may be starting or stopping: `devport ls` shows its state', service: p.key }));
      continue;
    }
    for (const c of r.value.requests) {
      if (byStatus && !byStatus(c.status)) continue;
      if (byRoute && !byRoute(c.route)) continue;
      if (method !== undefined && c.method !== method) continue;
      lines.push({ ...c, proxy: p.key });
    }
  }
  if (failures.length > 0) throw new UserError(failures);
  if (off === proxies.length) {
    throw new UserError([failure('CAPTURE_OFF', `${proxies.map((p) => p.key).join(', ')} keeps no requests (capture = false)`, { hint: 'remove `capture = false` from the proxy in devport.toml (or set capture = 500) and run `devport up`' })]);
  }
  lines.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : a.id - b.id));
  lines = lines.slice(-n);
  if (!opts.json && !opts.har) return lines;
  // Bodies for what is printed: one answer per request (lists leave body text out).
  const dirOf = new Map(proxies.map((p) => [p.key, p.dir]));
  return Promise.all(
    lines.map(async (l) => {
      const full = await getRequest(dirOf.get(l.proxy) ?? '', l.id);
      return full.ok ? { ...full.value, proxy: l.proxy } : l;
    }),
  );
}

const ms = (v: number | null) => (v === null ? '-' : v < 10 ? `${v.toFixed(1)}ms` : `${Math.round(v)}ms`);
const size = (n: number | undefined) => (n === undefined ? '-' : n < 1024 ? `${n}B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)}K` : `${(n / 1024 / 1024).toFixed(1)}M`);

function table(lines: readonly RequestLine[], many: boolean): string {
  const c = palette(colorEnabled(process.stdout));
  const st = (s: number | null, err: string | null) => {
    const text = s === null ? (err ? 'ERR' : '…') : String(s);
    return s === null || s >= 500 ? c.red(text) : s >= 400 ? c.yellow(text) : c.green(text);
  };
  const head = ['ID', 'TIME', 'METHOD', 'STATUS', 'DURATION', 'SIZE', 'ROUTE', 'UPSTREAM', 'URL'];
  if (many) head.splice(1, 0, 'PROXY');
  const rows = [head.map((h) => c.bold(h))];
  for (const l of lines) {
    const up = l.upstream ? `${l.upstream.key}${l.upstream.generation === null ? '' : `#${l.upstream.generation}`}` : '-';
    const kind = l.kind === 'http' ? '' : ` ${c.dim(l.kind === 'websocket' ? '(ws)' : '(sse)')}`;
    const row = [String(l.id), l.started_at.slice(11, 23), l.method, st(l.status, l.error), ms(l.duration_ms), size(l.response_body?.size), l.route ?? '-', up, `${l.url}${kind}${l.error ? ` ${c.red(l.error)}` : ''}`];
    if (many) row.splice(1, 0, l.proxy);
    rows.push(row);
  }
  const width = process.stdout.isTTY ? process.stdout.columns || 120 : Number.MAX_SAFE_INTEGER;
  return renderTable(rows, width) + '\n';
}

export async function requests(opts: RequestsOptions): Promise<number> {
  if (opts.json && opts.har) throw new UserError([failure('FLAG_CONFLICT', '--json and --har were both given', { hint: 'one of them: --json prints a line per request, --har one HAR document' })]);
  if (opts.secrets && !opts.har) throw usage('--secrets goes with --har', 'devport requests --har --secrets');
  const lines = await collect(opts);
  if (opts.har) {
    const har = toHar(lines, { secrets: opts.secrets === true, creator: { name: 'devport', version: VERSION } });
    process.stdout.write(JSON.stringify(har, null, 2) + '\n');
    return 0;
  }
  if (opts.json) {
    process.stdout.write(lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length > 0 ? '\n' : ''));
    return 0;
  }
  if (lines.length === 0) {
    process.stdout.write('no requests captured yet (or none match)\n');
    return 0;
  }
  process.stdout.write(table(lines, new Set(lines.map((l) => l.proxy)).size > 1));
  return 0;
}
