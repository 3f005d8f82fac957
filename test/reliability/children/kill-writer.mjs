// A Node writer to be SIGKILLed at a random point: commits whole states
// {seq, body: [seq x (8 + seq % 50)]} as fast as it can. Prints "first <ms>" once its first
// commit (which recovers a lock a killed predecessor may hold) is done.
import { SharedStore } from '@shmstate/core';

const store = SharedStore.open(process.argv[2]);
const stateFor = (seq) => ({ seq, body: new Array(8 + (seq % 50)).fill(seq) });
const started = performance.now();
store.set(stateFor(store.version + 1));
console.log(`first ${(performance.now() - started).toFixed(3)}`);
for (;;) store.set(stateFor(store.version + 1));
