// Subscribes to a store's changes$ until it sees `final` (argv[3]), then prints one JSON
// line: first/last version, emissions, missed, and whether versions strictly increased and
// every state was whole. Prints "ready" once subscribed.
import { SharedStore } from '@shmstate/core';
import { isWholeBurstState } from './burst-state.mjs';

const [name, finalArg] = process.argv.slice(2);
const final = Number(finalArg);
const store = SharedStore.open(name);

const result = {
  first: 0,
  last: 0,
  emissions: 0,
  missed: 0,
  increasing: true,
  whole: true,
  honest: true,
};
const subscription = store.changes$.subscribe(({ version, state, missed }) => {
  if (result.emissions === 0) result.first = version;
  else {
    if (version <= result.last) result.increasing = false;
    if (missed !== version - result.last - 1) result.honest = false;
  }
  if (!isWholeBurstState(state)) result.whole = false;
  result.emissions += 1;
  result.missed += missed;
  result.last = version;
  if (version >= final) {
    subscription.unsubscribe();
    store.close();
    console.log(JSON.stringify(result));
  }
});
console.log('ready');
