/**
 * update(): an immer recipe applied to the latest state and committed with
 * compare-and-set, re-run on the newer state when another writer got there first.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor } from '../../../test/helpers';

interface Counter {
  n: number;
  tags: string[];
}

function counterStores(t: Parameters<typeof segmentFor>[0], prefix: string) {
  const name = segmentFor(t, prefix);
  const store = SharedStore.create<Counter>(name, { initial: { n: 0, tags: [] }, capacity: 1024 });
  t.teardown(() => store.close());
  const other = SharedStore.open<Counter>(name);
  t.teardown(() => other.close());
  return { store, other };
}

test('update() applies the recipe to a draft and returns the committed version', (t) => {
  const { store } = counterStores(t, 'update');
  const version = store.update((draft) => {
    draft.n += 1;
    draft.tags.push('one');
  });
  t.deepEqual(store.snapshot(), {
    version,
    state: { n: 1, tags: ['one'] },
    storeId: store.storeId,
  });
  t.is(version, 2);
});

test('a recipe may return a replacement state', (t) => {
  const { store } = counterStores(t, 'replace');
  store.update(() => ({ n: 42, tags: ['replaced'] }));
  t.deepEqual(store.get(), { n: 42, tags: ['replaced'] });
});

test('a recipe that throws commits nothing and its error reaches the caller', (t) => {
  const { store } = counterStores(t, 'throws');
  const thrown = new Error('recipe failed');
  const error = t.throws(() =>
    store.update((draft) => {
      draft.n = 99;
      throw thrown;
    }),
  );
  t.is(error, thrown);
  t.is(store.version, 1);
  t.deepEqual(store.get(), { n: 0, tags: [] });
});

test('a recipe that changes nothing commits nothing and returns the current version', (t) => {
  const { store } = counterStores(t, 'noop');
  t.is(
    store.update(() => {}),
    1,
  );
  t.is(store.version, 1);
});

test('losing the compare-and-set re-runs the recipe on the newer state', (t) => {
  const { store, other } = counterStores(t, 'conflict');
  const seen: number[] = [];
  const version = store.update((draft) => {
    seen.push(draft.n);
    // The first run is overtaken by another writer before update() commits.
    if (seen.length === 1) other.set({ n: 100, tags: ['other'] });
    draft.n += 1;
  });
  t.deepEqual(seen, [0, 100]);
  t.deepEqual(store.snapshot(), {
    version,
    state: { n: 101, tags: ['other'] },
    storeId: store.storeId,
  });
  t.is(version, 3);
});

test('update() gives up with E_CONFLICT after maxRetries + 1 lost attempts, committing nothing', (t) => {
  const { store, other } = counterStores(t, 'give-up');
  let runs = 0;
  const error = t.throws(
    () =>
      store.update(
        (draft) => {
          runs += 1;
          other.set({ n: -runs, tags: [] });
          draft.n = 1000;
        },
        { maxRetries: 3 },
      ),
    { instanceOf: ShmStateError },
  );
  t.is(error.code, 'E_CONFLICT');
  t.is(runs, 4);
  t.deepEqual(store.get(), { n: -4, tags: [] });
});

test('update() options are checked before the recipe runs', (t) => {
  const { store } = counterStores(t, 'options');
  let runs = 0;
  const recipe = () => {
    runs += 1;
  };
  const invalid = (message: string) => ({
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: `${message} (E_INVALID)`,
  });
  t.throws(
    () => store.update(recipe, { maxRetries: -1 }),
    invalid('maxRetries is -1; it must be in [0, 9007199254740991]'),
  );
  t.throws(
    () => store.update(recipe, { maxRetries: 1.5 }),
    invalid('Option "maxRetries" must be an integer, got 1.5'),
  );
  t.throws(
    () => store.update('n += 1' as unknown as () => void),
    invalid('Argument "recipe" must be a function, got "n += 1"'),
  );
  t.throws(
    () => store.update(recipe, 5 as unknown as { maxRetries: number }),
    invalid('Argument "options" must be an object, got 5'),
  );
  t.is(runs, 0);
});
