/**
 * A throwaway Redis for the peers: 127.0.0.1, a free port, no persistence, killed when the
 * script ends (lib/processes.mjs). Installs Debian's redis-server if it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import net from 'node:net';
import { onExit, start } from './processes.mjs';

function ensureInstalled() {
  if (spawnSync('redis-server', ['--version']).status === 0) return;
  console.error('redis-server missing: installing the Debian package');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', 'redis-server'], { stdio: 'inherit' }).status === 0;
  if (install()) return;
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  if (!install()) throw new Error('could not install redis-server');
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts redis-server; resolves with { port, stop() } once it answers PING. */
export async function startRedis() {
  ensureInstalled();
  const port = await freePort();
  const server = start('redis-server', [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    '--protected-mode',
    'yes',
  ]);
  onExit(() => server.kill());
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await ping(port)) return { port, stop: () => server.kill() };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  server.kill();
  throw new Error(`redis-server did not answer on port ${port}`);
}
