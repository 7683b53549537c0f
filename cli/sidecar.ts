// The sidecar's own entry, dist/cli/sidecar.cjs: `up` starts `node sidecar.cjs
// _supervise --key KEY --plan FILE`, skipping the dispatcher. CommonJS because
// Node 20 starts a CommonJS main without setting up its ESM loader, which a
// sidecar would pay for at every start (bench/RESULTS.md, sidecar-profile).

import { supervise } from '../src/commands/supervise.js';
import { startMark, startMarkNode } from '../src/util/start-trace.js';
import { parseSuperviseArgs, runHandler } from './run-handler.js';

startMarkNode();
startMark('entry-evaluated');
const args = process.argv.slice(2);
const o = args[0] === '_supervise' ? parseSuperviseArgs(args.slice(1)) : undefined;
if (o) void runHandler(() => supervise(o));
else if (args[0] !== '_supervise') {
  process.stderr.write('error[USAGE]: sidecar.cjs runs `_supervise --key KEY --plan FILE`; use `devport` for everything else\n');
  process.exitCode = 1;
}
