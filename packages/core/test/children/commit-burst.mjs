// Commits states { seq: 1 } .. { seq: count } to the store `name` as fast as it can, then
// prints "done <last version>". Runs the built package. Usage: commit-burst.mjs <name> <count>
import { SharedStore } from '@shmstate/core';

const [name, countArg] = process.argv.slice(2);
const store = SharedStore.open(name);
let version = 0;
for (let seq = 1; seq <= Number(countArg); seq += 1) version = store.set({ seq });
store.close();
console.log(`done ${version}`);
