// `devport requests [--json|--har] [-n N] [--route R] [--status 5xx,404] [--method M] [--proxy P] [-f]`:
// the requests the stack's proxies captured (the request inspector), newest
// last. A table for people; --json one object per line (spec/requests.schema.json);
// --har a HAR 1.2 document, secrets redacted unless --secrets; -f: then each
// request as it ends.

import path from 'node:path';
import { failure, UserError, type Failure } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import type { CapturedRequest } from '../proxy/capture-types.js';
import { toHar } from '../proxy/har.js';
import { getRequest, listRequests, streamRequests } from '../rpc/requests.js';
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
  follow?: boolean;
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

interface Query {
  n: number;
  proxies: Proxy[];
  /** undefined: no filter. */
  match: ((c: CapturedRequest) => boolean) | undefined;
}

function query(opts: RequestsOptions): Query {
  const n = count(opts.lines);
  const byStatus = opts.status === undefined ? undefined : statusFilter(opts.status);
  const method = opts.method?.toUpperCase();
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const proxies = proxiesOf(stateDir, opts.proxy);
  const byRoute = opts.route === undefined ? undefined : routeFilter(opts.route, proxies);
  const filtered = byStatus !== undefined || byRoute !== undefined || method !== undefined;
  const match = filtered ? (c: CapturedRequest) => (!byStatus || byStatus(c.status)) && (!byRoute || byRoute(c.route)) && (method === undefined || c.method === method) : undefined;
  return { n, proxies, match };
}

/** With bodies: one answer per request (lists leave body text out). */
function withBodies(lines: readonly RequestLine[], proxies: readonly Proxy[]): Promise<RequestLine[]> {
  const dirOf = new Map(proxies.map((p) => [p.key, p.dir]));
  return Promise.all(
    lines.map(async (l) => {
      const full = await getRequest(dirOf.get(l.proxy) ?? '', l.id);
      return full.ok ? { ...full.value, proxy: l.proxy } : l;
    }),
  );
}

async function collect(opts: RequestsOptions, q: Query): Promise<RequestLine[]> {
  const { n, proxies, match } = q;
  const failures: Failure[] = [];
  let lines: RequestLine[] = [];
  let off = 0;
  for (const p of proxies) {
    // Filtering happens here: the whole ring (without bodies) when filtered, else only the newest n.
    const r = await listRequests(p.dir, match ? {} : { limit: n });
    if (!r.ok) {
      if (r.why === 'off') off++;
      else failures.push(failure('NOT_RUNNING', `cannot ask the proxy ${p.key} for its requests: ${r.message}`, { hint: 'it may be starting or stopping: `devport ls` shows its state', service: p.key }));
      continue;
    }
    for (const c of r.value.requests) if (!match || match(c)) lines.push({ ...c, proxy: p.key });
  }
  if (failures.length > 0) throw new UserError(failures);
  if (off === proxies.length) {
    throw new UserError([failure('CAPTURE_OFF', `${proxies.map((p) => p.key).join(', ')} keeps no requests (capture = false)`, { hint: 'remove `capture = false` from the proxy in devport.toml (or set capture = 500) and run `devport up`' })]);
  }
  lines.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : a.id - b.id));
  lines = lines.slice(-n);
  return opts.json || opts.har ? withBodies(lines, proxies) : lines;
}

const ms = (v: number | null) => (v === null ? '-' : v < 10 ? `${v.toFixed(1)}ms` : `${Math.round(v)}ms`);
const size = (n: number | undefined) => (n === undefined ? '-' : n < 1024 ? `${n}B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)}K` : `${(n / 1024 / 1024).toFixed(1)}M`);

const HEAD = ['ID', 'TIME', 'METHOD', 'STATUS', 'DURATION', 'SIZE', 'ROUTE', 'UPSTREAM', 'URL'];

function rowOf(l: RequestLine, many: boolean): string[] {
  const c = palette(colorEnabled(process.stdout));
  const st = (s: number | null, err: string | null) => {
    const text = s === null ? (err ? 'ERR' : '…') : String(s);
    return s === null || s >= 500 ? c.red(text) : s >= 400 ? c.yellow(text) : c.green(text);
  };
  const up = l.upstream ? `${l.upstream.key}${l.upstream.generation === null ? '' : `#${l.upstream.generation}`}` : '-';
  const kind = l.kind === 'http' ? '' : ` ${c.dim(l.kind === 'websocket' ? '(ws)' : '(sse)')}`;
  const row = [String(l.id), l.started_at.slice(11, 23), l.method, st(l.status, l.error), ms(l.duration_ms), size(l.response_body?.size), l.route ?? '-', up, `${l.url}${kind}${l.error ? ` ${c.red(l.error)}` : ''}`];
  if (many) row.splice(1, 0, l.proxy);
  return row;
}

const width = () => (process.stdout.isTTY ? process.stdout.columns || 120 : Number.MAX_SAFE_INTEGER);

function table(lines: readonly RequestLine[], many: boolean): string {
  const c = palette(colorEnabled(process.stdout));
  const head = many ? [HEAD[0] ?? '', 'PROXY', ...HEAD.slice(1)] : HEAD;
  return renderTable([head.map((h) => c.bold(h)), ...lines.map((l) => rowOf(l, many))], width()) + '\n';
}

/** -f: each request as it ends, from every proxy's stream, until interrupted. */
async function follow(opts: RequestsOptions, q: Query, seen: ReadonlyMap<string, number>): Promise<void> {
  const ctl = new AbortController();
  const many = q.proxies.length > 1;
  const print = async (l: RequestLine) => {
    if (opts.json) {
      const [full] = await withBodies([l], q.proxies);
      process.stdout.write(JSON.stringify(full ?? l) + '\n');
    } else {
      // Rows as they come: fixed widths instead of a table measured over all rows.
      const widths = [6, ...(many ? [12] : []), 12, 7, 6, 9, 7, 12, 14];
      const row = rowOf(l, many);
      process.stdout.write(renderTable([row.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i] ?? 0) : cell))], width()) + '\n');
    }
  };
  let printed = Promise.resolve();
  const streams = q.proxies.map((p) =>
    streamRequests(
      p.dir,
      (c) => {
        // Only ended requests, once each, and none already printed above.
        if (c.duration_ms === null || c.id <= (seen.get(p.key) ?? 0) || (q.match && !q.match(c))) return;
        // In the order they ended, although fetching a body takes a moment.
        printed = printed.then(() => print({ ...c, proxy: p.key }));
      },
      ctl.signal,
    ).catch(() => {}),
  );
  await new Promise<void>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve());
    process.stdout.once('error', () => resolve()); // e.g. a closed pipe
    // Every proxy went away (down): nothing more will come.
    void Promise.all(streams).then(() => resolve());
  });
  ctl.abort();
  await printed;
}

export async function requests(opts: RequestsOptions): Promise<number> {
  if (opts.json && opts.har) throw new UserError([failure('FLAG_CONFLICT', '--json and --har were both given', { hint: 'one of them: --json prints a line per request, --har one HAR document' })]);
  if (opts.secrets && !opts.har) throw usage('--secrets goes with --har', 'devport requests --har --secrets');
  if (opts.follow && opts.har) throw new UserError([failure('FLAG_CONFLICT', '-f and --har were both given', { hint: 'a HAR document is written once: drop -f, or use --json -f' })]);
  const q = query(opts);
  const lines = await collect(opts, q);
  // The newest id printed per proxy: -f goes on from there.
  const seen = new Map(q.proxies.map((p) => [p.key, Math.max(0, ...lines.filter((l) => l.proxy === p.key).map((l) => l.id))]));
  if (opts.har) {
    const har = toHar(lines, { secrets: opts.secrets === true, creator: { name: 'devport', version: VERSION } });
    process.stdout.write(JSON.stringify(har, null, 2) + '\n');
    return 0;
  }
  if (opts.json) process.stdout.write(lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length > 0 ? '\n' : ''));
  else if (lines.length > 0) process.stdout.write(table(lines, q.proxies.length > 1));
  else if (!opts.follow) process.stdout.write('no requests captured yet (or none match)\n');
  if (opts.follow) await follow(opts, q, seen);
  return 0;
}
