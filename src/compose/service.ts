// A compose node's service, inside its own sidecar like any node: waits for
// its dependencies, `compose up -d` of its services, then watches their
// containers (docker events, and `docker inspect` as a net) and turns what
// they say into the node's state; their logs go to the pane and output.log.
// restart = `compose restart`, stop = `compose stop` (volumes are kept).
// Docker's restart policy is compose's business: devport reports it, never fights it.

import { childEnv } from '../plan/child-env.js';
import type { PlanCompose } from '../plan/types.js';
import type { ServiceStateName } from '../state/types.js';
import { waitForDependencies } from '../supervisor/deps.js';
import { probe } from '../supervisor/health.js';
import { checkTransition } from '../supervisor/lifecycle.js';
import type { Service, Sidecar, StatePatch } from '../supervisor/sidecar.js';
import { detectComposeCli, type ComposeCli } from './cli.js';
import { inspectContainers, listContainers, publishedPorts, type ContainerInfo } from './docker.js';
import { lastLine, run, which } from './exec.js';
import { EventWatch, LogFollower } from './logs.js';
import { composeArgs, writeComposeFiles } from './override.js';
import { judge, type Verdict } from './verdict.js';

/** While `docker events` is heard, how often the containers are looked at anyway. */
const EVENT_NET_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ComposeService implements Service {
  readonly #compose: PlanCompose;
  readonly #env: Record<string, string>;
  #cli: ComposeCli | undefined;
  #docker = '';
  #args: string[] = [];
  /** compose up succeeded once: there are containers to watch, restart and stop. */
  #up = false;
  #generation = 0;
  #restarts = 0;
  /** Startup: probing fast, and the health timeout runs. */
  #startup = true;
  #startupSince = Date.now();
  /** A restart or start in progress: what the containers say meanwhile is not a verdict. */
  #busy: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #stopReason: string | undefined;
  readonly #stopCtl = new AbortController();
  readonly #killCtl = new AbortController();
  #stopped!: () => void;
  readonly #done = new Promise<void>((r) => (this.#stopped = r));
  #wake: () => void = () => {};
  readonly #followers = new Map<string, LogFollower>();
  #events: EventWatch | undefined;
  /** An engine event since the current look began. */
  #heard = false;

  constructor(private readonly sc: Sidecar) {
    if (!sc.node.compose) throw new Error(`"${sc.node.key}" is not a compose node`);
    this.#compose = sc.node.compose;
    this.#env = childEnv(sc.plan, sc.node);
  }

  async run(): Promise<void> {
    try {
      await this.main();
    } catch (err: unknown) {
      this.sc.say(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.stop('internal error in the supervisor');
    }
    await this.#done;
  }

  private async main(): Promise<void> {
    const deps = this.sc.node.dependsOn;
    if (deps.length > 0) {
      const ready = await waitForDependencies(this.sc.plan.stateDir, deps, this.sc.plan.runId, this.#stopCtl.signal, (waiting) =>
        this.sc.transition('pending', { reason: `waiting for ${waiting.join(', ')}` }),
      );
      if (!ready) return;
    }
    await this.exclusive(() => this.start());
    await this.monitor();
  }

  /** One start or restart at a time; the monitor holds its verdicts meanwhile. */
  private exclusive(fn: () => Promise<void>): Promise<void> {
    this.#inFlight++;
    const next = this.#busy.then(fn).finally(() => {
      this.#inFlight--;
      this.#wake();
    });
    this.#busy = next.catch(() => undefined);
    return next;
  }

  private fail(reason: string, exitCode: number | null = null): void {
    this.sc.say(reason);
    this.to('failed', { reason, exit_code: exitCode, health: { ok: false, detail: reason, checked_at: new Date().toISOString() } });
  }

  /** A state change, through `starting` where the table has no direct path (exited → healthy: it was started again). */
  private to(state: ServiceStateName, patch: StatePatch): void {
    const from = this.sc.state;
    if (from === 'stopping' || from === 'stopped') return;
    if (from === state) return this.sc.update(patch);
    if (!checkTransition(from, state)) this.sc.transition('starting', { generation: this.#generation });
    this.sc.transition(state, patch);
  }

  /** compose up -d of the node's services. */
  private async start(): Promise<void> {
    if (this.#stopReason !== undefined) return;
    const node = this.sc.node;
    this.#cli ??= await detectComposeCli(this.#env);
    if (!this.#cli) return this.fail('neither `docker compose` (v2) nor `docker-compose` (v1) is on PATH (error COMPOSE_NOT_FOUND)');
    this.#docker = which('docker', this.#env) ?? '';
    if (!this.#docker) return this.fail('the docker CLI is not on PATH: devport needs it to follow the containers (error DOCKER_UNAVAILABLE)');
    const files = writeComposeFiles(this.sc.plan, node, this.sc.dir);
    this.#args = [...this.#cli.argv, ...composeArgs(this.#compose.project, files, this.#compose.profiles)];
    this.#generation++;
    this.#startup = true;
    this.#startupSince = Date.now();
    this.to('starting', { generation: this.#generation, restarts: this.#restarts, reason: null, exit_code: null, pid: null, pgid: null, pid_start: null, health: null });
    const published = this.#compose.containerPort !== null ? `, container port ${this.#compose.containerPort} on ${node.url ?? node.port}` : '';
    this.sc.say(`${this.#cli.kind === 'v2' ? 'docker compose' : 'docker-compose'} up: project ${this.#compose.project}, ${this.#compose.services.join(', ')}${published}`);
    // Not cut short by a graceful stop: a half-made `up` would leave containers the stop does not know of.
    const r = await run([...this.#args, 'up', '-d', ...this.#compose.services], { env: this.#env, cwd: node.cwd, signal: this.#killCtl.signal, onOutput: (d) => this.sc.childOutput(d) });
    if (r.code !== 0) {
      if (this.#stopReason === undefined) this.fail(`compose up failed (${r.error ?? `exit ${r.code}`}): ${lastLine(r.stderr) || 'see the output above'}`, r.code);
      return;
    }
    this.#up = true;
    this.#events ??= new EventWatch(this.#docker, this.#env, this.#compose.project, () => {
      this.#heard = true;
      this.#wake();
    });
  }

  /** Watches the containers until the service stops. */
  private async monitor(): Promise<void> {
    let delay = 50;
    while (this.#stopReason === undefined) {
      this.#heard = false;
      if (this.#up && this.#inFlight === 0) await this.check();
      const steady = !this.#startup;
      const h = this.sc.node.health;
      // Steady, the engine's events say what changes; the look every recheck_interval is only a net for
      // when they cannot be heard. A devport probe has no event: it keeps its own interval.
      const heard = this.#events?.live === true && this.#compose.health !== 'devport';
      delay = steady ? (heard ? Math.max(h.recheckIntervalMs, EVENT_NET_MS) : h.recheckIntervalMs) : Math.min(delay * 2, Math.max(h.intervalMs, 500));
      await new Promise<void>((resolve) => {
        // An event came while that look ran (it may have seen the state before it): look again.
        if (this.#heard) return void setTimeout(resolve, 30);
        const t = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(t);
          // Events come in bursts (die, stop, health_status…): one look after it settles.
          setTimeout(resolve, 30);
        };
      });
      this.#wake = () => {};
    }
  }

  private async containers(): Promise<{ ok: true; list: ContainerInfo[] } | { ok: false; reason: string }> {
    const listed = await listContainers(this.#docker, this.#env, this.#compose.project);
    if (!listed.ok) return listed;
    const ids = listed.containers.filter((c) => this.#compose.services.includes(c.service)).map((c) => c.id);
    const seen = await inspectContainers(this.#docker, this.#env, ids);
    return seen.ok ? { ok: true, list: seen.containers } : seen;
  }

  /** One look at the containers, and the state it makes. */
  private async check(): Promise<void> {
    const now = () => new Date().toISOString();
    const seen = await this.containers();
    if (this.#stopReason !== undefined || this.#inFlight > 0) return;
    if (!seen.ok) {
      // The engine went away (or answers nonsense): the containers' state is unknown, not fine.
      this.to('unhealthy', { health: { ok: false, detail: seen.reason, checked_at: now() } });
      return;
    }
    this.follow(seen.list);
    let v: Verdict = judge(this.#compose.services, seen.list, this.#compose.health, { ms: this.sc.node.health.settleMs, now: Date.now() });
    if (v.state === 'healthy') v = await this.refine(v, seen.list);
    if (this.#stopReason !== undefined || this.#inFlight > 0) return;
    const restarts = this.#restarts + seen.list.reduce((n, c) => n + c.restartCount, 0);
    switch (v.state) {
      case 'healthy':
        this.#startup = false;
        this.to('healthy', { restarts, reason: null, exit_code: null, health: { ok: true, detail: v.detail, checked_at: now() } });
        return;
      case 'starting': {
        const timeout = this.sc.node.health.timeoutMs;
        if (this.#startup && Date.now() - this.#startupSince > timeout) {
          this.to('unhealthy', { restarts, health: { ok: false, detail: `not healthy after ${Math.round(timeout / 1000)} s: ${v.detail}`, checked_at: now() } });
        } else if (this.sc.state !== 'starting' && this.sc.state !== 'unhealthy') {
          this.to('starting', { generation: this.#generation, restarts, health: { ok: false, detail: v.detail, checked_at: now() } });
        } else this.sc.update({ restarts, health: { ok: false, detail: v.detail, checked_at: now() } });
        return;
      }
      case 'unhealthy':
        this.to('unhealthy', { restarts, health: { ok: false, detail: v.detail, checked_at: now() } });
        return;
      case 'backoff':
        this.to('backoff', { restarts, reason: v.detail, exit_code: v.exitCode, next_restart_at: null, health: { ok: false, detail: v.detail, checked_at: now() } });
        return;
      case 'exited':
      case 'failed': {
        if (this.sc.state === v.state && this.sc.record.state.reason === v.detail) return;
        // Its last lines first: `docker logs` ends a moment after the container.
        let f = v.container ? this.#followers.get(v.container.id) : undefined;
        if (f) await Promise.race([f.done, sleep(1000)]);
        // Attached as it exited, `docker logs -f` can get nothing: read its run once more.
        if (v.container && f?.bytes === 0) {
          const c = v.container;
          f = new LogFollower(this.#docker, this.#env, c.id, c.startedAt, '', this.#compose.services.length > 1 ? `${c.service} | ` : '', (d) => this.sc.childOutput(d));
          this.#followers.set(c.id, f);
          await Promise.race([f.done, sleep(2000)]);
        }
        const last = f?.lastLines(1)[0];
        const reason = last ? `${v.detail}: ${last.slice(0, 200)}` : v.detail;
        if (this.#stopReason !== undefined || this.#inFlight > 0) return;
        this.sc.say(reason);
        this.to(v.state, { restarts, reason, exit_code: v.exitCode, health: { ok: false, detail: v.detail, checked_at: now() } });
        return;
      }
      default: {
        const never: never = v;
        return never;
      }
    }
  }

  /** Running containers: is the allocated port really theirs, and does a devport probe (if any) pass? */
  private async refine(v: Verdict, list: ContainerInfo[]): Promise<Verdict> {
    const node = this.sc.node;
    const cp = this.#compose.containerPort;
    const primary = list.find((c) => c.service === this.#compose.services[0]);
    if (cp !== null && node.port !== null && primary) {
      const ports = publishedPorts(primary, cp);
      if (!ports.includes(node.port)) {
        const where = ports.length > 0 ? `on ${ports.join(', ')}` : 'nowhere';
        return { state: 'failed', exitCode: null, container: null, detail: `container port ${cp} of ${primary.name} is published ${where}, not on ${node.prefix}_PORT=${node.port}: publish it as "\${${node.prefix}_PORT}:${cp}" in the compose file, or remove that mapping (devport publishes it)` };
      }
    }
    if (this.#compose.health !== 'devport') return v;
    const r = await probe(node.health, { port: node.port, host: node.host, env: this.#env, cwd: node.cwd, childPid: () => null, spawnedAt: () => this.#startupSince }, this.#stopCtl.signal);
    return r.ok ? { state: 'healthy', detail: r.detail } : { state: this.#startup ? 'starting' : 'unhealthy', detail: r.detail };
  }

  /** A `docker logs -f` for each container run (a new one after docker restarted it). */
  private follow(list: ContainerInfo[]): void {
    const prefix = this.#compose.services.length > 1;
    for (const c of list) {
      // A container that already exited is followed too: `docker logs -f` prints its run and ends.
      if (c.status === 'created' || c.startedAt === '' || c.startedAt.startsWith('0001-')) continue;
      const f = this.#followers.get(c.id);
      if (f && (f.run === c.startedAt || f.running)) continue;
      f?.kill();
      this.#followers.set(c.id, new LogFollower(this.#docker, this.#env, c.id, c.startedAt, c.finishedAt < c.startedAt ? c.finishedAt : '', prefix ? `${c.service} | ` : '', (d) => this.sc.childOutput(d)));
    }
  }

  restart(): { accepted: boolean; message: string } {
    if (this.#stopReason !== undefined) return { accepted: false, message: 'stopping' };
    if (this.sc.state === 'pending') return { accepted: false, message: 'waiting for its dependencies' };
    this.#restarts++;
    void this.exclusive(async () => {
      if (this.#stopReason !== undefined) return;
      // Never up (no compose, a failed `up`): try the whole start again.
      if (!this.#up) return this.start();
      this.#generation++;
      this.#startup = true;
      this.#startupSince = Date.now();
      this.to('starting', { generation: this.#generation, restarts: this.#restarts, reason: 'restart requested', exit_code: null, health: null });
      this.sc.say(`compose restart ${this.#compose.services.join(' ')}`);
      const r = await run([...this.#args, 'restart', '-t', String(this.stopSeconds()), ...this.#compose.services], { env: this.#env, cwd: this.sc.node.cwd, signal: this.#killCtl.signal, onOutput: (d) => this.sc.childOutput(d) });
      if (r.code !== 0 && this.#stopReason === undefined) this.sc.say(`compose restart failed (${r.error ?? `exit ${r.code}`}): ${lastLine(r.stderr)}`);
      this.#startupSince = Date.now();
    });
    return { accepted: true, message: 'restarting' };
  }

  private stopSeconds(): number {
    return Math.max(1, Math.ceil(this.sc.node.stopTimeoutMs / 1000));
  }

  stop(reason: string): void {
    if (this.#stopReason !== undefined) {
      // Again: no more grace. Kill what runs (compose stop, compose up) and the containers.
      this.#killCtl.abort();
      return;
    }
    this.#stopReason = reason;
    this.#stopCtl.abort();
    this.sc.transition('stopping', { reason });
    this.#wake();
    void this.shutdown();
  }

  private async shutdown(): Promise<void> {
    let how = 'nothing was running';
    try {
      await this.#busy;
      if (this.#up) {
        this.sc.say(`compose stop ${this.#compose.services.join(' ')}`);
        const r = await run([...this.#args, 'stop', '-t', String(this.stopSeconds()), ...this.#compose.services], { env: this.#env, cwd: this.sc.node.cwd, signal: this.#killCtl.signal, onOutput: (d) => this.sc.childOutput(d) });
        how = r.code === 0 ? 'containers stopped (volumes kept)' : `compose stop failed (${r.error ?? `exit ${r.code}`}): ${lastLine(r.stderr)}`;
        if (r.code !== 0) {
          // Stop them anyway, directly: nothing may be left running.
          const listed = await listContainers(this.#docker, this.#env, this.#compose.project, { running: true });
          const ids = listed.ok ? listed.containers.filter((c) => this.#compose.services.includes(c.service)).map((c) => c.id) : [];
          if (ids.length > 0) {
            const k = await run([this.#docker, this.#killCtl.signal.aborted ? 'kill' : 'stop', ...ids], { env: this.#env, timeoutMs: 30_000 });
            if (k.code === 0) how += `; ${ids.length} container(s) stopped with docker`;
          }
        }
      }
    } finally {
      this.#events?.close();
      // The containers' last words, then no more following.
      await Promise.race([Promise.all([...this.#followers.values()].map((f) => f.done)), sleep(500)]);
      for (const f of this.#followers.values()) f.kill();
      this.sc.say(how);
      this.sc.transition('stopped', { reason: how, pid: null, health: null });
      this.#stopped();
    }
  }
}
