/**
 * Child processes of a benchmark: spawn, wait for a line, collect a JSON result, and make
 * sure none outlives the script (normal exit, an exception, Ctrl-C or SIGTERM).
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const children = new Set();
const cleanups = [];

function killAll() {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

function runCleanups() {
  killAll();
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch {
      // Best effort on the way out: a segment already unlinked is fine.
    }
  }
}

process.on('exit', runCleanups);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    runCleanups();
    process.exit(130);
  });
}
process.on('uncaughtException', (error) => {
  console.error(error);
  process.exit(1);
});
process.on('unhandledRejection', (error) => {
  console.error(error);
  process.exit(1);
});

/** Runs `fn` when the script ends, however it ends (synchronous work only). */
export const onExit = (fn) => cleanups.push(fn);

/** Optional pinning (BENCH_PIN=1): publisher side on CPU 0, subscriber side on CPU 1. */
export function pinned(command, args, cpu) {
  if (process.env.BENCH_PIN !== '1' || cpu === undefined) return [command, args];
  return ['taskset', ['-c', String(cpu), command, ...args]];
}

/**
 * Spawns a child whose stdout is read line by line. `lines` is an async iterator of its
 * output lines; stderr goes to ours so failures are visible.
 */
export function start(command, args, { cpu, env } = {}) {
  const [file, argv] = pinned(command, args, cpu);
  const child = spawn(file, argv, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  exited.then(() => children.delete(child));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const label = `${command} ${args.join(' ')}`;
  return {
    child,
    exited,
    /** The next output line; rejects if the child exits first or `timeoutMs` passes. */
    async nextLine(timeoutMs = 30000) {
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out waiting for output of ${label}`)),
          timeoutMs,
        );
      });
      try {
        const next = await Promise.race([lines.next(), timeout]);
        if (next.done) throw new Error(`${label} exited without output`);
        return next.value;
      } finally {
        clearTimeout(timer);
      }
    },
    /** Next line parsed as JSON (the children report results as one JSON line). */
    async nextJson(timeoutMs) {
      return JSON.parse(await this.nextLine(timeoutMs));
    },
    /** Resolves when the child exits with status 0, rejects otherwise. */
    async succeeded(timeoutMs = 600000) {
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${label} did not finish in ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        const { code, signal } = await Promise.race([exited, timeout]);
        if (code !== 0) throw new Error(`${label} failed (exit ${code ?? signal})`);
      } finally {
        clearTimeout(timer);
      }
    },
    send(line) {
      child.stdin.write(line + '\n');
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
