import type { DevportEvent, Logger } from './types.js';

/** NDJSON on stdout: one envelope per event, nothing else on stdout. */
export class JsonLogger implements Logger {
  #seq = 0;
  constructor(private readonly write: (text: string) => void = (t) => void process.stdout.write(t)) {}

  log(e: DevportEvent): void {
    this.write(JSON.stringify({ v: 1, ts: new Date().toISOString(), seq: ++this.#seq, ...e }) + '\n');
  }
}
