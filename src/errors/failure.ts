import { ERROR_CODES, type ErrorCode } from './codes.js';

/** Where in a file a failure points. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
  /** Characters to underline, at least 1. */
  length: number;
  /** The text of that line, for the caret frame. */
  lineText: string;
}

/** A failure the user can cause: data, never an exception. */
export interface Failure {
  code: ErrorCode;
  message: string;
  hint: string;
  location?: SourceLocation;
  /** A block printed below the message, e.g. the tail of a service's output. */
  detail?: string;
  /** The service (key) the failure is about, when there is one: agents match on it. */
  service?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; failures: Failure[] };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(...failures: Failure[]): { ok: false; failures: Failure[] } {
  return { ok: false, failures };
}

export function failure(
  code: ErrorCode,
  message: string,
  extra: { hint?: string; location?: SourceLocation; detail?: string; service?: string } = {},
): Failure {
  const f: Failure = { code, message, hint: extra.hint ?? ERROR_CODES[code].hint };
  if (extra.location) f.location = extra.location;
  if (extra.detail !== undefined) f.detail = extra.detail;
  if (extra.service !== undefined) f.service = extra.service;
  return f;
}

const BRAND = Symbol.for('devport.UserError');

/**
 * Thrown only to unwind to the CLI's top level with failures the user caused
 * (e.g. deep inside a command). Everything else that throws is a bug.
 */
export class UserError extends Error {
  readonly failures: Failure[];
  readonly [BRAND] = true;
  constructor(failures: Failure[]) {
    super(failures.map((f) => `${f.code}: ${f.message}`).join('\n'));
    this.failures = failures;
  }

  /** Each verb is its own bundle with its own copy of this class: recognise the brand, not the class. */
  static is(err: unknown): err is UserError {
    return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new UserError(result.failures);
  return result.value;
}
