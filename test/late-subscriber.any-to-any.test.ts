/**
 * A subscriber that arrives late gets the current state first, with its version:
 * Python -> Node and Node -> Python.
 */
import test from 'ava';
import { firstValueFrom } from 'rxjs';
import { SharedStore } from '@shmstate/core';
import { segmentFor, spawnPython } from './helpers';

test('python -> node: a late state$ subscriber gets the current state first', async (t) => {
  const name = segmentFor(t, 'late-py');
  const store = SharedStore.create(name, { initial: { step: 0 }, capacity: 1024 });
  t.teardown(() => store.close());

  const writer = spawnPython(t, 'write-steps.py', [name, '25']);
  const done = await writer.nextLine();
  await writer.done();

  const late = SharedStore.open<{ step: number }>(name);
  t.teardown(() => late.close());
  t.deepEqual(await firstValueFrom(late.state$), { step: 25 });
  const first = await firstValueFrom(late.changes$);
  t.is(`done ${first.version}`, done);
  t.deepEqual(first.state, { step: 25 });
});

test('node -> python: a late Python reader gets the current state and version', async (t) => {
  const name = segmentFor(t, 'late-node');
  const store = SharedStore.create(name, { initial: { step: 0 }, capacity: 1024 });
  t.teardown(() => store.close());
  let version = 0;
  for (let step = 1; step <= 25; step += 1) version = store.set({ step });

  const reader = spawnPython(t, 'print-snapshot.py', [name]);
  const snapshot = JSON.parse(await reader.nextLine()) as { version: number; state: unknown };
  await reader.done();
  t.deepEqual(snapshot, { version, state: { step: 25 } });
});
