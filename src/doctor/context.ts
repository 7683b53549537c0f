// What the checks share: the environment they look at and the spec found once
// (several checks depend on it: its port range, whether it uses compose or watch).

import path from 'node:path';
import { failure, type Failure } from '../errors/failure.js';
import { discoverSpec } from '../spec/discover.js';
import { loadSpec, type LoadedSpec } from '../spec/load.js';

export type SpecState =
  | { kind: 'missing'; explicit: boolean; failure: Failure }
  | { kind: 'invalid'; file: string; failures: Failure[] }
  | { kind: 'valid'; file: string; loaded: LoadedSpec };

export interface DoctorContext {
  cwd: string;
  env: Record<string, string>;
  spec: SpecState;
  /** .devport/ of the spec's project, when a spec file was found (valid or not). */
  stateDir: string | undefined;
}

/** process.env without its undefined values (the compose helpers want strings). */
export function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export function doctorContext(opts: { cwd: string; env: NodeJS.ProcessEnv; file: string | undefined }): DoctorContext {
  const env = stringEnv(opts.env);
  const found = discoverSpec(opts.file, opts.cwd);
  if (!found.ok) {
    const why = found.failures[0] ?? failure('SPEC_NOT_FOUND', 'no devport.toml found');
    return { cwd: opts.cwd, env, spec: { kind: 'missing', explicit: opts.file !== undefined, failure: why }, stateDir: undefined };
  }
  const file = found.value;
  const loaded = loadSpec(file);
  const stateDir = path.join(path.dirname(file), '.devport');
  if (!loaded.ok) return { cwd: opts.cwd, env, spec: { kind: 'invalid', file, failures: loaded.failures }, stateDir };
  return { cwd: opts.cwd, env, spec: { kind: 'valid', file, loaded: loaded.value }, stateDir };
}

/** The nodes of a valid spec (empty otherwise): what the spec needs decides some statuses. */
export function specNodes(ctx: DoctorContext): LoadedSpec['tree'] {
  return ctx.spec.kind === 'valid' ? ctx.spec.loaded.tree : [];
}
