/**
 * One subscriber process of bench/fanout.mjs: subscribes to changes$ of an existing store,
 * records now - state.t for each emission, and answers commands on stdin:
 * "reset" (forget what was recorded; answers "ok") and "report" (prints one JSON line:
 * emissions, versions missed, latencies in us; then exits).
 *   node peers/fanout-subscriber.mjs <segment name>
 */
import readline from 'node:readline';
import { SharedStore } from '@shmstate/core';

const store = SharedStore.open(process.argv[2]);
let latencies = [];
let emissions = 0;
let missed = 0;
let first = true;

const subscription = store.changes$.subscribe((change) => {
  const now = Number(process.hrtime.bigint());
  if (first) {
    first = false; // the replayed current state, not a delivery
    return;
  }
  emissions += 1;
  missed += change.missed;
  latencies.push((now - change.state.t) / 1000);
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reset') {
    latencies = [];
    emissions = 0;
    missed = 0;
    console.log('ok');
  } else if (line === 'report') {
    console.log(JSON.stringify({ emissions, missed, latencies }));
    subscription.unsubscribe();
    store.close();
    process.exit(0);
  }
});
console.log('ready');
