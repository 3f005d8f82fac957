/** Counts of this process's kernel resources, to check that nothing leaks. */
import { readdirSync, readFileSync } from 'node:fs';

/** Open file descriptors. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * File-backed memory mappings (lines of /proc/self/maps with a path). A leaked segment
 * mapping is file-backed (/dev/shm); anonymous mappings are left out because V8 maps and
 * unmaps heap pages of its own at any time.
 */
export function mappingCount(): number {
  return readFileSync('/proc/self/maps', 'utf8')
    .trimEnd()
    .split('\n')
    .filter((line) => (line.trim().split(/\s+/)[5] ?? '').startsWith('/')).length;
}

/**
 * Resolves once `count()` is back to `expected` or `ms` passed, and returns the last count:
 * handles closed by libuv and N-API are released on later turns of the event loop.
 */
export async function settledCount(
  count: () => number,
  expected: number,
  ms = 2000,
): Promise<number> {
  const deadline = Date.now() + ms;
  let now = count();
  while (now !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    now = count();
  }
  return now;
}

/** Threads of this process. */
export function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

/** Mappings of shmstate segments (their backing files under /dev/shm). */
export function segmentMappingCount(): number {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('/dev/shm/shmstate.')).length;
}
