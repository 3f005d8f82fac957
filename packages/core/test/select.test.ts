/**
 * select(): a slice of the state that emits only when the slice changes, however many
 * commits change other parts of the state.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { trackVersions } from './helpers/track-versions';
import { segmentFor } from '../../../test/helpers';

interface State {
  pose: { x: number; y: number };
  noise: number;
}

function robotStore(t: Parameters<typeof segmentFor>[0], prefix: string) {
  const store = SharedStore.create<State>(segmentFor(t, prefix), {
    initial: { pose: { x: 0, y: 0 }, noise: 0 },
    capacity: 256,
  });
  t.teardown(() => store.close());
  return store;
}

test('select() emits the current slice, then only when the slice changes', async (t) => {
  const store = robotStore(t, 'select');
  const xs: number[] = [];
  const subscription = store.select((s) => s.pose.x).subscribe((x) => xs.push(x));
  t.teardown(() => subscription.unsubscribe());
  const reached = trackVersions(t, store);
  t.deepEqual(xs, [0]);

  let version = 0;
  for (let i = 1; i <= 500; i += 1) version = store.update((d) => void (d.noise = i));
  await reached(version);
  t.deepEqual(xs, [0], '500 commits that leave the slice alone emit nothing');

  store.update((d) => void (d.pose.x = 1));
  for (let i = 1; i <= 500; i += 1) version = store.update((d) => void (d.noise = -i));
  await reached(version);
  t.deepEqual(xs, [0, 1], 'one change of the slice emits once');
});

test('select() with an equality function compares object slices by value', async (t) => {
  const store = robotStore(t, 'select-equal');
  const poses: Array<State['pose']> = [];
  const samePose = (a: State['pose'], b: State['pose']) => a.x === b.x && a.y === b.y;
  const subscription = store.select((s) => s.pose, samePose).subscribe((pose) => poses.push(pose));
  t.teardown(() => subscription.unsubscribe());
  const reached = trackVersions(t, store);

  let version = 0;
  // Each version decodes to new objects, so Object.is alone would emit every time.
  for (let i = 1; i <= 200; i += 1) version = store.update((d) => void (d.noise = i));
  version = store.update((d) => void (d.pose.y = 2));
  for (let i = 1; i <= 200; i += 1) version = store.update((d) => void (d.noise = -i));
  await reached(version);
  t.deepEqual(poses, [
    { x: 0, y: 0 },
    { x: 0, y: 2 },
  ]);
});

test('select() checks its arguments', (t) => {
  const store = robotStore(t, 'select-arguments');
  t.throws(() => store.select('pose' as unknown as (s: State) => unknown), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: 'Argument "selector" must be a function, got "pose" (E_INVALID)',
  });
  t.throws(() => store.select((s) => s.pose, 'deep' as unknown as () => boolean), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: 'Argument "equal" must be a function, got "deep" (E_INVALID)',
  });
});
