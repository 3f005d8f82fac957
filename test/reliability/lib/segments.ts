/**
 * Segment names for the reliability tests: unique per test (prefix, pid, counter, random)
 * and removed when the test ends, pass or fail, so nothing is left in /dev/shm.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import type { ExecutionContext } from 'ava';

let counter = 0;

/** The file backing a segment name on Linux. */
export function segmentPath(name: string): string {
  return `/dev/shm/shmstate.${name}`;
}

/** A fresh name whose segment (file or symlink) is removed in the test's teardown. */
export function segmentFor(t: ExecutionContext, prefix: string): string {
  counter += 1;
  const name = `rel-${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  t.teardown(() => removeSegmentFile(name));
  return name;
}

export function removeSegmentFile(name: string): void {
  const path = segmentPath(name);
  try {
    lstatSync(path);
  } catch {
    return;
  }
  if (existsSync(path) || lstatSync(path).isSymbolicLink()) unlinkSync(path);
}
