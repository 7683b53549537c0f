// Limits on what devport reads: a spec or env_file past them is a user mistake
// (SPEC_INVALID), never a hang, a crash or gigabytes of memory.
// Also: durations ≤ 24h (duration.ts), filled templates ≤ 128 KiB (plan/template.ts).

/** devport.toml is read only up to 1 MiB: a large real spec is a few KiB. */
export const MAX_SPEC_BYTES = 1024 * 1024;

/** Each env_file is read only up to 1 MiB (a dotenv file, not a data file). */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

/**
 * How deep tables, lists and dotted keys may nest: 32 levels of TOML path.
 * The deepest path devport knows is 7 (service.0.routes.0.health.command.0);
 * past the limit the parser and the position index would recurse (or work)
 * without bound.
 */
export const MAX_NESTING = 32;

/**
 * At most 2,000 `[[service]]` and `[[service.routes]]` entries in all. Each
 * service or exec route is a sidecar process (~10 MB) and a tmux window; a
 * real stack has tens, a generated one may have a thousand (which plans in
 * well under a second: bench/plan-scale.ts). Checked before anything else is
 * validated or planned.
 */
export const MAX_ENTRIES = 2000;

export function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}
