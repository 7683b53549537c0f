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
