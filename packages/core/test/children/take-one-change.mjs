// Subscribes to the store `name`, prints "ready", waits for one version newer than the one
// it started at, prints it and unsubscribes (take(1)), without closing the store: the
// process must then exit by itself, nothing may keep its event loop alive.
// Runs the built package. Usage: take-one-change.mjs <name>
import { filter, take } from 'rxjs';
import { SharedStore } from '@shmstate/core';

const [name] = process.argv.slice(2);
const store = SharedStore.open(name);
const start = store.version;
store.changes$
  .pipe(
    filter(({ version }) => version > start),
    take(1),
  )
  .subscribe(({ version }) => console.log(`got ${version}`));
console.log('ready');
