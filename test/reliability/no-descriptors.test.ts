/**
 * The out-of-descriptors row of the bad-input table (docs/reliability.md), Node side: a
 * child under a 64-descriptor RLIMIT_NOFILE (prlimit, util-linux) opens files until
 * EMFILE, then Segment.open and Segment.create give E_LIMIT with the system's reason and
 * leave nothing behind; with its descriptors back it opens handles until they are used up
 * again (each open handle holds one descriptor: the lock of its attach entry), and the open
 * that finds none is a clean E_LIMIT that leaves the others working. test_exhaustion.c is
 * the C side, test_no_descriptors.py the Python side.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SharedStore } from '@shmstate/core';
import { segmentFor, segmentPath } from '../helpers';

const LIMIT = 64;
const HANDLES = 1000;
const child = join(__dirname, 'children', 'open-without-descriptors.mjs');

interface Attempt {
  code: string;
  message?: string;
}

test(`no descriptor left under RLIMIT_NOFILE ${LIMIT}: open and create are E_LIMIT`, (t) => {
  const name = segmentFor(t, 'nofile');
  const fresh = segmentFor(t, 'nofile-new');
  const store = SharedStore.create(name, { initial: { n: 1 }, capacity: 1024 });
  t.teardown(() => store.close());

  const result = spawnSync(
    'prlimit',
    [`--nofile=${LIMIT}:${LIMIT}`, process.execPath, child, name, fresh, String(HANDLES)],
    { encoding: 'utf8', timeout: 60_000 },
  );
  t.is(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout) as {
    exhausted: string;
    held: number;
    open: Attempt;
    create: Attempt;
    opened: number;
    stopped: Attempt;
    again: Attempt;
  };
  t.is(report.exhausted, 'EMFILE', 'the child used up its descriptors');
  t.true(report.held > 0 && report.held < LIMIT);
  for (const [what, attempt] of [
    ['open', report.open],
    ['create', report.create],
  ] as const) {
    t.is(attempt.code, 'E_LIMIT', `${what}: ${attempt.message}`);
    t.regex(attempt.message ?? '', /Too many open files/, what);
  }
  t.true(report.open.message?.includes(name), report.open.message);
  t.false(existsSync(segmentPath(fresh)), 'the failed create left no file');
  // One descriptor per open handle: about as many handles as the limit leaves free.
  t.true(report.opened > LIMIT / 2 && report.opened < LIMIT, `${report.opened} handles`);
  t.is(report.stopped.code, 'E_LIMIT', report.stopped.message);
  t.is(report.again.code, 'ok', 'once they are closed, opens work again');
  t.deepEqual(store.snapshot(), { version: 1, state: { n: 1 }, storeId: store.storeId });
});
