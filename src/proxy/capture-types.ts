// What the proxy keeps of each request it forwards (the request inspector's
// data): the shape its sidecar serves over rpc.sock and `devport requests`,
// the dashboard and the HAR export read. One entry per HTTP request; a
// WebSocket upgrade or an SSE stream is one entry too (`kind`).
//
// rpc.sock of a proxy sidecar:
//   GET  /requests?after=<id>&limit=<n>   → { requests: CapturedRequest[] } (oldest first, ids > after)
//   GET  /requests/stream                 → SSE: each new or updated entry as `data: <CapturedRequest>`
//   GET  /requests/<id>                   → CapturedRequest (with bodies)
//   POST /requests/<id>/replay            ← ReplayRequest → ReplayResult
//
// Details of the implementation (src/proxy/capture-rpc.ts), beyond the list above:
// - Lists and the stream leave body text out (`text: null`; size, encoding and
//   truncated are there); `/requests/<id>` has it, and so does `/requests?bodies=1`.
// - `/requests` without `after` gives the newest `limit` (default: the whole ring),
//   still oldest first; with `after`, the first `limit` above it. The answer also
//   has `last_id` (the newest id so far) and `limit` (the ring's size): ListResponse.
// - The stream begins with an SSE comment (`: subscribed`); an entry is sent when it
//   begins, when an SSE response or WebSocket opens, and when it ends.
// - Replay: fields left out of the ReplayRequest are taken from the captured request
//   (`{}` replays it as it was; 409 when its body was not kept whole as text).
//   Content-Length is the new body's; the replay carries `X-Devport-Replay` (never
//   forwarded upstream) so its capture id can be told.
// - With `capture = false` the endpoints answer 409 `{ ok: false, code: "CAPTURE_OFF" }`.
// - Response headers are those the client got from the proxy; a static file's or the
//   proxy's own page's body is not kept (its response_body is null).

export interface CapturedBody {
  /** Bytes seen in all (the body may be longer than what was kept). */
  size: number;
  /** What was kept, up to 64 KiB: utf-8 text, or base64 for binary content. */
  text: string | null;
  encoding: 'utf8' | 'base64';
  truncated: boolean;
}

export interface CapturedRequest {
  /** Increasing per proxy sidecar (from 1). */
  id: number;
  kind: 'http' | 'websocket' | 'sse';
  /** When the request arrived (ISO 8601). */
  started_at: string;
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  /** The route prefix that took it, or null when none did (404). */
  route: string | null;
  /** The exec upstream's key and generation, when the route is an exec route. */
  upstream: { key: string; generation: number | null } | null;
  /** null while the response has not begun. */
  status: number | null;
  /** Until the response ended (or the socket closed); null while it runs. */
  duration_ms: number | null;
  /** Time to the upstream's first byte. */
  wait_ms: number | null;
  request_headers: [string, string][];
  response_headers: [string, string][];
  request_body: CapturedBody | null;
  response_body: CapturedBody | null;
  /** An error instead of a response: "upstream unreachable", "client went away". */
  error: string | null;
}

/** GET /requests. */
export interface ListResponse {
  requests: CapturedRequest[];
  /** The newest id so far (0: none yet). */
  last_id: number;
  /** How many requests the ring keeps. */
  limit: number;
}

export interface ReplayRequest {
  method: string;
  /** Path and query on the proxy. */
  url: string;
  headers: [string, string][];
  /** utf-8 body, or null. */
  body: string | null;
}

export interface ReplayResult {
  status: number;
  headers: [string, string][];
  body: CapturedBody;
  duration_ms: number;
  /** The replayed request's own capture id. */
  id: number | null;
}
