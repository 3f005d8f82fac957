/**
 * Unique segment names per test, removed when the test ends (pass or fail), so tests run
 * in parallel with each other and with other packages and leave nothing in /dev/shm.
 */
import { existsSync, unlinkSync } from 'node:fs';
import type { ExecutionContext } from 'ava';

let counter = 0;

/** The file backing a segment on Linux. */
export function segmentPath(name: string): string {
  return `/dev/shm/shmstate.${name}`;
}

/** A name no other test uses: prefix, pid, counter and a random part. */
export function uniqueName(prefix: string): string {
  counter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `native-${prefix}-${process.pid}-${counter}-${random}`;
}

/** A unique name whose segment file is removed at teardown. */
export function segmentFor(t: ExecutionContext, prefix: string): string {
  const name = uniqueName(prefix);
  t.teardown(() => {
    const path = segmentPath(name);
    if (existsSync(path)) unlinkSync(path);
  });
  return name;
}
