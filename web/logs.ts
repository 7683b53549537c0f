// The Logs view: every service's output merged (or one service's), ANSI
// colours rendered, a filter box, and autoscroll that pauses when you scroll
// up (or press Pause) and resumes at the bottom.

import type { LogFrame } from '../src/dashboard/types.js';
import { stream } from './api.js';
import { plain, renderLine, stripAnsi, type Style } from './ansi.js';
import { h } from './dom.js';
import type { Store } from './store.js';

/** Lines kept in the page: older ones are dropped (the whole log is in output.log). */
const MAX_LINES = 5000;

interface Line {
  key: string;
  text: string;
  el: HTMLElement;
}

export class LogsView {
  readonly el: HTMLElement;
  readonly #out = h('div', { class: 'log', role: 'log', 'aria-live': 'off', tabindex: 0 });
  readonly #select = h('select', { 'aria-label': 'Service' }, h('option', { value: '' }, 'all services (merged)'));
  readonly #filter = h('input', { type: 'search', placeholder: 'filter (text)', 'aria-label': 'Filter log lines' });
  readonly #pause = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  readonly #lines: Line[] = [];
  readonly #partial = new Map<string, string>();
  readonly #styles = new Map<string, Style>();
  readonly #colour = new Map<string, number>();
  #es: EventSource | undefined;
  #keys = '';
  #follow = true;

  constructor(private readonly store: Store) {
    this.el = h(
      'section',
      { id: 'view-logs', 'aria-label': 'Logs' },
      h('div', { class: 'toolbar' }, this.#select, this.#filter, this.#pause, h('button', { type: 'button', onclick: () => this.clearLines() }, 'Clear')),
      this.#out,
    );
    this.#select.addEventListener('change', () => this.refilter());
    this.#filter.addEventListener('input', () => this.refilter());
    this.#pause.addEventListener('click', () => this.setFollow(!this.#follow));
    // Scrolling up pauses; back at the bottom resumes.
    this.#out.addEventListener('scroll', () => {
      const atBottom = this.#out.scrollTop + this.#out.clientHeight >= this.#out.scrollHeight - 4;
      if (atBottom !== this.#follow) this.setFollow(atBottom);
    });
    store.on(() => this.syncKeys());
  }

  /** Opened when the view is first shown, and again when the stack gains a service. */
  show(): void {
    this.syncKeys(true);
  }

  private syncKeys(force = false): void {
    const keys = [...this.store.nodes.keys()].sort();
    const text = keys.join(',');
    for (const k of keys) {
      if (![...this.#select.options].some((o) => o.value === k)) this.#select.append(h('option', { value: k }, this.store.nodes.get(k)?.name ?? k));
    }
    if (!this.#es && !force) return;
    if (text === this.#keys || keys.length === 0) return;
    this.#keys = text;
    this.#es?.close();
    this.clearLines();
    this.#es = stream<LogFrame>(`/api/logs?keys=${encodeURIComponent(text)}`, (f) => this.take(f));
  }

  private setFollow(on: boolean): void {
    this.#follow = on;
    this.#pause.textContent = on ? 'Pause' : 'Resume';
    this.#pause.setAttribute('aria-pressed', on ? 'false' : 'true');
    if (on) this.#out.scrollTop = this.#out.scrollHeight;
  }

  private clearLines(): void {
    this.#lines.length = 0;
    this.#out.replaceChildren();
    this.#partial.clear();
  }

  private take(f: LogFrame): void {
    if (f.reset) this.#partial.delete(f.key);
    const text = (this.#partial.get(f.key) ?? '') + f.text;
    const parts = text.split('\n');
    this.#partial.set(f.key, parts.pop() ?? '');
    if (parts.length === 0) return;
    const frag = document.createDocumentFragment();
    for (const raw of parts) {
      // A progress bar redraws with \r: its last state is the line.
      const line = raw.replace(/\r+$/, '').split('\r').pop() ?? '';
      const el = this.lineEl(f.key, line);
      this.#lines.push({ key: f.key, text: stripAnsi(line).toLowerCase(), el });
      el.hidden = !this.matches(this.#lines[this.#lines.length - 1] as Line);
      frag.append(el);
    }
    this.#out.append(frag);
    while (this.#lines.length > MAX_LINES) this.#lines.shift()?.el.remove();
    if (this.#follow) this.#out.scrollTop = this.#out.scrollHeight;
  }

  private lineEl(key: string, line: string): HTMLElement {
    let style = this.#styles.get(key);
    if (!style) this.#styles.set(key, (style = plain()));
    let colour = this.#colour.get(key);
    if (colour === undefined) this.#colour.set(key, (colour = (this.#colour.size % 6) + 1));
    const el = h('div', { class: 'line', 'data-key': key }, h('span', { class: `prefix fg-c${colour + 8}` }, `${this.store.nodes.get(key)?.name ?? key} │ `));
    el.append(renderLine(line, style));
    return el;
  }

  private matches(l: Line): boolean {
    const key = this.#select.value;
    const q = this.#filter.value.trim().toLowerCase();
    return (key === '' || l.key === key) && (q === '' || l.text.includes(q));
  }

  private refilter(): void {
    for (const l of this.#lines) l.el.hidden = !this.matches(l);
    if (this.#follow) this.#out.scrollTop = this.#out.scrollHeight;
  }
}
