/**
 * A segment name no other test uses (prefix, pid, counter, random), whose segment is
 * unlinked when the test ends, pass or fail, so nothing is left in /dev/shm.
 */
import type { ExecutionContext } from 'ava';
import { SharedStore, ShmStateError } from '../../src';

let counter = 0;

export function segmentName(t: ExecutionContext, prefix: string): string {
  counter += 1;
  const name = `core-${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  t.teardown(() => {
    try {
      SharedStore.unlink(name);
    } catch (err) {
      // Never created (the test failed before) or already removed by the test itself.
      if (!(err instanceof ShmStateError && err.code === 'E_NOENT')) throw err;
    }
  });
  return name;
}
