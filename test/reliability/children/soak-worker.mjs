// One long-lived Node process of the soak: subscribes to the store, reads it and updates
// it (compare-and-set) for <seconds>, then reports. Prints "warm <rssKiB> <fds>" (RSS: the
// anonymous part) after the
// warm-up and "end <rssKiB> <fds> <updates> <reads> <emissions>" at the end.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { SharedStore } from '@shmstate/core';

const [name, secondsText, warmText] = process.argv.slice(2);
const seconds = Number(secondsText);
const warmSeconds = Number(warmText);
// The process's own memory: anonymous RSS. The segment's shared pages (RssShmem) are bounded
// by its size and become resident as the patch ring is first written around, which is not a
// leak of this process.
// A full collection first (the test starts this worker with --expose-gc): what is left is
// what the process holds, not garbage V8 has not collected yet.
const rssKiB = () => {
  globalThis.gc?.();
  return Number(/RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
};
const fdList = () =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return `${fd}:${readlinkSync(`/proc/self/fd/${fd}`)}`;
      } catch {
        return `${fd}:?`; // the directory's own descriptor, closed by now
      }
    })
    .join(',');
// Descriptors that stay open (the listing's own descriptor is gone when it is read).
const fds = () =>
  fdList()
    .split(',')
    .filter((entry) => !entry.endsWith(':?')).length;

// Touch stderr and the fd listing once before any measurement: both open descriptors
// lazily the first time.
console.error(`soak worker ${process.pid}: ${fdList().length > 0 ? 'started' : ''}`);
const store = SharedStore.open(name);
let emissions = 0;
const subscription = store.changes$.subscribe(({ state }) => {
  emissions += 1;
  if (typeof state.total !== 'number') throw new Error('bad state');
});
let updates = 0;
let reads = 0;
const started = Date.now();
let warm = false;
while (Date.now() - started < seconds * 1000) {
  for (let i = 0; i < 20; i += 1) {
    store.update((draft) => {
      draft.total += 1;
      draft.node = (draft.node ?? 0) + 1;
      draft.blob = 'n'.repeat(Math.floor(Math.random() * 2000));
    });
    updates += 1;
    if (store.get().total < 1) throw new Error('bad read');
    reads += 1;
  }
  await new Promise((resolve) => setTimeout(resolve, 1)); // let deliveries run
  if (!warm && Date.now() - started >= warmSeconds * 1000) {
    warm = true;
    globalThis.gc?.();
    console.log(`warm ${rssKiB()} ${fds()}`);
    console.error(`fds at warm-up: ${fdList()}`);
  }
}
globalThis.gc?.();
console.log(`end ${rssKiB()} ${fds()} ${updates} ${reads} ${emissions}`);
console.error(`fds at the end: ${fdList()}`);
subscription.unsubscribe();
store.close();
