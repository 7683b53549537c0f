// Talking to the dashboard's API: the cookie carries the token; a POST's
// Origin is the page's own (the server checks both).

import type { ActionResult } from '../src/dashboard/types.js';

export async function post(path: string, body?: unknown): Promise<{ status: number; value: unknown }> {
  const res = await fetch(path, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    credentials: 'same-origin',
  });
  let value: unknown = null;
  try {
    value = await res.json();
  } catch {
    /* empty */
  }
  return { status: res.status, value };
}

export async function action(path: string): Promise<ActionResult> {
  try {
    const r = await post(path);
    const v = r.value as Partial<ActionResult> | null;
    return { ok: r.status < 400 && v?.ok !== false, message: v?.message ?? `HTTP ${r.status}` };
  } catch (err: unknown) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

export async function getJson<T>(path: string): Promise<{ status: number; value: T | null }> {
  const res = await fetch(path, { credentials: 'same-origin' });
  let value: T | null = null;
  try {
    value = (await res.json()) as T;
  } catch {
    /* not JSON */
  }
  return { status: res.status, value };
}

/** An EventSource of JSON frames; the browser reconnects it by itself. */
export function stream<T>(path: string, onFrame: (f: T) => void, onState?: (open: boolean) => void): EventSource {
  const es = new EventSource(path);
  es.onmessage = (e: MessageEvent<string>) => {
    try {
      onFrame(JSON.parse(e.data) as T);
    } catch {
      /* a frame that is not JSON is skipped */
    }
  };
  es.onopen = () => onState?.(true);
  es.onerror = () => onState?.(false);
  return es;
}
