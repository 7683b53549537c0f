// The Requests view: what the proxy captured (its capture ring over the
// dashboard's /api/requests), filters, a detail pane, a replay editor (a
// mutating method asks first) with the response inline, and HAR export.

import type { CapturedBody, CapturedRequest, ReplayResult } from '../src/proxy/capture-types.js';
import { getJson, post, stream } from './api.js';
import { clear, h } from './dom.js';
import type { Store } from './store.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_ROWS = 2000;

function statusClass(r: CapturedRequest): string {
  if (r.error) return 'error';
  if (r.status === null) return 'pending';
  return `${Math.floor(r.status / 100)}xx`;
}

function bodyText(b: CapturedBody | null): string {
  if (!b) return '';
  if (b.text === null) return `(${b.size} bytes, not kept)`;
  const text = b.encoding === 'base64' ? `(binary, ${b.size} bytes, base64)\n${b.text}` : b.text;
  return b.truncated ? `${text}\n… (${b.size} bytes in all, the first 64 KiB kept)` : text;
}

function headerLines(list: [string, string][]): string {
  return list.map(([k, v]) => `${k}: ${v}`).join('\n');
}

export class RequestsView {
  readonly el: HTMLElement;
  readonly #rows = new Map<number, { req: CapturedRequest; tr: HTMLTableRowElement }>();
  readonly #tbody = h('tbody');
  readonly #route = h('select', { 'aria-label': 'Route' }, h('option', { value: '' }, 'all routes'));
  readonly #status = h(
    'select',
    { 'aria-label': 'Status class' },
    ...['', '2xx', '3xx', '4xx', '5xx', 'error', 'pending'].map((v) => h('option', { value: v }, v || 'any status')),
  );
  readonly #method = h('select', { 'aria-label': 'Method' }, ...['', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((v) => h('option', { value: v }, v || 'any method')));
  readonly #text = h('input', { type: 'search', placeholder: 'filter URL', 'aria-label': 'Filter requests by URL' });
  readonly #proxy = h('select', { 'aria-label': 'Proxy' });
  readonly #detail = h('aside', { class: 'detail-pane', 'aria-label': 'Request detail', hidden: true });
  readonly #note = h('p', { class: 'empty' });
  readonly #har = h('a', { class: 'button', href: '/api/requests.har', download: 'requests.har' }, 'Export HAR');
  #es: EventSource | undefined;
  #selected: number | null = null;
  #started = false;

  constructor(private readonly store: Store) {
    const head = h('thead', {}, h('tr', {}, ...['#', 'Time', 'Method', 'URL', 'Route', 'Status', 'Duration', 'Upstream'].map((t) => h('th', { scope: 'col' }, t))));
    this.el = h(
      'section',
      { id: 'view-requests', 'aria-label': 'Requests' },
      h('div', { class: 'toolbar' }, this.#proxy, this.#route, this.#status, this.#method, this.#text, this.#har),
      this.#note,
      h('div', { class: 'split' }, h('div', { class: 'table-wrap' }, h('table', { class: 'requests' }, head, this.#tbody)), this.#detail),
    );
    for (const el of [this.#route, this.#status, this.#method]) el.addEventListener('change', () => this.refilter());
    this.#text.addEventListener('input', () => this.refilter());
    this.#proxy.addEventListener('change', () => this.connect());
    this.#tbody.addEventListener('keydown', (e) => this.keys(e));
    store.on(() => this.syncProxies());
  }

  show(): void {
    this.#started = true;
    this.syncProxies();
  }

  private proxies(): string[] {
    return this.store.list().filter((n) => n.type === 'proxy' && n.alive).map((n) => n.key);
  }

  private syncProxies(): void {
    if (!this.#started) return;
    const keys = this.proxies();
    const have = [...this.#proxy.options].map((o) => o.value);
    for (const k of keys) if (!have.includes(k)) this.#proxy.append(h('option', { value: k }, `proxy ${this.store.nodes.get(k)?.name ?? k}`));
    this.#proxy.hidden = keys.length < 2;
    if (!this.#es && keys.length > 0) this.connect();
    this.#note.textContent = keys.length === 0 ? 'No proxy is running: the request inspector shows what a proxy of the stack forwards.' : '';
    this.#note.hidden = keys.length > 0;
  }

  private q(): string {
    return this.#proxy.value ? `proxy=${encodeURIComponent(this.#proxy.value)}` : '';
  }

  private connect(): void {
    this.#es?.close();
    this.#rows.clear();
    clear(this.#tbody);
    const q = this.q();
    this.#har.href = `/api/requests.har${q ? `?${q}` : ''}`;
    void getJson<{ requests: CapturedRequest[] }>(`/api/requests${q ? `?${q}` : ''}`).then((r) => {
      for (const req of r.value?.requests ?? []) this.upsert(req);
    });
    this.#es = stream<CapturedRequest>(`/api/requests/stream${q ? `?${q}` : ''}`, (req) => this.upsert(req));
  }

  private upsert(req: CapturedRequest): void {
    const known = this.#rows.get(req.id);
    const tr = known?.tr ?? h('tr', { tabindex: 0, 'data-id': req.id, onclick: () => void this.select(req.id) });
    const cells: (string | Node)[] = [
      String(req.id),
      new Date(req.started_at).toLocaleTimeString(),
      req.method,
      h('span', { class: 'url', title: req.url }, req.url),
      req.route ?? '—',
      h('span', { class: `status s${statusClass(req)}` }, req.error ? `✕ ${req.error}` : req.status === null ? '…' : String(req.status)),
      req.duration_ms === null ? '…' : `${Math.round(req.duration_ms)} ms`,
      req.upstream ? `${req.upstream.key}${req.upstream.generation !== null ? ` #${req.upstream.generation}` : ''}` : '—',
    ];
    tr.replaceChildren(...cells.map((c, i) => h('td', { 'data-field': ['id', 'time', 'method', 'url', 'route', 'status', 'duration', 'upstream'][i] }, c)));
    tr.dataset.status = statusClass(req);
    if (!known) {
      this.#rows.set(req.id, { req, tr });
      // Newest first.
      this.#tbody.prepend(tr);
      if (req.route && ![...this.#route.options].some((o) => o.value === req.route)) this.#route.append(h('option', { value: req.route }, req.route));
      while (this.#rows.size > MAX_ROWS) {
        const oldest = Math.min(...this.#rows.keys());
        this.#rows.get(oldest)?.tr.remove();
        this.#rows.delete(oldest);
      }
    } else known.req = req;
    tr.hidden = !this.matches(req);
    if (this.#selected === req.id && req.duration_ms !== null && known?.req.duration_ms === null) void this.select(req.id);
  }

  private matches(r: CapturedRequest): boolean {
    const route = this.#route.value;
    const st = this.#status.value;
    const m = this.#method.value;
    const t = this.#text.value.trim().toLowerCase();
    return (!route || r.route === route) && (!st || statusClass(r) === st) && (!m || r.method === m) && (!t || r.url.toLowerCase().includes(t));
  }

  private refilter(): void {
    for (const { req, tr } of this.#rows.values()) tr.hidden = !this.matches(req);
  }

  private keys(e: KeyboardEvent): void {
    const tr = (e.target as HTMLElement).closest('tr');
    if (!tr) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      void this.select(Number(tr.dataset.id));
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      let next = e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
      while (next && (next as HTMLElement).hidden) next = e.key === 'ArrowDown' ? next.nextElementSibling : next.previousElementSibling;
      (next as HTMLElement | null)?.focus();
    }
  }

  private async select(id: number): Promise<void> {
    this.#selected = id;
    for (const { tr } of this.#rows.values()) tr.classList.toggle('selected', Number(tr.dataset.id) === id);
    const q = this.q();
    const r = await getJson<CapturedRequest>(`/api/requests/${id}${q ? `?${q}` : ''}`);
    const req = r.value;
    clear(this.#detail);
    this.#detail.hidden = false;
    if (!req || r.status !== 200) {
      this.#detail.append(h('p', {}, `request #${id} is no longer kept (HTTP ${r.status})`));
      return;
    }
    const parts: (Node | null)[] = [
      h('div', { class: 'detail-head' }, h('h2', {}, `#${req.id} ${req.method} ${req.url}`), h('button', { type: 'button', 'aria-label': 'Close detail', onclick: () => this.close() }, '✕')),
      h('p', {}, `${req.status ?? req.error ?? '…'} · ${req.duration_ms === null ? 'running' : `${Math.round(req.duration_ms)} ms`} · route ${req.route ?? '—'}${req.upstream ? ` → ${req.upstream.key}` : ''}`),
      h('h3', {}, 'Request headers'),
      h('pre', {}, headerLines(req.request_headers)),
      req.request_body ? h('h3', {}, 'Request body') : null,
      req.request_body ? h('pre', {}, bodyText(req.request_body)) : null,
      h('h3', {}, 'Response headers'),
      h('pre', {}, headerLines(req.response_headers)),
      h('h3', {}, 'Response body'),
      h('pre', { 'data-field': 'response-body' }, bodyText(req.response_body)),
      this.replayEditor(req),
    ];
    this.#detail.append(...parts.filter((p): p is Node => p !== null));
  }

  private close(): void {
    this.#detail.hidden = true;
    const tr = this.#selected !== null ? this.#rows.get(this.#selected)?.tr : undefined;
    this.#selected = null;
    tr?.classList.remove('selected');
    tr?.focus();
  }

  private replayEditor(req: CapturedRequest): HTMLElement {
    const method = h('input', { value: req.method, 'aria-label': 'Replay method', size: 7, name: 'method' });
    const url = h('input', { value: req.url, 'aria-label': 'Replay URL', name: 'url' });
    // Hop-by-hop and length headers are the proxy's to set again.
    const headers = h('textarea', { rows: 5, 'aria-label': 'Replay headers (Name: value per line)', name: 'headers' });
    headers.value = headerLines(req.request_headers.filter(([k]) => !/^(content-length|connection|transfer-encoding|keep-alive|upgrade)$/i.test(k)));
    const body = h('textarea', { rows: 5, 'aria-label': 'Replay body', name: 'body' });
    body.value = req.request_body?.encoding === 'utf8' ? (req.request_body.text ?? '') : '';
    const result = h('div', { class: 'replay-result', 'aria-live': 'polite' });
    const send = async () => {
      const m = method.value.trim().toUpperCase();
      if (!SAFE.has(m) && !(await confirmDialog(`Send ${m} ${url.value} to the stack again? It may change data.`))) return;
      const hdrs = headers.value
        .split('\n')
        .map((l) => l.match(/^([^:]+):\s?(.*)$/))
        .filter((x): x is RegExpMatchArray => x !== null)
        .map((x) => [(x[1] ?? '').trim(), x[2] ?? ''] as [string, string]);
      clear(result);
      result.append('sending…');
      const q = this.q();
      const r = await post(`/api/requests/${req.id}/replay${q ? `?${q}` : ''}`, { method: m, url: url.value, headers: hdrs, body: body.value === '' && SAFE.has(m) ? null : body.value });
      clear(result);
      const v = r.value as ReplayResult | { message?: string } | null;
      if (r.status !== 200 || !v || !('status' in v)) {
        result.append(h('p', { class: 'bad' }, `replay failed: ${(v as { message?: string } | null)?.message ?? `HTTP ${r.status}`}`));
        return;
      }
      result.append(
        h('p', { 'data-field': 'replay-status' }, `→ ${v.status} in ${Math.round(v.duration_ms)} ms${v.id !== null ? ` (captured as #${v.id})` : ''}`),
        h('pre', {}, headerLines(v.headers)),
        h('pre', { 'data-field': 'replay-body' }, bodyText(v.body)),
      );
      result.scrollIntoView({ block: 'nearest' });
    };
    return h(
      'form',
      { class: 'replay', 'aria-label': 'Replay', onsubmit: (e: Event) => (e.preventDefault(), void send()) },
      h('h3', {}, 'Replay'),
      h('div', { class: 'row' }, method, url),
      headers,
      body,
      h('button', { type: 'submit' }, 'Replay'),
      result,
    );
  }
}

/** A modal question in the page (keyboard: Enter confirms, Escape cancels). */
function confirmDialog(message: string): Promise<boolean> {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'submit', value: 'yes', class: 'danger' }, 'Send');
    const dlg = h('dialog', { class: 'confirm', 'aria-label': 'Confirm replay' }, h('form', { method: 'dialog' }, h('p', {}, message), h('div', { class: 'row' }, h('button', { type: 'submit', value: 'no' }, 'Cancel'), yes)));
    document.body.append(dlg);
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'yes');
      dlg.remove();
    });
    dlg.showModal();
    yes.focus();
  });
}
