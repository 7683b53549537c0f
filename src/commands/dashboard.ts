// `devport dashboard`: the web dashboard in the foreground for a running
// stack (Ctrl-C stops it), or `--url`: the URL of the stack's supervised one.

import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import { DASHBOARD_KEY } from '../dashboard/key.js';
import { newToken } from '../dashboard/auth.js';
import { dashboardUrl } from '../dashboard/url.js';
import { startDashboard } from '../dashboard/server.js';
import { stateDirOf } from './common.js';

export interface DashboardOptions {
  file?: string;
  port?: string;
  url?: boolean;
  json?: boolean;
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UserError([failure('USAGE', `--port ${text} is not a port`, { hint: 'write --port 8899 (1-65535), or leave it out for any free port' })]);
  return n;
}

export async function dashboard(opts: DashboardOptions): Promise<number> {
  const port = parsePort(opts.port);
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  if (opts.url) {
    const url = dashboardUrl(path.join(stateDir, DASHBOARD_KEY));
    if (!url) throw new UserError([failure('NOT_RUNNING', 'this stack has no dashboard running', { hint: '`devport up --dashboard` adds one to the stack; `devport dashboard` runs one in the foreground' })]);
    process.stdout.write(opts.json ? JSON.stringify({ url }) + '\n' : `${url}\n`);
    return 0;
  }
  let d;
  try {
    d = await startDashboard({ stateDir, port, token: newToken(), self: null, say: (m) => process.stderr.write(`devport dashboard: ${m}\n`) });
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError([failure('PORT_IN_USE', `cannot listen on 127.0.0.1:${port}: ${code ?? String(err)}`, { hint: 'choose another --port, or leave it out for any free one' })]);
  }
  // Only to the owner's terminal: the token is the key to the stack.
  process.stdout.write(opts.json ? JSON.stringify({ url: d.url, port: d.port }) + '\n' : `devport dashboard: ${d.url}\n  Ctrl-C stops it (the stack runs on)\n`);
  await new Promise<void>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve());
  });
  await d.close();
  return 0;
}
