// Writes spec/devport.schema.json from src/spec/schema.ts. A test checks they agree.
import { writeFileSync } from 'node:fs';
import { specJsonSchema } from '../src/spec/json-schema.js';

writeFileSync(new URL('../spec/devport.schema.json', import.meta.url), JSON.stringify(specJsonSchema(), null, 2) + '\n');
