// Opens the store `name` (or waits up to 10 s for it with `--wait`), prints "ready <state
// as JSON>", then keeps it open until killed. Usage: hold-open.mjs <name> [--wait]
import { SharedStore } from '@shmstate/core';

const [name, flag] = process.argv.slice(2);
const store =
  flag === '--wait'
    ? await SharedStore.openWhenReady(name, { timeout: 10_000 })
    : SharedStore.open(name);
console.log(`ready ${JSON.stringify(store.get())}`);
setInterval(() => {}, 1000);
