// Commits `count` (argv[3]) whole burst states as fast as it can, then prints
// "done <last version>".
import { SharedStore } from '@shmstate/core';
import { burstState } from './burst-state.mjs';

const [name, countArg] = process.argv.slice(2);
const store = SharedStore.open(name);
let version = 0;
for (let i = 1; i <= Number(countArg); i += 1) version = store.set(burstState(i));
store.close();
console.log(`done ${version}`);
