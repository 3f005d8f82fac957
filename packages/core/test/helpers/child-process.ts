/**
 * Runs test/children/<script>.mjs in a separate plain Node process, against the built
 * package (`@shmstate/core` resolves to dist/, which `pnpm test` builds first), reading
 * its stdout line by line. The child is killed when the test ends, so none is
 * left running whatever the outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ExecutionContext } from 'ava';

const packageRoot = join(__dirname, '..', '..');

export interface Child {
  process: ChildProcess;
  /** The next line the child prints; rejects if it exits first. */
  nextLine(): Promise<string>;
  /** Resolves with the exit code and signal once the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function spawnChild(t: ExecutionContext, script: string, args: string[]): Child {
  const child = spawn(
    process.execPath,
    [join(packageRoot, 'test', 'children', `${script}.mjs`), ...args],
    {
      cwd: packageRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stderr,
  }));
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const resolve = waiting.shift();
    if (resolve) resolve(line);
    else lines.push(line);
  });
  return {
    process: child,
    exited,
    nextLine: () =>
      new Promise<string>((resolve, reject) => {
        const line = lines.shift();
        if (line !== undefined) return resolve(line);
        waiting.push(resolve);
        void exited.then(({ code, signal }) =>
          reject(
            new Error(`${script} exited (${code ?? signal}) before printing a line: ${stderr}`),
          ),
        );
      }),
  };
}

/** Waits for a clean exit (code 0); rejects with the child's stderr otherwise. */
export async function exitedCleanly(child: Child): Promise<void> {
  const { code, signal, stderr } = await child.exited;
  if (code !== 0) throw new Error(`child exited with ${code ?? signal}: ${stderr}`);
}
