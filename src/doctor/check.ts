// One environment check's result: data, never an exception. `hint` says what
// to do, and is there exactly when the status is not ok.

export type Status = 'ok' | 'warn' | 'fail';

/** Every check, in the order doctor runs and prints them (spec/doctor.schema.json lists the same names). */
export const CHECK_NAMES = ['node', 'tmux', 'lock', 'node-pty', 'watcher', 'docker', 'compose', 'spec', 'ports', 'runtime-dir', 'state-dir'] as const;

export type CheckName = (typeof CHECK_NAMES)[number];

export interface Check {
  name: CheckName;
  status: Status;
  /** One line: what was found. */
  detail: string;
  /** What to do about it; only when status is not ok. */
  hint?: string;
}

export const ok = (name: CheckName, detail: string): Check => ({ name, status: 'ok', detail });
export const warn = (name: CheckName, detail: string, hint: string): Check => ({ name, status: 'warn', detail, hint });
export const fail = (name: CheckName, detail: string, hint: string): Check => ({ name, status: 'fail', detail, hint });

/** A warning, or a failure when what is missing is needed by this project (`needed`). */
export const lacking = (name: CheckName, needed: boolean, detail: string, hint: string): Check => (needed ? fail : warn)(name, detail, hint);
