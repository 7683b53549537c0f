// Loading and validating the spec: only the verbs that need its contents (up, standalone _supervise).

import { unwrap } from '../errors/failure.js';
import { loadSpec, type LoadedSpec } from '../spec/load.js';
import { resolveSpecPath, type SpecOptions } from './common.js';

export function loadSpecOrThrow(opts: SpecOptions): LoadedSpec {
  return unwrap(loadSpec(resolveSpecPath(opts)));
}
