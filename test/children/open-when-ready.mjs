// Waits up to 10 s for the store `name` (SharedStore.openWhenReady), prints "waiting" first
// and then its first snapshot as one JSON line {"version", "state"}; with `hold`, keeps
// the store open until killed. Usage: open-when-ready.mjs <name> [hold]
import { SharedStore } from '@shmstate/core';

const [name, hold] = process.argv.slice(2);
console.log('waiting');
const store = await SharedStore.openWhenReady(name, { timeout: 10_000 });
const { version, state } = store.snapshot();
console.log(JSON.stringify({ version, state }));
if (hold === 'hold') setInterval(() => {}, 1000);
else store.close();
