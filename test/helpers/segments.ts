/**
 * Unique segment names per test and their removal afterwards, so tests run in parallel
 * and leave nothing in /dev/shm.
 */
import { existsSync, unlinkSync } from 'node:fs';
import type { ExecutionContext } from 'ava';

let counter = 0;

/** A name no other test (in this or another process) uses: prefix, pid, counter, random. */
export function uniqueName(prefix: string): string {
  counter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `xl-${prefix}-${process.pid}-${counter}-${random}`;
}

/** The file backing a segment name on Linux. */
export function segmentPath(name: string): string {
  return `/dev/shm/shmstate.${name}`;
}

/** A unique name whose segment is removed when the test ends, pass or fail. */
export function segmentFor(t: ExecutionContext, prefix: string): string {
  const name = uniqueName(prefix);
  t.teardown(() => {
    const path = segmentPath(name);
    if (existsSync(path)) unlinkSync(path);
  });
  return name;
}
