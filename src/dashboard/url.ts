// The supervised dashboard's URL with its token: for `up`'s summary and
// `devport dashboard --url`, read from the node's 0600 token file.

import path from 'node:path';
import { readRegularFile } from '../util/read-file.js';
import { stateFileOf } from '../state/read.js';
import { TOKEN_FILE } from './key.js';

export function dashboardUrl(dir: string): string | undefined {
  const token = readRegularFile(path.join(dir, TOKEN_FILE), { maxBytes: 1024, noFollow: true });
  const state = stateFileOf(dir)?.state;
  if (!token.ok || !state?.port || (state.state !== 'healthy' && state.state !== 'starting')) return undefined;
  return `http://127.0.0.1:${state.port}/?token=${token.text.trim()}`;
}
