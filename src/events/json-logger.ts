import type { DevportEvent, Logger } from './types.js';

/** NDJSON on stdout: one envelope per event, nothing else on stdout. */
export class JsonLogger implements Logger {
  #seq = 0;
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  log(e: DevportEvent): void {
    this.out.write(JSON.stringify({ v: 1, ts: new Date().toISOString(), seq: ++this.#seq, ...e }) + '\n');
  }
}
