// The demo: a Python fleet simulator publishes at 200 Hz, a Node RxJS pipeline shows it live.
//
//   npx --yes pnpm@10 demo
//
// Starts examples/python-publisher.py (which creates the store), waits until it is ready,
// starts examples/node-subscriber.mjs in its own process, and waits for both. It ends after
// a few seconds, or on Ctrl-C, and leaves no segment behind.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SharedStore } from '@shmstate/core';

const here = dirname(fileURLToPath(import.meta.url));
const python = join(here, '..', '.venv', 'bin', 'python');
const name = `demo-fleet-${process.pid}`;
const seconds = process.env.DEMO_SECONDS ?? '5';

console.log(`shmstate demo: Python publishes a fleet of 8 robots at 200 Hz into "${name}";`);
console.log('Node subscribes through RxJS (select -> throttleTime -> map) and measures latency.\n');

const publisher = spawn(
  python,
  [join(here, 'python-publisher.py'), '--name', name, '--seconds', seconds],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let subscriber;

const cleanUp = () => {
  try {
    SharedStore.unlink(name);
  } catch (error) {
    if (error?.code !== 'E_NOENT') throw error;
  }
};
process.on('SIGINT', () => {
  publisher.kill('SIGTERM');
  subscriber?.kill('SIGTERM');
});

try {
  const lines = createInterface({ input: publisher.stdout });
  const [first] = await once(lines, 'line');
  if (first !== 'ready') throw new Error(`publisher did not start: ${first}`);
  lines.on('line', (line) => console.log(`python: ${line}`));

  subscriber = spawn(process.execPath, [join(here, 'node-subscriber.mjs'), name], {
    stdio: 'inherit',
  });
  const [[publisherCode], [subscriberCode]] = await Promise.all([
    once(publisher, 'exit'),
    once(subscriber, 'exit'),
  ]);
  if (publisherCode !== 0 || subscriberCode !== 0) {
    process.exitCode = 1;
    console.error(`publisher exited ${publisherCode}, subscriber exited ${subscriberCode}`);
  }
} finally {
  cleanUp();
}
