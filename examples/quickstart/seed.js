// A seed task: writes the data the API serves, then exits 0.
import { mkdirSync, writeFileSync } from 'node:fs';

mkdirSync('var', { recursive: true });
const items = [
  { id: 1, name: 'tmux windows, one per service' },
  { id: 2, name: 'ports that stay the same between runs' },
  { id: 3, name: 'one proxy in front of everything' },
];
writeFileSync('var/items.json', JSON.stringify(items, null, 2));
console.log(`seeded ${items.length} items into var/items.json`);
