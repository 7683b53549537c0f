// The process that started devport, as it was when devport started. Read by
// the entry point's first import: a parent that dies while `up` is still
// starting the stack must be noticed too, and reading it later would see the
// process devport was re-parented to (init, a subreaper) and take it for the
// parent. Kept on globalThis: each lazy bundle has its own copy of this module,
// and only the entry point's runs early enough.

const KEY = Symbol.for('devport.launchParent');
const store = globalThis as { [KEY]?: number };
store[KEY] ??= process.ppid;

export function launchParent(): number {
  return store[KEY] ?? process.ppid;
}
