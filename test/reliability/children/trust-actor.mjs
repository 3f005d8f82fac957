// One user's side of trusted-sharing.test.ts, started through setpriv as a chosen uid,
// gid and supplementary groups. Usage: trust-actor.mjs <name> <action> [json options]; it
// prints one JSON line per event: {event, uid, code, ...}, code "ok" or the error's code.
//   create     SharedStore.create(name, {initial, capacity 1024, mode, group})
//   touch      open(name, {trust, readOnly}), read, list attached(), try set(state),
//              report readOnly
//   subscribe  open(name, {trust, readOnly}), subscribe; print every state with the number
//              of doorbells registered, until a state has {last: true}; with `write`,
//              set that state once subscribed (a write through the subscriber's handle)
import { SharedStore } from '@shmstate/core';

const [name, action, json] = process.argv.slice(2);
const options = json === undefined ? {} : JSON.parse(json);
const uid = process.getuid();
const say = (fields) => console.log(JSON.stringify({ uid, ...fields }));
const failure = (err) => ({ code: err.code ?? 'thrown', message: err.message });

function openOptions() {
  return { trust: options.trust, readOnly: options.readOnly };
}

if (action === 'create') {
  try {
    const { trust: _t, ...createOptions } = options;
    SharedStore.create(name, { capacity: 1024, ...createOptions }).close();
    say({ event: 'create', code: 'ok' });
  } catch (err) {
    say({ event: 'create', ...failure(err) });
  }
} else if (action === 'touch') {
  let store;
  try {
    store = SharedStore.open(name, openOptions());
  } catch (err) {
    say({ event: 'open', ...failure(err) });
    process.exit(0);
  }
  // The attach table's length, or the code of the failure to list it.
  let attached;
  try {
    attached = store.attached().length;
  } catch (err) {
    attached = err.code ?? 'thrown';
  }
  say({ event: 'open', code: 'ok', readOnly: store.readOnly, state: store.get(), attached });
  try {
    const version = store.set(options.state);
    say({ event: 'set', code: 'ok', version });
  } catch (err) {
    say({ event: 'set', ...failure(err) });
  }
  store.close();
} else if (action === 'subscribe') {
  const store = SharedStore.open(name, openOptions());
  const subscription = store.state$.subscribe((state) => {
    // Doorbells registered on the segment (the header's count): 1 while this subscriber's
    // doorbell is in the table, 0 when it watches with a thread (a read-only handle).
    const doorbells = store.stats().doorbells;
    say({ event: 'state', code: 'ok', state, readOnly: store.readOnly, doorbells });
    if (state.last === true) {
      subscription.unsubscribe();
      store.close();
    }
  });
  if (options.write !== undefined) {
    const version = store.set(options.write);
    say({ event: 'set', code: 'ok', version });
  }
} else {
  throw new Error(`unknown action ${action}`);
}
