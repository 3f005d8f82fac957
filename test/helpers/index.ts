/**
 * The one test-helper module of the Node tests, shared by packages/native/test,
 * packages/core/test, the cross-language tests in test/ and the reliability tests in
 * test/reliability: unique segment names removed after each test, and child processes
 * (Node or the project's Python) read line by line and killed when their test ends.
 *
 * Names and scripts are relative to the running test file (ava's `test.meta.file`):
 * names start with its suite (`native-`, `core-`, `xl-`, `rel-`: the reliability run
 * checks /dev/shm for `rel-` leftovers), and `spawnNode(t, 'x.mjs')` runs `children/x.mjs`
 * next to the test file, `spawnPython(t, 'x.py')` its `py/x.py`.
 *
 * @example
 * import { segmentFor, spawnNode } from '../../../test/helpers';
 * const name = segmentFor(t, 'burst');            // "core-burst-4242-1-k3j9x2"
 * const child = spawnNode(t, 'increment.mjs', [name, '100']);
 * t.is(await child.nextLine(), 'ready');
 * await child.done();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';

export const repoRoot = join(__dirname, '..', '..');

/** The project's venv Python; SHMSTATE_PYTHON overrides it (e.g. a system Python with the
 * package on PYTHONPATH). */
export const python = process.env['SHMSTATE_PYTHON'] ?? join(repoRoot, '.venv', 'bin', 'python');

/** The directory of the test file this process runs. */
function testDir(): string {
  const file = test.meta.file;
  return dirname(file.startsWith('file:') ? fileURLToPath(file) : file);
}

/** The suite of the running test file, the first part of its segment names. */
function suite(): string {
  const where = relative(repoRoot, testDir()).split('/');
  if (where[0] === 'packages') return where[1] ?? 'pkg';
  return where[1] === 'reliability' ? 'rel' : 'xl';
}

// ---- segment names -----------------------------------------------------------------------

let counter = 0;

/** A name no other test (in this or another process) uses: suite, prefix, pid, counter,
 * random. */
export function uniqueName(prefix: string): string {
  counter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${suite()}-${prefix}-${process.pid}-${counter}-${random}`;
}

/** The file backing a segment name on Linux. */
export function segmentPath(name: string): string {
  return `/dev/shm/shmstate.${name}`;
}

/** A unique name whose segment (file or symlink) is removed when the test ends, pass or
 * fail. */
export function segmentFor(t: ExecutionContext, prefix: string): string {
  const name = uniqueName(prefix);
  t.teardown(() => removeSegmentFile(name));
  return name;
}

/** Removes the file (or symlink) under a segment name, if there is one. */
export function removeSegmentFile(name: string): void {
  const path = segmentPath(name);
  try {
    lstatSync(path);
  } catch {
    return;
  }
  if (existsSync(path) || lstatSync(path).isSymbolicLink()) unlinkSync(path);
}

// ---- child processes ---------------------------------------------------------------------

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  process: ChildProcess;
  /** Resolves with the next stdout line (children speak one JSON or word per line);
   * rejects if the child exits first. */
  nextLine(): Promise<string>;
  /** Resolves when the child has exited with code 0; rejects with its stderr otherwise. */
  done(): Promise<void>;
  /** Resolves with the exit code (null if killed by a signal) and the signal, whatever
   * they are. */
  exited: Promise<Exit>;
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
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
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
        void exited.then(({ code, signal }) =>
          reject(
            new Error(`${label} exited (${code ?? signal}) before printing a line: ${stderr}`),
          ),
        );
      }),
    done: async () => {
      const { code, signal } = await exited;
      if (code !== 0) throw new Error(`${label} exited with ${code ?? signal}: ${stderr}`);
    },
  };
}

export interface NodeOptions {
  /** Entries added to (or overriding) this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Node options before the script, e.g. `--expose-gc`. */
  nodeArgs?: string[];
}

/**
 * Runs a script with this Node: `script` is absolute or relative to the `children`
 * directory next to the test file. A `.ts` script runs through tsx, like the tests.
 */
export function spawnNode(
  t: ExecutionContext,
  script: string,
  args: string[],
  options: NodeOptions = {},
): Child {
  const path = isAbsolute(script) ? script : join(testDir(), 'children', script);
  const loader = path.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, ...(options.nodeArgs ?? []), path, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  return track(t, child, `node ${script}`);
}

/**
 * Runs a script with the project's Python: `script` is absolute or relative to the `py`
 * directory next to the test file. Its stdin is a pipe the test may close as a signal.
 */
export function spawnPython(t: ExecutionContext, script: string, args: string[]): Child {
  const path = isAbsolute(script) ? script : join(testDir(), 'py', script);
  const child = spawn(python, [path, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  return track(t, child, `python ${script}`);
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

/** Resolves with the exit, or with `undefined` if the child still runs after `ms`. */
export function exitWithin(child: Child, ms: number): Promise<Exit | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void child.exited.then((result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}
