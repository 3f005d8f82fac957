/**
 * The Node side of bench/flood.mjs: counts the states it holds, parsed, while a Python
 * publisher floods it. shmstate: changes$ (conflated: latest wins, `missed` counts the
 * skipped versions); unix: every newline JSON message is parsed.
 *   node peers/flood-subscriber.mjs '{"transport":"shmstate","name":...,"size":...}'
 * Prints "ready"; on "report" (stdin) prints one JSON line and exits.
 */
import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';
import { makeState } from '../lib/payload.mjs';

const options = JSON.parse(process.argv[2]);
const tally = { emissions: 0, missed: 0, firstNs: 0, lastNs: 0, lastSeq: -1 };
let close = () => {};

function count(state, missed) {
  const now = Number(process.hrtime.bigint());
  if (tally.emissions === 0) tally.firstNs = now;
  tally.lastNs = now;
  tally.emissions += 1;
  tally.missed += missed;
  tally.lastSeq = state.seq;
}

if (options.transport === 'shmstate') {
  const { SharedStore } = await import('@shmstate/core');
  const store = SharedStore.create(options.name, {
    initial: { ...makeState(options.size), seq: -1 },
    capacity: 4 * options.size + 4096,
    // The whole-state path: every commit a whole state (bench/deltas.mjs measures patches).
    ringEntries: 0,
  });
  const subscription = store.changes$.subscribe((change) => {
    if (change.state.seq >= 0) count(change.state, change.missed);
  });
  close = () => {
    subscription.unsubscribe();
    store.close();
    SharedStore.unlink(options.name);
  };
} else {
  fs.rmSync(options.socketPath, { force: true });
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk;
      let start = 0;
      let newline;
      while ((newline = buffered.indexOf('\n', start)) >= 0) {
        count(JSON.parse(buffered.slice(start, newline)), 0);
        start = newline + 1;
      }
      buffered = buffered.slice(start);
    });
  });
  await new Promise((resolve) => server.listen(options.socketPath, resolve));
  close = () => {
    server.close();
    fs.rmSync(options.socketPath, { force: true });
  };
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'report') return;
  console.log(JSON.stringify(tally));
  close();
  process.exit(0);
});
console.log('ready');
