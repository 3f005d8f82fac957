// Waits with waitFor() for a version newer than the one the store `name` is at, without
// closing the store, then prints the outcome: "got <version>" once another process
// commits, or the error code if `timeoutMs` passes first. The process must then exit by
// itself: a settled waitFor leaves no timer and no watcher behind.
// Runs the built package. Usage: wait-for.mjs <name> <timeoutMs>
import { SharedStore } from '@shmstate/core';

const [name, timeoutMs] = process.argv.slice(2);
const store = SharedStore.open(name);
const waiting = store.waitFor(store.version + 1, { timeout: Number(timeoutMs) });
console.log('ready');
try {
  const { version } = await waiting;
  console.log(`got ${version}`);
} catch (err) {
  console.log(err.code);
}
