// ANSI colour, honouring NO_COLOR / FORCE_COLOR and whether the stream is a TTY.

import { fnv1a } from './hash.js';

export interface Palette {
  enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  /** One of a rotation of distinct colours, for per-service prefixes. */
  pick(index: number, s: string): string;
  /** A service's own colour: the same in `up`, `logs` and `ps`, whatever else runs beside it. */
  service(key: string, s: string): string;
}

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const wrap = (on: boolean, open: number, close: number) => (s: string) =>
  on ? `\u001b[${open}m${s}\u001b[${close}m` : s;

const ROTATION = [36, 33, 35, 32, 34, 96, 93, 95, 92, 94];

export function palette(enabled: boolean): Palette {
  return {
    enabled,
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    blue: wrap(enabled, 34, 39),
    cyan: wrap(enabled, 36, 39),
    magenta: wrap(enabled, 35, 39),
    dim: wrap(enabled, 2, 22),
    bold: wrap(enabled, 1, 22),
    pick: (i, s) => wrap(enabled, ROTATION[i % ROTATION.length] ?? 36, 39)(s),
    service: (key, s) => wrap(enabled, ROTATION[fnv1a(key) % ROTATION.length] ?? 36, 39)(s),
  };
}

// CSI, OSC and two-byte escapes: enough to make pty output plain text.
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}
