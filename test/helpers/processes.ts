/**
 * Spawning the real processes of a cross-language test: the project's Python (.venv) and
 * Node children. Every child is killed when the test ends, so none is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ExecutionContext } from 'ava';

export const repoRoot = join(__dirname, '..', '..');
export const python = join(repoRoot, '.venv', 'bin', 'python');
const pyDir = join(__dirname, '..', 'py');
const childrenDir = join(__dirname, '..', 'children');

export interface Child {
  process: ChildProcess;
  /** Resolves with the next stdout line (children speak one JSON or word per line). */
  nextLine(): Promise<string>;
  /** Resolves with the exit code; rejects with the child's stderr if it is not 0. */
  done(): Promise<void>;
  /** Resolves with [code, signal] when the child exits, whatever the code. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** What the child wrote to stderr so far. */
  stderr(): string;
}

/** Line-reads a child's stdout and kills it when the test ends, so none is left running. */
export function track(t: ExecutionContext, child: ChildProcess, label = 'child'): Child {
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const resolve = waiting.shift();
    if (resolve) resolve(line);
    else lines.push(line);
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    process: child,
    exited,
    stderr: () => stderr,
    nextLine: () =>
      new Promise<string>((resolve, reject) => {
        const line = lines.shift();
        if (line !== undefined) return resolve(line);
        waiting.push(resolve);
        void exited.then(([code, signal]) =>
          reject(
            new Error(`${label} exited (${code ?? signal}) before printing a line: ${stderr}`),
          ),
        );
      }),
    done: async () => {
      const [code, signal] = await exited;
      if (code !== 0) throw new Error(`${label} exited with ${code ?? signal}: ${stderr}`);
    },
  };
}

/** Runs test/py/<script> with the project's Python. */
export function spawnPython(t: ExecutionContext, script: string, args: string[]): Child {
  const child = spawn(python, [join(pyDir, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(t, child, `python ${script}`);
}

/** Runs test/children/<script> with this Node. */
export function spawnNode(t: ExecutionContext, script: string, args: string[]): Child {
  const child = spawn(process.execPath, [join(childrenDir, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(t, child, `node ${script}`);
}

/** Spawns a writer/reader in either language by a short key: "python" or "node". */
export function spawnSide(
  t: ExecutionContext,
  side: 'python' | 'node',
  role: string,
  args: string[],
): Child {
  return side === 'python' ? spawnPython(t, `${role}.py`, args) : spawnNode(t, `${role}.mjs`, args);
}
