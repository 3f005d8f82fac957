// Watches segment argv[2] and ends the environment while the watcher is active: argv[3] is
// "exit" (prints "watching", then process.exit right after a burst of commits) or "worker"
// (the watch runs in a worker thread, terminated while this thread floods it with commits).
// Either way the environment's teardown must stop the thread cleanly, with notifications
// still queued.
import { Worker } from 'node:worker_threads';
import { Segment } from '../../src/index';

const [name, how] = process.argv.slice(2) as [string, string];

if (how === 'exit') {
  const segment = Segment.open(name);
  segment.watch(() => segment.read());
  console.log('watching');
  setTimeout(() => {
    // Exit with notifications still queued for this event loop.
    for (let i = 0; i < 2000; i += 1) segment.commit(Buffer.from(`{"i":${i}}`));
    console.log('exiting');
    process.exit(0);
  }, 100);
} else {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    require(workerData.tsx); // the worker's require() compiles TypeScript too
    const { Segment } = require(workerData.entry);
    const segment = Segment.open(workerData.name);
    segment.watch(() => segment.read());
    parentPort.postMessage('watching');
  `;
  const worker = new Worker(source, {
    eval: true,
    workerData: {
      name,
      entry: require.resolve('../../src/index'),
      tsx: require.resolve('tsx/cjs'),
    },
  });
  worker.on('message', () => {
    // Terminate while notifications are queued for the worker's event loop.
    const writer = Segment.open(name);
    for (let i = 0; i < 2000; i += 1) writer.commit(Buffer.from(`{"i":${i}}`));
    writer.close();
    void worker.terminate().then((code) => {
      console.log(`terminated ${code}`);
    });
  });
}
