/**
 * The C core's stalled-writer tool (built by `make -C packages/native/csrc
 * test/bin/test_stall`), which stops itself inside a commit while holding the writer lock:
 * what the reliability tests stall a store with. Names and child processes come from the
 * shared test helpers (test/helpers); the child is killed when its test ends.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { repoRoot, track, type Child } from '../../helpers';

const csrc = join(repoRoot, 'packages', 'native', 'csrc');
const stallTool = join(csrc, 'test', 'bin', 'test_stall');

/** Builds the stalled-writer tool if it is missing (it needs only cc and make). */
export function ensureStallTool(): string {
  if (!existsSync(stallTool)) {
    const built = spawnSync('make', ['-C', csrc, 'test/bin/test_stall'], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`cannot build the stall tool: ${built.stderr}`);
  }
  return stallTool;
}

function isStopped(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

/**
 * Starts a C writer that commits `payload` to `name` and stops itself (SIGSTOP) inside the
 * commit, holding the writer lock. Resolves once it is stopped; SIGCONT lets it finish.
 */
export async function startStalledWriter(
  t: ExecutionContext,
  name: string,
  payload: string,
): Promise<Child> {
  const child = track(t, spawn(ensureStallTool(), ['--stall-writer', name, payload]));
  const deadline = Date.now() + 10_000;
  while (!isStopped(child.process.pid!)) {
    if (child.process.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the stalled writer did not stop: ${child.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return child;
}
