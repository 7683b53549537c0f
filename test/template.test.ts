import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandTemplate, MAX_FILLED_LENGTH } from '../src/plan/template.js';

const env: Record<string, string> = { PORT: '2000', NAME: 'x' };
const expand = (s: string) => expandTemplate(s, (n) => env[n]);

describe('templates', () => {
  test('${NAME} is filled', () => {
    assert.deepEqual(expand('--port=${PORT}'), { ok: true, value: '--port=2000' });
  });
  test('$${NAME} (the devportv3 form) means the same as ${NAME}', () => {
    assert.deepEqual(expand('$${PORT}'), { ok: true, value: '2000' });
  });
  test('$$ is a literal $', () => {
    assert.deepEqual(expand('cost: $$5'), { ok: true, value: 'cost: $5' });
    assert.deepEqual(expand('$$'), { ok: true, value: '$' });
    assert.deepEqual(expand('$$$${NAME}'), { ok: true, value: '$x' });
  });
  test('a $ not followed by { is left for the shell', () => {
    assert.deepEqual(expand('echo $HOME $1 $'), { ok: true, value: 'echo $HOME $1 $' });
  });
  test('an unknown name is an error with its offset', () => {
    assert.deepEqual(expand('a ${NOPE} b'), { ok: false, reason: 'unknown-name', name: 'NOPE', offset: 2 });
  });
  test('unterminated and invalid names are errors', () => {
    assert.deepEqual(expand('x ${PORT'), { ok: false, reason: 'unterminated', offset: 2 });
    assert.deepEqual(expand('${a-b}'), { ok: false, reason: 'bad-name', name: 'a-b', offset: 0 });
  });
  test('a value filled past the cap is refused at the ${…} that crosses it, without building it', () => {
    assert.equal(MAX_FILLED_LENGTH, 128 * 1024);
    const big = (n: string) => (n === 'BIG' ? 'x'.repeat(100) : undefined);
    assert.deepEqual(expandTemplate('ab${BIG}${BIG}', big, 150), { ok: false, reason: 'too-long', name: 'BIG', offset: 8, limit: 150 });
    assert.deepEqual(expandTemplate('${BIG}', big, 100), { ok: true, value: 'x'.repeat(100) });
    // Plain text and $-escapes count too.
    assert.deepEqual(expandTemplate('${BIG}abc', big, 101), { ok: false, reason: 'too-long', name: undefined, offset: 6, limit: 101 });
    assert.deepEqual(expandTemplate('${BIG}$$', big, 100), { ok: false, reason: 'too-long', name: undefined, offset: 6, limit: 100 });
    // The default cap: a lookup returning 1 GiB-worth of references is refused at once.
    const huge = 'y'.repeat(MAX_FILLED_LENGTH);
    const r = expandTemplate(`${'${H}'.repeat(1000)}`, (n) => (n === 'H' ? huge : undefined));
    assert.deepEqual(r, { ok: false, reason: 'too-long', name: 'H', offset: 4, limit: MAX_FILLED_LENGTH });
  });
});
