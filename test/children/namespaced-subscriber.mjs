// A subscriber meant to run in its own network, PID and mount namespaces (unshare): opens
// the store argv[2], subscribes to changes$, prints one JSON line with its network
// namespace and the notification mechanism once subscribed, then one line per change:
// {"version", "n", "mechanism"}. Runs until killed.
import { readlinkSync } from 'node:fs';
import { SharedStore } from '@shmstate/core';

const store = SharedStore.open(process.argv[2]);
let first = true;
store.changes$.subscribe(({ version, state }) => {
  if (first) {
    first = false; // the seed: the state as it was when we subscribed
    return;
  }
  console.log(JSON.stringify({ version, n: state.n, mechanism: store.notifyMechanism }));
});
console.log(
  JSON.stringify({
    ready: true,
    netns: readlinkSync('/proc/self/ns/net'),
    mechanism: store.notifyMechanism,
  }),
);
