/**
 * The fixture corpus (unicode incl. astral characters and escapes, nesting, large arrays,
 * number edge cases) written in one language decodes in the other to a deep-equal value.
 * What 1.0, -0 and 1e300 become is documented in test/fixtures/README.md and docs/python.md.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SharedStore } from '@shmstate/core';
import { segmentFor, spawnPython } from './helpers';

interface Entry {
  name: string;
  value: unknown;
}
const corpus = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'corpus.json'), 'utf8'),
) as Entry[];

/** Registers removal of <base>-0 .. <base>-(n-1) and returns base. */
function corpusBase(t: ExecutionContext, prefix: string): string {
  const base = segmentFor(t, prefix);
  t.teardown(() => {
    for (let index = 0; index < corpus.length; index += 1) {
      try {
        SharedStore.unlink(`${base}-${index}`);
      } catch {
        // already gone (or never created when the test failed early)
      }
    }
  });
  return base;
}

test('python -> node: every corpus value decodes deep-equal', async (t) => {
  const base = corpusBase(t, 'corpus-py');
  const writer = spawnPython(t, 'write-corpus.py', [base]);
  t.is(await writer.nextLine(), `done ${corpus.length}`);
  await writer.done();

  for (const [index, entry] of corpus.entries()) {
    const store = SharedStore.open(`${base}-${index}`);
    t.deepEqual(store.get(), entry.value, entry.name);
    store.close();
  }
});

test('node -> python: every corpus value decodes equal in Python', async (t) => {
  const base = corpusBase(t, 'corpus-node');
  for (const [index, entry] of corpus.entries()) {
    const store = SharedStore.create(`${base}-${index}`, {
      initial: null,
      capacity: 1 << 20,
    });
    store.set(entry.value);
    store.close();
  }
  const reader = spawnPython(t, 'check-corpus.py', [base]);
  const result = JSON.parse(await reader.nextLine()) as { checked: number; mismatches: string[] };
  await reader.done();
  t.deepEqual(result, { checked: corpus.length, mismatches: [] });
});
