// The lifecycle table is the only way a state changes: walked here, and an
// illegal transition is a thrown bug. Plus the small leaks found by hand.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Plan, PlanNode } from '../src/plan/types.js';
import { ensureServiceDir } from '../src/state/dirs.js';
import { SERVICE_STATES } from '../src/state/schema.js';
import type { ServiceStateName } from '../src/state/types.js';
import { stopChild } from '../src/supervisor/graceful.js';
import { checkTransition, IllegalTransition, NEXT } from '../src/supervisor/lifecycle.js';
import { Sidecar } from '../src/supervisor/sidecar.js';

describe('the lifecycle table', () => {
  test('every state has an entry, and only known states follow', () => {
    assert.deepEqual(Object.keys(NEXT).sort(), [...SERVICE_STATES].sort());
    for (const [from, tos] of Object.entries(NEXT)) for (const to of tos) assert.ok((SERVICE_STATES as readonly string[]).includes(to), `${from} → ${to}`);
  });

  test('stopping is reachable from every state but stopping and stopped; stopped is final', () => {
    for (const s of SERVICE_STATES) assert.equal(checkTransition(s, 'stopping'), s !== 'stopping' && s !== 'stopped', s);
    for (const s of SERVICE_STATES) assert.equal(checkTransition('stopped', s), false, `stopped → ${s}`);
    assert.deepEqual(NEXT.stopping, ['stopped']);
  });

  test('every state is reachable from pending, and every state but stopped can reach stopped', () => {
    const reach = (from: ServiceStateName): Set<ServiceStateName> => {
      const seen = new Set<ServiceStateName>([from]);
      const queue = [from];
      while (queue.length > 0) {
        const s = queue.pop() as ServiceStateName;
        for (const t of [...NEXT[s], ...(checkTransition(s, 'stopping') ? (['stopping'] as const) : [])]) {
          if (!seen.has(t)) {
            seen.add(t);
            queue.push(t);
          }
        }
      }
      return seen;
    };
    // `reloading` is entered by hot reload (reload_signal), which starts from a running child.
    for (const s of SERVICE_STATES) assert.ok(reach('pending').has(s) || s === 'reloading', `${s} unreachable from pending`);
    for (const s of SERVICE_STATES) assert.ok(reach(s).has('stopped'), `${s} cannot reach stopped`);
  });

  test('the paths a real service takes are in the table', () => {
    const paths: ServiceStateName[][] = [
      ['pending', 'starting', 'healthy', 'unhealthy', 'healthy', 'stopping', 'stopped'],
      ['pending', 'pending', 'starting', 'healthy', 'backoff', 'starting', 'healthy'],
      // A typo in command: the spawn fails before any child ran.
      ['pending', 'backoff', 'backoff', 'crashloop', 'crashloop', 'stopping', 'stopped'],
      ['pending', 'exited', 'starting', 'exited'],
      ['pending', 'failed', 'starting', 'completed', 'starting', 'failed'],
      ['pending', 'building', 'starting', 'healthy', 'building', 'starting', 'healthy'],
      ['pending', 'building', 'backoff', 'building', 'starting'],
      ['starting', 'starting', 'healthy'],
    ];
    for (const p of paths) for (let i = 1; i < p.length; i++) assert.ok(checkTransition(p[i - 1] as ServiceStateName, p[i] as ServiceStateName), `${p[i - 1]} → ${p[i]} in ${p.join(' → ')}`);
  });

  test('Sidecar.transition throws IllegalTransition for a change the table does not allow', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-life-'));
    try {
      const node = { key: 'x', kind: 'exec', port: null, url: null, dependsOn: [] } as unknown as PlanNode;
      const plan = { projectDir: dir, stateDir: path.join(dir, '.devport'), spec: path.join(dir, 'devport.toml'), runId: null, tmuxSession: 's', nodes: [node] } as unknown as Plan;
      ensureServiceDir(plan.stateDir, 'x');
      const sc = new Sidecar(plan, node, 'flock');
      sc.transition('starting');
      sc.transition('healthy');
      assert.throws(() => sc.transition('pending'), IllegalTransition);
      assert.equal(sc.state, 'healthy', 'an illegal transition changes nothing');
      sc.transition('stopping');
      sc.transition('stopped');
      assert.throws(() => sc.transition('starting'), /illegal state transition stopped → starting/);
      sc.output.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stopping a child', () => {
  test('leaves no abort listener behind on the long-lived skip signal (a sidecar stops once per restart)', async () => {
    const skip = new AbortController();
    for (let i = 0; i < 12; i++) {
      const c = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) => c.once('exit', (code, signal) => r({ code, signal })));
      const pid = c.pid ?? 0;
      const out = await stopChild({ gen: { pid, pgid: pid, marker: [] }, exited, stopSignal: 'SIGTERM', timeoutMs: 2000, skipGrace: skip.signal });
      assert.equal(out.how, 'exited');
    }
    assert.equal(getEventListeners(skip.signal, 'abort').length, 0);
  });
});
