// `devport init` as a library: read what the project has, in order of
// preference (Procfile, process-compose.yaml, compose.yaml, package.json),
// combine it, and write the spec's text. Nothing here writes a file.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { combine } from './combine.js';
import { readCompose } from './compose.js';
import { readPackageJson } from './package-json.js';
import { readProcessCompose } from './process-compose.js';
import { readProcfile } from './procfile.js';
import type { Translation, Untranslated } from './types.js';
import { writeExample, writeStack } from './write.js';

export interface InitResult {
  text: string;
  services: { name: string; from: string }[];
  untranslated: Untranslated[];
  /** Nothing gave a service: `text` is the example. */
  example: boolean;
  /** The files read. */
  sources: string[];
}

const SCHEMA = 'node_modules/devport/spec/devport.schema.json';

export function initProject(dir: string): InitResult {
  const translations: Translation[] = [];
  const add = (t: Translation | undefined) => {
    if (t) translations.push(t);
  };
  add(readProcfile(dir));
  add(readProcessCompose(dir));
  add(readCompose(dir));
  add(readPackageJson(dir, translations.flatMap((t) => t.services)));
  const stack = combine(translations);
  // Editors that speak JSON Schema check the file, when devport is installed here.
  const schemaLine = existsSync(path.join(dir, SCHEMA)) ? `#:schema ./${SCHEMA}` : undefined;
  if (stack.services.length === 0) {
    return {
      text: writeExample(schemaLine, stack.sources, stack.untranslated),
      services: [{ name: 'web', from: 'example' }],
      untranslated: stack.untranslated,
      example: true,
      sources: stack.sources,
    };
  }
  return {
    text: writeStack(stack, schemaLine),
    services: stack.services.map((s) => ({ name: s.name, from: s.from })),
    untranslated: stack.untranslated,
    example: false,
    sources: stack.sources,
  };
}
