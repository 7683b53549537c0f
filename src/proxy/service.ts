// Placeholder until the router lands: a proxy node that only holds its port.
import type { Service, Sidecar } from '../supervisor/sidecar.js';

export class ProxyService implements Service {
  #stop: () => void = () => {};
  constructor(private readonly sc: Sidecar) {}
  async run(): Promise<void> {
    this.sc.update({ state: 'healthy' });
    await new Promise<void>((r) => (this.#stop = r));
    this.sc.update({ state: 'stopped' });
  }
  restart() {
    return { accepted: false, message: 'not implemented' };
  }
  stop(): void {
    this.#stop();
  }
}
