// Prints the current state of the store `name` through firstValueFrom(state$), which
// subscribes, receives one value and unsubscribes, without closing the store: the process
// must then exit by itself. Runs the built package. Usage: first-value.mjs <name>
import { firstValueFrom } from 'rxjs';
import { SharedStore } from '@shmstate/core';

const [name] = process.argv.slice(2);
const store = SharedStore.open(name);
console.log(JSON.stringify(await firstValueFrom(store.state$)));
