// `devport attach [svc]`: that service's tmux window, attached (or switched to, inside tmux).

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import { readJson } from '../state/atomic.js';
import { TMUX_FILE, type TmuxRecord } from '../state/dirs.js';
import { stateFileOf } from '../state/read.js';
import { tmux, WINDOW_TAG, windowTag } from '../stack/tmux.js';
import { stateDirOf } from './common.js';
import { resolveServices } from './services.js';

export function attach(opts: { service?: string; file?: string; json?: boolean }): number {
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const rec = readJson<TmuxRecord>(path.join(stateDir, TMUX_FILE));
  const notInTmux = () =>
    new UserError([failure('NOT_RUNNING', 'this stack is not running in tmux', { hint: '`devport logs -f` follows its output; `devport up` (without --no-tmux) runs it in tmux' })]);
  if (!rec) throw notInTmux();
  const sock = rec.socket ? ['-S', rec.socket] : [];
  let target = `=${rec.session}:`;
  if (tmux([...sock, 'has-session', '-t', `=${rec.session}`]).code !== 0) {
    throw new UserError([failure('NOT_RUNNING', `tmux session ${rec.session} is not running`, { hint: 'start the stack with `devport up`' })]);
  }
  if (opts.service) {
    const [key = ''] = resolveServices(stateDir, [opts.service]);
    const pane = stateFileOf(path.join(stateDir, key))?.supervisor.tmux?.pane;
    if (!pane) throw notInTmux();
    // Pane ids restart with the tmux server: only a window devport tagged with this project and key.
    const tag = tmux([...sock, 'display-message', '-p', '-t', pane, `#{${WINDOW_TAG}}`]);
    if (tag.code !== 0 || tag.stdout.trim() !== windowTag(key, path.dirname(stateDir))) {
      throw new UserError([failure('NOT_RUNNING', `the tmux window of "${key}" is gone`, { hint: '`devport ls` shows whether it runs; `devport logs ' + key + '` shows its output' })]);
    }
    target = pane;
  }
  if (opts.json) {
    // For an agent (no terminal to attach): where the pane is, and the command a person would run.
    process.stdout.write(JSON.stringify({ session: rec.session, socket: rec.socket, target, command: ['tmux', ...sock, 'attach-session', '-t', target] }) + '\n');
    return 0;
  }
  tmux([...sock, 'select-window', '-t', target]);
  const inside = process.env.TMUX !== undefined && process.env.TMUX.split(',')[0] === rec.socket;
  const args = inside ? [...sock, 'switch-client', '-t', target] : [...sock, 'attach-session', '-t', target];
  return spawnSync('tmux', args, { stdio: 'inherit' }).status ?? 1;
}
