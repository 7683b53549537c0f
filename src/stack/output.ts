// The terminal (or pipe) `up` writes to: once it is gone, writes stop and the
// stack is stopped (an EIO or EPIPE must not kill `up` half-way through).

export class Output {
  gone = false;

  constructor(private readonly onGone: (why: string) => void) {
    const fail = (err: NodeJS.ErrnoException) => {
      if (this.gone) return;
      this.gone = true;
      this.onGone(`its output went away (${err.code ?? err.message})`);
    };
    process.stdout.on('error', fail);
    process.stderr.on('error', () => {});
  }

  write(text: string): void {
    if (!this.gone) process.stdout.write(text);
  }

  /** Errors go to stderr, as the CLI prints them. */
  error(text: string): void {
    if (!this.gone) process.stderr.write(text);
  }
}
