// What each source reader hands to the writer: services as drafts (named as
// in their source), and what it could not translate, as data.

export type DraftCondition = 'healthy' | 'started' | 'completed';

/** Something of a source file devport has no form for: printed one line each. */
export interface Untranslated {
  /** The source file, relative to the project directory. */
  file: string;
  /** Where in it: a dotted key (`processes.api.replicas`) or a Procfile process name. */
  key: string;
  why: string;
}

export interface DraftHealth {
  type: 'tcp' | 'http' | 'cmd' | 'process';
  path?: string;
  url?: string;
  command?: string[];
  interval?: string;
  probeTimeout?: string;
}

export interface DraftService {
  /** The name in its source; the combiner may rename it (collisions, reserved keys). */
  name: string;
  /** `file key`, e.g. "Procfile.dev web", "compose.yaml services.postgres". */
  from: string;
  type: 'exec' | 'task' | 'compose';
  /** The source's own text, quoted in a comment above the service. */
  original?: string;
  command?: string[];
  cwd?: string;
  env?: [string, string][];
  port?: number;
  /** Why the port is what it is (a trailing comment). */
  portNote?: string;
  noPort?: boolean;
  dependsOn?: { name: string; condition: DraftCondition }[];
  restart?: 'never' | 'on-failure' | 'always';
  stopSignal?: string;
  stopTimeout?: string;
  health?: DraftHealth;
  /** compose: the compose services this node starts. */
  composeServices?: string[];
  /** Comment lines written inside the service block (why something is as it is). */
  notes?: string[];
}

/** What one reader made of one source file. */
export interface Translation {
  /** The file read, relative to the project directory. */
  file: string;
  services: DraftService[];
  untranslated: Untranslated[];
  /** Environment for every service ([env]); `from` when not `file` itself. */
  env?: { name: string; value: string; from?: string }[];
  /** dotenv files the source loads by itself (foreman's .env). */
  envFiles?: string[];
}

export const untranslated = (file: string, key: string, why: string): Untranslated => ({ file, key, why });
