import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandTemplate } from '../src/plan/template.js';

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
});
