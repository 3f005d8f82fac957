/**
 * The error codes and their meaning are one list in C (errors.def), Node (@shmstate/native)
 * and Python (shmstate), and docs/errors.md documents exactly that list.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '@shmstate/native';
import { python, repoRoot } from './helpers';

const fromErrorsDef = (): string[] =>
  [
    ...readFileSync(join(repoRoot, 'packages/native/csrc/errors.def'), 'utf8').matchAll(
      /^X\((\w+),/gm,
    ),
  ]
    .map((match) => match[1]!)
    .filter((code) => code !== 'OK');

const fromDocs = (): string[] =>
  [...readFileSync(join(repoRoot, 'docs/errors.md'), 'utf8').matchAll(/^\| `(E_\w+)` \|/gm)].map(
    (match) => match[1]!,
  );

const fromPython = (): string[] =>
  JSON.parse(
    execFileSync(python, [
      '-c',
      'import json, shmstate; print(json.dumps([c for c in shmstate.error_codes() if c != "OK"]))',
    ]).toString(),
  ) as string[];

test('C, Node, Python and docs/errors.md list the same error codes in the same order', (t) => {
  const c = fromErrorsDef();
  t.true(c.length > 10);
  t.deepEqual([...ERROR_CODES], c, 'Node');
  t.deepEqual(fromPython(), c, 'Python');
  t.deepEqual(fromDocs(), c, 'docs/errors.md');
});
