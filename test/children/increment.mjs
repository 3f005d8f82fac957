// Runs `count` (argv[3]) compare-and-set increments of state.n, then prints "done".
import { SharedStore } from '@shmstate/core';

const [name, countArg] = process.argv.slice(2);
const store = SharedStore.open(name);
for (let i = 0; i < Number(countArg); i += 1) {
  store.update((draft) => {
    draft.n += 1;
  });
}
store.close();
console.log('done');
