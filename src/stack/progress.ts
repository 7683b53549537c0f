// What `up` shows while it waits: on a TTY one line per service updated in
// place; otherwise a line per change; with --json a `service` event per change.

import type { Logger } from '../events/types.js';
import type { PlanNode } from '../plan/types.js';
import type { ServiceRecord, ServiceStateName } from '../state/types.js';
import { palette, type Palette } from '../util/color.js';
import { cutToWidth } from '../util/text.js';

export interface Progress {
  change(node: PlanNode, s: ServiceRecord | undefined): void;
  /** Stops redrawing; the lines stay as they are. */
  done(): void;
}

type Look = { mark: string; paint: (c: Palette, s: string) => string };

export function look(state: ServiceStateName | 'launching'): Look {
  switch (state) {
    case 'healthy':
    case 'completed':
      return { mark: state === 'completed' ? '✓' : '●', paint: (c, s) => c.green(s) };
    case 'unhealthy':
    case 'failed':
    case 'exited':
    case 'crashloop':
      return { mark: '✗', paint: (c, s) => c.red(s) };
    case 'backoff':
    case 'stopping':
    case 'stopped':
      return { mark: '◌', paint: (c, s) => c.yellow(s) };
    case 'starting':
    case 'building':
    case 'reloading':
      return { mark: '◐', paint: (c, s) => c.cyan(s) };
    case 'pending':
    case 'launching':
      return { mark: '◌', paint: (c, s) => c.dim(s) };
    default: {
      const never: never = state;
      return never;
    }
  }
}

function detailOf(node: PlanNode, s: ServiceRecord | undefined): string {
  if (!s) return 'starting its supervisor';
  switch (s.state) {
    case 'pending':
      return node.dependsOn.length > 0 ? `waiting for ${node.dependsOn.map((d) => d.key).join(', ')}` : '';
    case 'starting':
      return s.health && s.health.detail !== 'starting' ? s.health.detail : '';
    case 'healthy':
      return node.url ?? (node.kind === 'task' ? '' : 'running');
    case 'backoff':
    case 'crashloop':
    case 'exited':
    case 'failed':
      return s.reason ?? '';
    case 'unhealthy':
      return s.health?.detail ?? '';
    default:
      return '';
  }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function createProgress(opts: { mode: 'tty' | 'plain' | 'json'; color: boolean; t0: number; logger?: Logger; out: { write(text: string): unknown }; nodes: readonly PlanNode[] }): Progress {
  const c = palette(opts.color);
  const width = Math.max(...opts.nodes.map((n) => n.key.length), 4);
  const rows = new Map<string, { state: ServiceStateName | 'launching'; detail: string; at: number; node: PlanNode }>();
  for (const n of opts.nodes) rows.set(n.key, { state: 'launching', detail: detailOf(n, undefined), at: opts.t0, node: n });

  const line = (key: string) => {
    const r = rows.get(key);
    if (!r) return '';
    const l = look(r.state);
    const label = r.state === 'launching' ? 'launching' : r.state;
    const elapsed = r.state === 'healthy' || r.state === 'completed' ? secs(r.at - opts.t0) : secs(Date.now() - opts.t0);
    return `  ${l.paint(c, l.mark)} ${c.bold(key.padEnd(width))}  ${l.paint(c, label.padEnd(10))} ${c.dim(elapsed.padStart(6))}  ${r.detail}`;
  };

  if (opts.mode === 'json') {
    return {
      change: (node, s) => {
        if (!s) return;
        opts.logger?.log({
          event: 'service',
          service: node.key,
          state: s.state,
          duration_ms: Date.now() - opts.t0,
          ...(s.health ? { detail: s.health.detail } : {}),
          port: s.port,
          url: s.url,
          restarts: s.restarts,
          exit_code: s.exit_code,
        });
      },
      done: () => {},
    };
  }

  if (opts.mode === 'plain') {
    return {
      // A line per state change; probe details that change within a state are for the TTY view.
      change: (node, s) => {
        if (!s || rows.get(node.key)?.state === s.state) return;
        rows.set(node.key, { state: s.state, detail: detailOf(node, s), at: Date.now(), node });
        opts.out.write(`${line(node.key)}\n`);
      },
      done: () => {},
    };
  }

  // TTY: draw all lines, then redraw them in place — each cut to the width, or a wrapped line
  // would push the ones below and the redraw would land in the wrong place.
  let drawn = 0;
  const columns = () => Math.max(20, (process.stdout.columns || 80) - 1);
  const draw = () => {
    let text = drawn > 0 ? `\u001b[${drawn}A` : '';
    for (const n of opts.nodes) text += `\u001b[2K${cutToWidth(line(n.key), columns())}\n`;
    drawn = opts.nodes.length;
    opts.out.write(text);
  };
  draw();
  const timer = setInterval(draw, 100);
  return {
    change: (node, s) => {
      rows.set(node.key, { state: s?.state ?? 'launching', detail: detailOf(node, s), at: Date.now(), node });
      draw();
    },
    done: () => {
      clearInterval(timer);
      draw();
    },
  };
}
