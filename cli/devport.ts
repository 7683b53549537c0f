#!/usr/bin/env node
// Argument parsing → commands; nothing else. Each verb's module is imported
// only when that verb runs: agents call devport in loops, start-up matters.

import type { Command } from 'commander';
import '../src/sys/launch-parent.js';
import { startMark, startMarkNode } from '../src/util/start-trace.js';
import { VERSION } from '../src/version.js';
import { parseSuperviseArgs, report, runHandler, wantsJson, type Handler } from './run-handler.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function program(Command: typeof import('commander').Command): Command {
  const p = new Command('devport')
    .description("run a project's whole development stack from one devport.toml")
    .version(VERSION, '-V, --version')
    .configureOutput({
      outputError: (str, write) => {
        if (wantsJson()) write(JSON.stringify({ code: 'USAGE', message: str.replace(/^error: /, '').trim(), hint: 'see `devport --help`', docs: 'README.md#usage' }) + '\n');
        else write(str.replace(/^error: /, 'error[USAGE]: '));
      },
    })
    .exitOverride();
  // With --json, stderr holds exactly one JSON object: no help line after it.
  if (!wantsJson()) p.showHelpAfterError('(devport --help lists the verbs)');

  p.command('up')
    .description('plan, allocate ports, start every service and wait until the stack is healthy')
    .argument('[spec]', 'path of devport.toml (default: found walking up from the cwd)')
    .option('--file <path>', 'path of devport.toml')
    .option('--dry-run', 'print the plan and start nothing')
    .option('-d, --daemon', 'exit once healthy; the stack lives on in tmux')
    .option('--json', 'NDJSON events on stdout')
    .option('--tmux', 'require tmux (default: use it when installed)')
    .option('--no-tmux', 'start sidecars detached instead of in tmux windows')
    .option('--host <addr>', 'bind address (overrides host in the spec)')
    .option('--only <svc,...>', 'start only these services and what they depend on', collect)
    .option('--wait-timeout <duration>', 'give up waiting for healthy after this long')
    .option('--no-keyboard', 'ignore keys (automatic when stdin is not a TTY)')
    .option('--keep-on-failure', 'leave a failed stack running for inspection')
    .option('--profile <name>', 'a compose profile to enable (repeatable)', collect)
    .option('--fresh', "remove the stack's compose containers and volumes first (a clean database)")
    .option('--dashboard', 'run the web dashboard as a node of the stack (its URL, with a token, in the summary)')
    .action((spec: string | undefined, o: Record<string, unknown>) =>
      runHandler(async () => (await import('../src/commands/up.js')).up({ ...o, spec })),
    );

  p.command('down')
    .description('stop every service of the stack; nothing is left behind (idempotent)')
    .argument('[spec]', 'path of devport.toml')
    .option('--file <path>', 'path of devport.toml')
    .option('--timeout <duration>', 'time sidecars get to stop before they are killed (default 10s)')
    .option('--volumes', "also remove the compose services' containers, networks and volumes")
    .option('--json', 'NDJSON events on stdout')
    .action((spec: string | undefined, o: Record<string, unknown>) =>
      runHandler(async () => (await import('../src/commands/down.js')).down({ ...o, spec })),
    );

  p.command('ls')
    .description('one JSON object per service state dir (JSONL), for jq and agents')
    .argument('[services...]', 'only these (keys or names)')
    .option('--file <path>', 'path of devport.toml')
    .option('--json', 'JSONL (what ls always prints)')
    .action((services: string[], o: { file?: string }) => runHandler(async () => (await import('../src/commands/ls.js')).ls({ ...o, services })));

  p.command('ps')
    .description('the stack as a table: state, URL, pid, uptime, restarts, health')
    .argument('[services...]', 'only these (keys or names)')
    .option('--file <path>', 'path of devport.toml')
    .option('--json', 'the ls lines instead')
    .action((services: string[], o: { file?: string; json?: boolean }) => runHandler(async () => (await import('../src/commands/ps.js')).ps({ ...o, services })));

  p.command('start')
    .description("start services' sidecars in the running stack (with what they depend on), or revive dead ones")
    .argument('<services...>', 'keys or names')
    .option('--file <path>', 'path of devport.toml')
    .option('--json', 'NDJSON events on stdout')
    .option('--no-tmux', 'start the sidecars detached')
    .option('--wait-timeout <duration>', 'give up waiting for ready after this long')
    .action((services: string[], o: Record<string, unknown>) =>
      runHandler(async () => (await import('../src/commands/start.js')).start({ ...o, services })),
    );

  p.command('stop')
    .description("stop services of the running stack (their sidecars and children); the rest runs on")
    .argument('<services...>', 'keys or names')
    .option('--file <path>', 'path of devport.toml')
    .option('--timeout <duration>', 'time sidecars get to stop before they are killed (default 10s)')
    .option('--json', 'NDJSON events on stdout')
    .action((services: string[], o: Record<string, unknown>) =>
      runHandler(async () => (await import('../src/commands/stop.js')).stop({ ...o, services })),
    );

  p.command('run')
    .description("run a command with the stack's environment (a service's, with --service)")
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--file <path>', 'path of devport.toml')
    .option('-s, --service <svc>', "that service's whole environment and cwd")
    .action((command: string[], o: { file?: string; service?: string }) =>
      runHandler(async () => (await import('../src/commands/run.js')).run({ ...o, command })),
    );

  p.command('env')
    .description("print the stack's environment (a service's, when named) as dotenv lines")
    .argument('[service]', 'key or name')
    .option('--file <path>', 'path of devport.toml')
    .option('--json', 'one JSON object')
    .action((service: string | undefined, o: { file?: string; json?: boolean }) =>
      runHandler(async () => (await import('../src/commands/env.js')).env({ ...o, service })),
    );

  p.command('logs')
    .description("services' output, prefixed and coloured per service")
    .argument('[services...]', 'keys or names (default: all)')
    .option('-f, --follow', 'keep printing new output')
    .option('-n, --lines <n>', 'lines per service (default 100)')
    .option('--since <duration>', 'only output of the last DURATION (10s, 5m)')
    .option('--all', "earlier runs' output too (default: the current run's)")
    .option('--no-prefix', 'no `name |` prefix')
    .option('--json', 'one JSON object per line: service, generation, ts, text')
    .option('--file <path>', 'path of devport.toml')
    .action((services: string[], o: { follow?: boolean; lines?: string; file?: string; all?: boolean; since?: string; prefix?: boolean; json?: boolean }) =>
      runHandler(async () => (await import('../src/commands/logs.js')).logs({ ...o, services })),
    );

  p.command('requests')
    .description("the requests the stack's proxies captured (the request inspector), newest last")
    .option('--json', 'one JSON object per request and line (spec/requests.schema.json), with bodies')
    .option('--har', 'one HAR 1.2 document (Authorization, Cookie and Set-Cookie values redacted)')
    .option('--secrets', 'with --har: keep the values of secret headers')
    .option('-n, --lines <n>', 'the newest N requests that match (default 100)')
    .option('--route <route>', "only this route's (a name or a path prefix)")
    .option('--status <status>', 'only these statuses: 5xx, 404, 2xx,3xx, …')
    .option('--method <method>', 'only this method')
    .option('--proxy <proxy>', "only this proxy's (default: every proxy of the stack)")
    .option('-f, --follow', 'then print each request as it ends, until interrupted')
    .option('--file <path>', 'path of devport.toml')
    .action((o: Record<string, unknown>) => runHandler(async () => (await import('../src/commands/requests.js')).requests(o)));

  p.command('restart')
    .description('restart services through their sidecars (same port) and wait until ready')
    .argument('<services...>', 'keys or names')
    .option('--no-wait', 'return once the restart is requested')
    .option('--timeout <duration>', 'how long to wait for ready', '60s')
    .option('--json', 'NDJSON events on stdout')
    .option('--file <path>', 'path of devport.toml')
    .action((services: string[], o: Record<string, unknown>) =>
      runHandler(async () => (await import('../src/commands/restart.js')).restart({ ...o, services })),
    );

  p.command('attach')
    .description("attach to a service's tmux window (or the stack's session)")
    .argument('[service]', 'key or name')
    .option('--file <path>', 'path of devport.toml')
    .option('--json', 'print where to attach (session, window, pane, the tmux command) instead of attaching')
    .action((service: string | undefined, o: { file?: string; json?: boolean }) =>
      runHandler(async () => (await import('../src/commands/attach.js')).attach({ ...o, service })),
    );

  p.command('dashboard')
    .description("a local web page for the running stack: state, logs, actions, captured requests (127.0.0.1, a token in the URL)")
    .option('--file <path>', 'path of devport.toml')
    .option('--port <n>', 'port to listen on (default: any free one)')
    .option('--url', "print the URL of the stack's supervised dashboard (`up --dashboard`) and exit")
    .option('--json', 'one JSON object {url, port} on stdout once listening')
    .action((o: { file?: string; port?: string; url?: boolean; json?: boolean }) => runHandler(async () => (await import('../src/commands/dashboard.js')).dashboard(o)));

  p.command('doctor')
    .description('check the environment (node, tmux, locks, addons, docker, the spec, ports, state) and say what to fix')
    .argument('[spec]', 'path of devport.toml')
    .option('--file <path>', 'path of devport.toml')
    .option('--json', 'one JSON object on stdout (spec/doctor.schema.json)')
    .action((spec: string | undefined, o: { file?: string; json?: boolean }) =>
      runHandler(async () => (await import('../src/commands/doctor.js')).doctor({ ...o, spec })),
    );

  // Completion is generated from this program (verbs, flags, arguments), so it cannot drift from it.
  p.command('completion')
    .description('print a shell completion script: eval "$(devport completion bash)"')
    .addArgument(p.createArgument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action((shell: string) => runHandler(async () => (await import('../src/commands/completion.js')).completion({ shell, program: p })));

  p.command('init')
    .description('write a commented devport.toml from a Procfile, process-compose.yaml, compose.yaml or package.json')
    .argument('[dir]', 'the project directory (default: the current one)')
    .option('--force', 'overwrite an existing devport.toml')
    .option('--stdout', 'print the spec instead of writing it')
    .option('--json', 'one JSON object on stdout: {file, services, untranslated}')
    .action((dir: string | undefined, o: { force?: boolean; stdout?: boolean; json?: boolean }) =>
      runHandler(async () => (await import('../src/commands/init.js')).init({ ...o, dir })),
    );

  p.command('_supervise', { hidden: true })
    .description('the sidecar: owns one service of the stack')
    .requiredOption('--key <key>', 'the service key')
    .option('--plan <file>', 'the plan written by up')
    .option('-f, --file <path>', 'path of devport.toml (without --plan)')
    .action((o: { key: string; plan?: string; file?: string }) =>
      runHandler(async () => (await import('../src/commands/supervise.js')).supervise(o)),
    );

  return p;
}

/** `up`'s plain forms without commander (up is the one verb whose start everyone waits on). */
async function fastParseUp(args: string[]): Promise<Handler | undefined> {
  const { parseArgs } = await import('node:util');
  const flags = ['dry-run', 'json', 'tmux', 'no-tmux', 'no-keyboard', 'keep-on-failure', 'fresh', 'dashboard'] as const;
  const options: import('node:util').ParseArgsConfig['options'] = {
    file: { type: 'string' },
    daemon: { type: 'boolean', short: 'd' },
    host: { type: 'string' },
    only: { type: 'string', multiple: true },
    profile: { type: 'string', multiple: true },
    'wait-timeout': { type: 'string' },
    ...Object.fromEntries(flags.map((f) => [f, { type: 'boolean' as const }])),
  };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: args.slice(1), options, allowPositionals: true, strict: true });
  } catch {
    return undefined;
  }
  const v = parsed.values;
  // Whatever commander would decide differently (both --tmux and --no-tmux, two specs) goes to commander.
  if (parsed.positionals.length > 1 || (v.tmux === true && v['no-tmux'] === true)) return undefined;
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const list = (k: string) => (Array.isArray(v[k]) ? (v[k] as string[]) : undefined);
  const o = {
    spec: parsed.positionals[0],
    file: str('file'),
    dryRun: v['dry-run'] === true,
    daemon: v.daemon === true,
    json: v.json === true,
    tmux: v.tmux === true ? true : v['no-tmux'] === true ? false : undefined,
    host: str('host'),
    only: list('only'),
    profile: list('profile'),
    waitTimeout: str('wait-timeout'),
    keyboard: v['no-keyboard'] !== true,
    keepOnFailure: v['keep-on-failure'] === true,
    fresh: v.fresh === true,
    dashboard: v.dashboard === true,
  };
  return async () => (await import('../src/commands/up.js')).up(o);
}

async function fastParse(args: string[]): Promise<Handler | undefined> {
  const { parseArgs } = await import('node:util');
  const verb = args[0];
  const options: import('node:util').ParseArgsConfig['options'] = { file: { type: 'string' }, json: { type: 'boolean' } };
  if (verb === 'down') Object.assign(options, { timeout: { type: 'string' }, volumes: { type: 'boolean' } });
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: args.slice(1), options, allowPositionals: true, strict: true });
  } catch {
    return undefined;
  }
  const file = typeof parsed.values.file === 'string' ? parsed.values.file : undefined;
  if (verb === 'ls') return async () => (await import('../src/commands/ls.js')).ls({ file, services: parsed.positionals });
  if (parsed.positionals.length > 1) return undefined;
  const spec = parsed.positionals[0];
  const timeout = typeof parsed.values.timeout === 'string' ? parsed.values.timeout : undefined;
  return async () => (await import('../src/commands/down.js')).down({ file, spec, timeout, json: parsed.values.json === true, volumes: parsed.values.volumes === true });
}

async function main(argv: string[]): Promise<void> {
  // Scripts and agents ask for the version in loops: answer before loading the parser.
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  // Sidecars run for the life of the stack, ten or twenty at a time: they skip
  // commander (its code alone costs ~1 MB of each sidecar's heap).
  if (args[0] === '_supervise') {
    startMarkNode();
    startMark('entry-evaluated');
    const o = parseSuperviseArgs(args.slice(1));
    if (o) return runHandler(async () => (await import('../src/commands/supervise.js')).supervise(o));
    return;
  }
  // `ls` and `down` are called in loops by scripts and agents: their plain forms
  // skip commander too. Anything unusual (--help, a typo) goes through commander.
  if (args[0] === 'ls' || args[0] === 'down' || args[0] === 'up') {
    const fast = args[0] === 'up' ? await fastParseUp(args) : await fastParse(args);
    if (fast) return runHandler(fast);
  }
  const { Command, CommanderError } = await import('commander');
  const p = program(Command);
  try {
    await p.parseAsync(argv);
  } catch (err: unknown) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 1;
      return;
    }
    process.exitCode = await report(err);
  }
}

// No top-level await: the build is CommonJS (scripts/build.mjs). main() reports its own errors.
void main(process.argv);
