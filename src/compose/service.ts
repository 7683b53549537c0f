// Placeholder until compose support lands.
import type { Service, Sidecar } from '../supervisor/sidecar.js';

export class ComposeService implements Service {
  #stop: () => void = () => {};
  constructor(private readonly sc: Sidecar) {}
  async run(): Promise<void> {
    this.sc.transition('failed', { reason: 'compose services are not supported yet' });
    await new Promise<void>((r) => (this.#stop = r));
    this.sc.transition('stopping', { reason: 'stop requested' });
    this.sc.transition('stopped', { reason: 'stopped' });
  }
  restart() {
    return { accepted: false, message: 'not implemented' };
  }
  stop(): void {
    this.#stop();
  }
}
