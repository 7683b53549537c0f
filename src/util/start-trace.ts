// Start-up phase marks for bench/sidecar-profile.ts: one line per mark (pid, name,
// ms since the process began, CPU ms so far) appended to the file named by
// DEVPORT_START_TRACE. Unset (always, outside that benchmark), a mark is one branch.

import { appendFileSync } from 'node:fs';

// Read at each mark, not at load: a startup snapshot would freeze a load-time read.
export function startMark(name: string): void {
  const file = process.env.DEVPORT_START_TRACE;
  if (!file) return;
  const cpu = process.cpuUsage();
  const now = performance.now();
  // The last column is the epoch ms: marks of several processes on one timeline.
  appendFileSync(file, `${process.pid} ${name} ${now.toFixed(2)} ${((cpu.user + cpu.system) / 1000).toFixed(2)} ${(performance.timeOrigin + now).toFixed(1)}\n`);
}

/** Node's own milestones (ms since the process began), once, before the first mark of ours. */
export function startMarkNode(): void {
  const file = process.env.DEVPORT_START_TRACE;
  if (!file) return;
  const t = performance.nodeTiming;
  appendFileSync(file, `${process.pid} node-env ${t.environment.toFixed(2)} -\n${process.pid} node-bootstrapped ${t.bootstrapComplete.toFixed(2)} -\n`);
}
