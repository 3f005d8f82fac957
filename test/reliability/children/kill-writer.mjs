// A Node writer to be SIGKILLed at a random point: commits states
// {seq, body: [seq x (8 + seq % 50)]} as fast as it can, mostly as patches (update(), whose
// commits the ring checkpoints every few versions) and every seventh as a whole state
// (set()), so that kills land at every store of a patch commit, of a checkpoint and of a
// plain commit. Prints "first <ms>" once its first commit (which recovers a lock a killed
// predecessor may hold) is done.
import { SharedStore } from '@shmstate/core';

const store = SharedStore.open(process.argv[2]);
const bodyFor = (seq) => new Array(8 + (seq % 50)).fill(seq);
const commit = () => {
  const seq = store.get().seq + 1;
  if (seq % 7 === 0) return store.set({ seq, body: bodyFor(seq) });
  return store.update((draft) => {
    draft.seq = seq;
    draft.body = bodyFor(seq);
  });
};
// A read first, outside the timing: a fresh read (the checkpoint and its patches) and the
// code paths warmed, so that the first commit's time is the commit's (with the lock it may
// have to recover).
store.get();
const started = performance.now();
commit();
console.log(`first ${(performance.now() - started).toFixed(3)}`);
for (;;) commit();
