// Captured requests as HAR 1.2 (what browsers' dev tools import). Secrets are
// redacted unless asked for: a HAR file gets attached to bug reports.

import type { CapturedBody, CapturedRequest } from '../proxy/capture-types.js';
import { VERSION } from '../version.js';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token']);
const REDACTED = '[redacted]';

type Header = { name: string; value: string };

function headers(list: [string, string][], redact: boolean): Header[] {
  return list.map(([name, value]) => ({ name, value: redact && SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value }));
}

function header(list: [string, string][], name: string): string | undefined {
  return list.find(([k]) => k.toLowerCase() === name)?.[1];
}

function content(b: CapturedBody | null, type: string): { size: number; mimeType: string; text?: string; encoding?: string } {
  if (!b) return { size: 0, mimeType: type };
  return { size: b.size, mimeType: type, ...(b.text !== null ? { text: b.text } : {}), ...(b.encoding === 'base64' ? { encoding: 'base64' } : {}) };
}

export function harOf(requests: readonly CapturedRequest[], opts: { redact: boolean }): unknown {
  return {
    log: {
      version: '1.2',
      creator: { name: 'devport', version: VERSION },
      entries: requests.map((r) => {
        const url = new URL(r.url, `http://${header(r.request_headers, 'host') ?? 'localhost'}`);
        const reqType = header(r.request_headers, 'content-type') ?? '';
        const resType = header(r.response_headers, 'content-type') ?? '';
        return {
          startedDateTime: r.started_at,
          time: r.duration_ms ?? 0,
          request: {
            method: r.method,
            url: url.toString(),
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: headers(r.request_headers, opts.redact),
            queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
            ...(r.request_body ? { postData: { mimeType: reqType, text: r.request_body.text ?? '' } } : {}),
            headersSize: -1,
            bodySize: r.request_body?.size ?? 0,
          },
          response: {
            status: r.status ?? 0,
            statusText: r.error ?? '',
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: headers(r.response_headers, opts.redact),
            content: content(r.response_body, resType),
            redirectURL: header(r.response_headers, 'location') ?? '',
            headersSize: -1,
            bodySize: r.response_body?.size ?? -1,
          },
          cache: {},
          timings: { send: 0, wait: r.wait_ms ?? 0, receive: Math.max(0, (r.duration_ms ?? 0) - (r.wait_ms ?? 0)) },
          _route: r.route,
          _upstream: r.upstream,
        };
      }),
    },
  };
}
