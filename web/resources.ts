// The Resources view: one row per node, its state coloured, links, actions.
// Rows are updated in place (a focused button keeps its focus).

import type { NodeView } from '../src/dashboard/types.js';
import { action } from './api.js';
import { ago, clear, h } from './dom.js';
import type { Store } from './store.js';
import { toast } from './toast.js';

const STATE_CLASS: Record<string, string> = {
  healthy: 'ok',
  completed: 'ok',
  starting: 'busy',
  building: 'busy',
  reloading: 'busy',
  pending: 'busy',
  stopping: 'busy',
  backoff: 'warn',
  unhealthy: 'warn',
  exited: 'bad',
  failed: 'bad',
  crashloop: 'bad',
  dead: 'bad',
  untrusted: 'bad',
  stopped: 'off',
  missing: 'off',
};

interface Row {
  tr: HTMLTableRowElement;
  cells: Record<string, HTMLTableCellElement>;
  buttons: Record<'restart' | 'stop' | 'start', HTMLButtonElement>;
}

const FIELDS = ['name', 'state', 'url', 'pid', 'generation', 'restarts', 'uptime', 'depends', 'build', 'actions'] as const;
const HEADS = ['Service', 'State', 'URL', 'PID', 'Gen', 'Restarts', 'Uptime', 'Depends on', 'Build / reload', 'Actions'];

export class ResourcesView {
  readonly el: HTMLElement;
  readonly #tbody = h('tbody');
  readonly #rows = new Map<string, Row>();
  readonly #empty = h('p', { class: 'empty' }, 'No services: is the stack running? (`devport up`)');

  constructor(private readonly store: Store) {
    const stackButtons = h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => void this.stackAction('restart') }, 'Restart all'),
      h('button', { type: 'button', class: 'danger', onclick: () => void this.stackAction('down') }, 'Stop stack (down)'),
    );
    const head = h('thead', {}, h('tr', {}, ...HEADS.map((t) => h('th', { scope: 'col' }, t))));
    this.el = h('section', { id: 'view-resources', 'aria-label': 'Resources' }, stackButtons, h('div', { class: 'table-wrap' }, h('table', { class: 'resources' }, head, this.#tbody)), this.#empty);
    store.on((n, removed) => {
      if (removed) this.remove(removed);
      else if (n) this.update(n);
      else this.renderAll();
    });
    // Uptime moves with the clock; nothing is asked of the server.
    setInterval(() => this.tick(), 1000);
  }

  private async stackAction(which: 'restart' | 'down'): Promise<void> {
    if (which === 'down' && !window.confirm('Stop every service of the stack (devport down)?')) return;
    const r = await action(`/api/stack/${which}`);
    toast(r.ok ? `stack ${which}: ${r.message}` : `stack ${which} failed: ${r.message}`, r.ok);
  }

  private renderAll(): void {
    const keys = new Set(this.store.nodes.keys());
    for (const k of [...this.#rows.keys()]) if (!keys.has(k)) this.remove(k);
    clear(this.#tbody);
    for (const n of this.store.list()) {
      this.update(n);
      const row = this.#rows.get(n.key);
      if (row) this.#tbody.append(row.tr);
    }
    this.#empty.hidden = this.#rows.size > 0;
  }

  private remove(key: string): void {
    this.#rows.get(key)?.tr.remove();
    this.#rows.delete(key);
    this.#empty.hidden = this.#rows.size > 0;
  }

  private row(n: NodeView): Row {
    const existing = this.#rows.get(n.key);
    if (existing) return existing;
    const cells = Object.fromEntries(FIELDS.map((f, i) => [f, h('td', { 'data-field': f, 'data-label': HEADS[i] })])) as Row['cells'];
    const button = (act: 'restart' | 'stop' | 'start', label: string) =>
      h('button', { type: 'button', 'data-action': act, 'aria-label': `${label} ${n.name}`, onclick: () => void this.act(n.key, act) }, label);
    const buttons = { restart: button('restart', 'Restart'), stop: button('stop', 'Stop'), start: button('start', 'Start') };
    cells.actions?.append(buttons.restart, buttons.stop, buttons.start);
    const tr = h('tr', { 'data-key': n.key }, ...FIELDS.map((f) => cells[f] ?? null));
    const row = { tr, cells, buttons };
    this.#rows.set(n.key, row);
    this.#tbody.append(tr);
    this.#empty.hidden = true;
    return row;
  }

  private async act(key: string, act: 'restart' | 'stop' | 'start'): Promise<void> {
    const r = await action(`/api/services/${encodeURIComponent(key)}/${act}`);
    toast(`${key}: ${r.message}`, r.ok);
  }

  update(n: NodeView): void {
    const { tr, cells, buttons } = this.row(n);
    const set = (f: (typeof FIELDS)[number], ...content: (Node | string)[]) => {
      const td = cells[f];
      if (!td) return;
      clear(td);
      td.append(...content);
    };
    tr.dataset.state = n.state;
    set('name', h('span', { class: 'name' }, n.name), n.name !== n.key ? h('span', { class: 'key' }, ` ${n.key}`) : '', h('span', { class: 'type' }, n.type));
    const detail = n.problem ?? n.reason ?? n.health?.detail ?? '';
    set('state', h('span', { class: `pill ${STATE_CLASS[n.state] ?? 'off'}`, 'data-state': n.state }, n.state), detail ? h('div', { class: 'detail', title: detail }, detail) : '');
    set('url', n.url ? h('a', { href: n.url, target: '_blank', rel: 'noopener noreferrer' }, n.url.replace(/^https?:\/\//, '')) : n.port ? String(n.port) : '—');
    set('pid', n.pid ? String(n.pid) : '—');
    set('generation', String(n.generation));
    set('restarts', String(n.restarts));
    set('depends', n.depends_on.join(', ') || '—');
    const build = n.build ? `build ${n.build.ok === null ? 'running' : n.build.ok ? 'ok' : `failed (${n.build.exit_code ?? '?'})`}` : '';
    const reload = n.reload ? `reload ×${n.reload.count} (${n.reload.how})` : '';
    set('build', h('span', { title: n.build?.tail ?? '' }, [build, reload].filter(Boolean).join(' · ') || '—'));
    const self = n.key === this.store.self;
    buttons.restart.disabled = self;
    buttons.stop.disabled = self || !n.alive;
    buttons.start.disabled = self || n.alive;
    this.tickRow(n);
  }

  private tickRow(n: NodeView): void {
    const td = this.#rows.get(n.key)?.cells.uptime;
    if (!td) return;
    const running = n.alive && (n.state === 'healthy' || n.state === 'unhealthy' || n.state === 'starting');
    td.textContent = running && n.since ? ago(Date.now() - Date.parse(n.since)) : '—';
  }

  private tick(): void {
    if (this.el.hidden) return;
    for (const n of this.store.nodes.values()) this.tickRow(n);
  }
}
