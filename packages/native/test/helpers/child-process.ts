/**
 * Runs a script from test/children in a separate Node process (through tsx, like the
 * tests) and talks to it line by line: the children print one line per step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const packageRoot = join(__dirname, '..', '..');

export interface Child {
  process: ChildProcess;
  /** The next line the child prints on stdout. */
  nextLine(): Promise<string>;
  /** Resolves with the exit code (null if killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child printed on stderr so far. */
  stderr(): string;
}

/** `env` entries are added to (or override) this process's environment. */
export function startChild(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(packageRoot, 'test', 'children', script), ...args],
    { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  const reader = createInterface({ input: child.stdout! });
  reader.on('line', (line) => {
    const resolve = waiting.shift();
    if (resolve) resolve(line);
    else lines.push(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    nextLine: () => {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        void exited.then(({ code, signal }) =>
          reject(new Error(`child exited (${code ?? signal}) before printing: ${errors}`)),
        );
      });
    },
    exited,
    stderr: () => errors,
  };
}

/** Resolves with the exit result, or with `undefined` if the child is still running after `ms`. */
export function exitWithin(
  child: Child,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void child.exited.then((result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}
