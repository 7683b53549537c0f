// Captured requests as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/),
// for `devport requests --har` and the dashboard's export. Secrets (the values
// of Authorization, Proxy-Authorization, Cookie, Set-Cookie) are redacted
// unless asked for. No Node imports: a browser bundle can use it as it is.

import type { CapturedBody, CapturedRequest } from './capture-types.js';

export const REDACTED = '[redacted]';
export const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export interface HarOptions {
  /** Keep secret header values (default: redacted). */
  secrets?: boolean;
  creator?: { name: string; version: string };
  /** Origin for URLs when a request has no Host header ("http://127.0.0.1:8080"). */
  origin?: string;
}

interface NameValue {
  name: string;
  value: string;
}

export interface HarEntry {
  pageref?: string;
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: NameValue[];
    headers: NameValue[];
    queryString: NameValue[];
    postData?: { mimeType: string; text: string; comment?: string };
    headersSize: number;
    bodySize: number;
    comment?: string;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: NameValue[];
    headers: NameValue[];
    content: { size: number; mimeType: string; text?: string; encoding?: string; comment?: string };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
    comment?: string;
  };
  cache: Record<string, never>;
  timings: { blocked: number; dns: number; connect: number; send: number; wait: number; receive: number; ssl: number };
  comment?: string;
  /** Chrome's extension: "websocket", "eventsource", or absent. */
  _resourceType?: string;
  _devport: { id: number; kind: CapturedRequest['kind']; route: string | null; upstream: CapturedRequest['upstream']; error: string | null };
}

export interface Har {
  log: { version: '1.2'; creator: { name: string; version: string }; entries: HarEntry[]; comment?: string };
}

const STATUS_TEXT: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Content Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests', 499: 'Client Closed Request',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 508: 'Loop Detected',
};

const header = (h: readonly [string, string][], name: string) => h.find(([n]) => n.toLowerCase() === name)?.[1];

function headers(h: readonly [string, string][], secrets: boolean): NameValue[] {
  return h.map(([name, value]) => ({ name, value: !secrets && SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value }));
}

/** Cookie: "a=1; b=2" → a, b. */
function requestCookies(h: readonly [string, string][], secrets: boolean): NameValue[] {
  const out: NameValue[] = [];
  for (const [n, v] of h) {
    if (n.toLowerCase() !== 'cookie') continue;
    for (const part of v.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      out.push({ name: part.slice(0, eq).trim(), value: secrets ? part.slice(eq + 1).trim() : REDACTED });
    }
  }
  return out;
}

/** Set-Cookie: "a=1; Path=/" → a (one per header). */
function responseCookies(h: readonly [string, string][], secrets: boolean): NameValue[] {
  const out: NameValue[] = [];
  for (const [n, v] of h) {
    if (n.toLowerCase() !== 'set-cookie') continue;
    const first = v.split(';')[0] ?? '';
    const eq = first.indexOf('=');
    if (eq > 0) out.push({ name: first.slice(0, eq).trim(), value: secrets ? first.slice(eq + 1).trim() : REDACTED });
  }
  return out;
}

function queryString(url: string): NameValue[] {
  const q = url.indexOf('?');
  if (q === -1) return [];
  const out: NameValue[] = [];
  for (const part of url.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    out.push(eq === -1 ? { name: dec(part), value: '' } : { name: dec(part.slice(0, eq)), value: dec(part.slice(eq + 1)) });
  }
  return out;
}

const bodyComment = (b: CapturedBody) =>
  [b.truncated ? `truncated: ${b.size} bytes in all, the first ${b.encoding === 'base64' ? 'bytes' : 'part'} kept` : '', b.text === null && b.size > 0 ? 'body not kept' : '', b.encoding === 'base64' ? 'base64' : '']
    .filter(Boolean)
    .join('; ');

const ms = (n: number) => Math.max(0, Math.round(n * 1000) / 1000);

export function harEntry(c: CapturedRequest, opts: HarOptions = {}): HarEntry {
  const secrets = opts.secrets === true;
  const host = header(c.request_headers, 'host');
  const scheme = c.kind === 'websocket' ? 'ws' : 'http';
  const url = host ? `${scheme}://${host}${c.url}` : `${(opts.origin ?? 'http://localhost').replace(/^http/, scheme)}${c.url}`;
  const total = c.duration_ms ?? 0;
  const wait = Math.min(c.wait_ms ?? total, total);
  const reqType = header(c.request_headers, 'content-type') ?? '';
  const resType = header(c.response_headers, 'content-type') ?? '';
  const rb = c.request_body;
  const sb = c.response_body;
  const entry: HarEntry = {
    startedDateTime: c.started_at,
    time: ms(total),
    request: {
      method: c.method,
      url,
      httpVersion: 'HTTP/1.1',
      cookies: requestCookies(c.request_headers, secrets),
      headers: headers(c.request_headers, secrets),
      queryString: queryString(c.url),
      headersSize: -1,
      bodySize: rb ? rb.size : 0,
    },
    response: {
      status: c.status ?? 0,
      statusText: c.status === null ? '' : (STATUS_TEXT[c.status] ?? ''),
      httpVersion: 'HTTP/1.1',
      cookies: responseCookies(c.response_headers, secrets),
      headers: headers(c.response_headers, secrets),
      content: { size: sb ? sb.size : 0, mimeType: resType },
      redirectURL: header(c.response_headers, 'location') ?? '',
      headersSize: -1,
      bodySize: sb ? sb.size : -1,
    },
    cache: {},
    // What the proxy can tell: the upstream's first byte (wait) and the rest (receive).
    timings: { blocked: -1, dns: -1, connect: -1, send: 0, wait: ms(wait), receive: ms(total - wait), ssl: -1 },
    _devport: { id: c.id, kind: c.kind, route: c.route, upstream: c.upstream, error: c.error },
  };
  if (rb && (rb.size > 0 || rb.text !== null)) {
    const comment = bodyComment(rb);
    entry.request.postData = { mimeType: reqType, text: rb.text ?? '', ...(comment ? { comment } : {}) };
  }
  if (sb && sb.text !== null) {
    entry.response.content.text = sb.text;
    if (sb.encoding === 'base64') entry.response.content.encoding = 'base64';
  }
  if (sb) {
    const comment = bodyComment(sb);
    if (comment) entry.response.content.comment = comment;
  }
  if (c.kind === 'websocket') entry._resourceType = 'websocket';
  if (c.kind === 'sse') entry._resourceType = 'eventsource';
  if (c.error) entry.comment = c.error;
  return entry;
}

export function toHar(requests: readonly CapturedRequest[], opts: HarOptions = {}): Har {
  return {
    log: {
      version: '1.2',
      creator: opts.creator ?? { name: 'devport', version: '' },
      entries: requests.map((c) => harEntry(c, opts)),
      ...(opts.secrets ? {} : { comment: `values of ${[...SECRET_HEADERS].join(', ')} headers are redacted` }),
    },
  };
}
