// Builtins a sidecar needs only sometimes, loaded on first use and synchronously:
// in the CommonJS sidecar (dist/cli/sidecar.cjs) an import() would first set up
// Node's ESM loader, which costs more than the module it loads.

import { createRequire } from 'node:module';

const req = createRequire(import.meta.url);

export const childProcess = (): typeof import('node:child_process') => req('node:child_process') as typeof import('node:child_process');
export const nodeHttp = (): typeof import('node:http') => req('node:http') as typeof import('node:http');
export const nodeHttps = (): typeof import('node:https') => req('node:https') as typeof import('node:https');
