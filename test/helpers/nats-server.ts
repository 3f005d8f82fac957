/**
 * A real nats-server with JetStream for the bridge tests: on 127.0.0.1, a free port, a
 * fresh storage directory, stopped (and the directory removed) when the test ends.
 *
 * @example
 * const nats = await startNats(t);
 * spawnPython(t, 'bridge.py', ['publish', name, '--server', nats.url]);
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { track } from './index';

export interface NatsServer {
  url: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startNats(t: ExecutionContext): Promise<NatsServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'shmstate-nats-'));
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(t, child, 'nats-server');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (let i = 0; i < 200 && !(await accepts(port)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `nats://127.0.0.1:${port}` };
}
