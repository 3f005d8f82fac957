/** What the figures were measured on: CPUs, model, kernel, runtimes. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { python } from './mode.mjs';

function firstLine(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .trim()
      .split('\n')[0];
  } catch {
    return 'unavailable';
  }
}

export function describeMachine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel: model,
    kernel: `${os.type()} ${os.release()} ${os.machine?.() ?? os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    python: firstLine(python, ['-c', 'import sys; print(sys.version.split()[0])']),
    redis: firstLine('redis-server', ['--version']),
    loadAverage1m: os.loadavg()[0],
    pinned: process.env.BENCH_PIN === '1',
    date: new Date().toISOString(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log(JSON.stringify(describeMachine(), null, 2));
