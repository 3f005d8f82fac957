/** Counts of this process's kernel resources, to check that nothing leaks. */
import { readdirSync, readFileSync } from 'node:fs';

/** Open file descriptors. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Memory mappings (lines of /proc/self/maps). */
export function mappingCount(): number {
  return readFileSync('/proc/self/maps', 'utf8').trimEnd().split('\n').length;
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
