/**
 * A throwaway nats-server with JetStream for bench/bridge.mjs: 127.0.0.1, a free port, a
 * fresh storage directory, killed when the script ends (lib/processes.mjs). Installs
 * Debian's nats-server if it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { onExit, start } from './processes.mjs';

function ensureInstalled() {
  if (spawnSync('nats-server', ['--version']).status === 0) return;
  console.error('nats-server missing: installing the Debian package');
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', 'nats-server'], { stdio: 'inherit' });
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts nats-server -js; resolves with { url, stop() } once it accepts connections. */
export async function startNats() {
  ensureInstalled();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-nats-'));
  const server = start('nats-server', [
    '-js',
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-sd',
    dir,
    '-l',
    path.join(dir, 'server.log'),
  ]);
  const stop = () => {
    server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  onExit(stop);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await accepts(port)) return { url: `nats://127.0.0.1:${port}`, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop();
  throw new Error(`nats-server did not accept connections on port ${port}`);
}
