/**
 * An idle subscriber for bench/idle.mjs: subscribes and then waits, nothing being committed.
 *   node peers/idle-subscriber.mjs shmstate <segment name>   (state$ of an existing store)
 *   node peers/idle-subscriber.mjs unix <socket path>        (a listening NDJSON server, the peer)
 * Prints "ready" once subscribed; runs until killed.
 */
import fs from 'node:fs';
import net from 'node:net';

const [transport, target] = process.argv.slice(2);
if (transport === 'shmstate') {
  const { SharedStore } = await import('@shmstate/core');
  const store = SharedStore.open(target);
  store.state$.subscribe(() => {});
} else {
  fs.rmSync(target, { force: true });
  const server = net.createServer((socket) => socket.on('data', () => {}));
  await new Promise((resolve) => server.listen(target, resolve));
  process.on('SIGTERM', () => {
    fs.rmSync(target, { force: true });
    process.exit(0);
  });
}
console.log('ready');
