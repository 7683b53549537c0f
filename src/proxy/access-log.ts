// An access line per request in the proxy's output: method, path, route, status, ms.
// Lines are batched and flushed every few milliseconds: at thousands of
// requests a second, a write per request would cost more than the proxying.

import { palette } from '../util/color.js';

export class AccessLog {
  #buf = '';
  #timer: NodeJS.Timeout | undefined;
  readonly #c = palette(process.stdout.isTTY === true && !process.env.NO_COLOR);

  constructor(private readonly write: (text: string) => void) {}

  line(method: string, path: string, route: string, status: number, ms: number): void {
    const c = this.#c;
    const st = status >= 500 ? c.red(String(status)) : status >= 400 ? c.yellow(String(status)) : c.green(String(status));
    this.#buf += `${method} ${path} ${c.dim('→')} ${route} ${st} ${c.dim(`${ms.toFixed(1)}ms`)}\n`;
    if (this.#buf.length > 64 * 1024) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), 25);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buf === '') return;
    const text = this.#buf;
    this.#buf = '';
    this.write(text);
  }
}
