// The foreground `up` applies edits to devport.toml and its env files by
// itself. Editors save in many ways (in place, or a temp file renamed over the
// original), so the directories are watched and events filtered by name; a
// burst of events is debounced, and only a change of content counts (a touch,
// or a save that writes the same bytes, does nothing).

import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../util/read-file.js';

/** What a plan was made from: the spec and its env files, read before the spec was loaded. */
export interface Inputs {
  /** Absolute paths: the spec first, then each env_file. */
  files: string[];
  /** Each file's text, or why it could not be read (a missing env_file is a state too). */
  contents: Map<string, string>;
}

/** Inputs are at most 1 MiB each (the spec's and env_file's own limit); a bigger one is only "too large". */
const MAX_INPUT_BYTES = 1024 * 1024;

export function readInputs(files: readonly string[]): Inputs {
  const contents = new Map<string, string>();
  for (const f of files) {
    const r = readRegularFile(f, { maxBytes: MAX_INPUT_BYTES });
    // A prefix no text starts with: "could not read" never equals any content.
    contents.set(f, r.ok ? `=${r.text}` : `!${r.reason}`);
  }
  return { files: [...files], contents };
}

/** Which of the files differ from the snapshot, by content. */
export function changedInputs(before: Inputs): string[] {
  const now = readInputs(before.files);
  return before.files.filter((f) => now.contents.get(f) !== before.contents.get(f));
}

export const SPEC_DEBOUNCE_MS = 150;

export interface InputWatch {
  /** The inputs the stack now runs from (or last tried to): later changes are compared with these. */
  rebase(inputs: Inputs): void;
  stop(): void;
}

/** Calls `onChange` (debounced) when the content of any input changes from the last snapshot. */
export function watchInputs(initial: Inputs, onChange: (files: string[]) => void, debounceMs = SPEC_DEBOUNCE_MS): InputWatch {
  let base = initial;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const watchers = new Map<string, FSWatcher>();

  const settle = () => {
    timer = undefined;
    if (stopped) return;
    const changed = changedInputs(base);
    if (changed.length > 0) onChange(changed);
  };
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(settle, debounceMs);
  };
  const follow = (files: readonly string[]) => {
    const names = new Map<string, Set<string>>();
    for (const f of files) {
      const dir = path.dirname(f);
      names.set(dir, (names.get(dir) ?? new Set()).add(path.basename(f)));
    }
    for (const [dir, w] of watchers) {
      if (!names.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, wanted] of names) {
      watchers.get(dir)?.close();
      try {
        // A filename of null (some platforms) could be any file: check.
        const w = watch(dir, { persistent: false }, (_ev, name) => {
          if (name === null || wanted.has(name.toString())) poke();
        });
        w.on('error', () => {});
        watchers.set(dir, w);
      } catch {
        /* a directory that does not exist (an env_file's, missing): nothing to watch there */
      }
    }
  };
  follow(initial.files);
  // An edit made after the snapshot was read but before the watch began still counts.
  poke();
  return {
    rebase(inputs) {
      const same = inputs.files.length === base.files.length && inputs.files.every((f, i) => base.files[i] === f);
      base = inputs;
      if (!same) follow(inputs.files);
      // A change that landed after this snapshot was read is still seen.
      poke();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
