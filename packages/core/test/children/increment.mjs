// Runs `count` update() increments of state.n on the store `name`, then prints "done".
// Runs the built package. Usage: increment.mjs <name> <count>
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
