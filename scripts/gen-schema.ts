// Writes spec/devport.schema.json from src/spec/schema.ts and spec/state.schema.json
// from src/state/schema.ts. A test checks they agree.
import { writeFileSync } from 'node:fs';
import { specJsonSchema } from '../src/spec/json-schema.js';
import { STATE_SCHEMA } from '../src/state/schema.js';

writeFileSync(new URL('../spec/devport.schema.json', import.meta.url), JSON.stringify(specJsonSchema(), null, 2) + '\n');
writeFileSync(new URL('../spec/state.schema.json', import.meta.url), JSON.stringify(STATE_SCHEMA, null, 2) + '\n');
