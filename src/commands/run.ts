// `devport run [--service S] -- cmd…`: a command with the stack's environment
// (overmind run, docker compose run): every <PREFIX>_PORT / _URL, env_file and
// [env]; with --service, that service's whole environment and cwd. The command
// does not carry the service's marker: it is yours, not the service's, and no
// restart or `down` of the stack takes it along.

import { childEnv } from '../plan/child-env.js';
import { failure, UserError } from '../errors/failure.js';
import { currentPlan, stackValues } from '../stack/stack-env.js';
import { stateDirOf } from './common.js';
import { nodeNamed } from './env.js';

/** The shell's convention: a command killed by signal N exits 128 + N. */
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

export async function run(opts: { file?: string; service?: string; command: string[] }): Promise<number> {
  const [file, ...args] = opts.command;
  if (!file) throw new UserError([failure('USAGE', 'name the command to run', { hint: 'devport run -- npm run migrate' })]);
  const { specFile, stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const plan = await currentPlan(specFile, stateDir);
  let env: NodeJS.ProcessEnv;
  let cwd = process.cwd();
  if (opts.service) {
    const node = nodeNamed(plan, opts.service);
    env = childEnv(plan, node);
    cwd = node.cwd;
  } else env = { ...process.env, ...stackValues(plan) };
  delete env.DEVPORT_KEY;
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd, env, stdio: 'inherit' });
    // Ctrl-C reaches the command through the terminal; a signal sent to devport is passed on.
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    child.once('error', (e: NodeJS.ErrnoException) => {
      for (const [s, h] of handlers) process.off(s, h);
      process.stderr.write(`error[USAGE]: cannot run ${file}: ${e.code === 'ENOENT' ? 'command not found' : e.message}\n`);
      resolve(127);
    });
    child.once('exit', (code, sig) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(code ?? 128 + (SIGNAL_NUMBERS[sig ?? ''] ?? 0));
    });
  });
}
