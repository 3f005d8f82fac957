/**
 * changes$ under a flood from another process: 10,000 commits as fast as a second
 * process can make them. The subscriber may skip versions (latest wins) but never goes
 * backwards, always ends with the final version, and says exactly how many it skipped.
 */
import test from 'ava';
import { SharedStore, type Change } from '../src';
import { trackVersions } from './helpers/track-versions';
import { segmentFor, spawnNode } from '../../../test/helpers';

const COMMITS = 10_000;

test('a subscriber to a 10,000-commit flood sees increasing versions, the last one, and every skip counted', async (t) => {
  const name = segmentFor(t, 'flood');
  const store = SharedStore.create<{ seq: number }>(name, { initial: { seq: 0 }, capacity: 256 });
  t.teardown(() => store.close());

  const received: Array<Change<{ seq: number }>> = [];
  const subscription = store.changes$.subscribe((change) => received.push(change));
  t.teardown(() => subscription.unsubscribe());
  const reached = trackVersions(t, store);

  const writer = spawnNode(t, 'commit-burst.mjs', [name, String(COMMITS)]);
  const done = await writer.nextLine();
  await writer.done();
  const finalVersion = 1 + COMMITS;
  t.is(done, `done ${finalVersion}`);
  await reached(finalVersion);

  const versions = received.map((change) => change.version);
  t.is(versions[0], 1, 'the first emission is the state current at subscribe');
  t.is(versions.at(-1), finalVersion, 'the final version always arrives');
  t.true(
    versions.every((version, index) => index === 0 || version > versions[index - 1]!),
    'versions strictly increase',
  );
  t.true(
    received.every(
      (change, index) =>
        change.missed === (index === 0 ? 0 : change.version - versions[index - 1]! - 1),
    ),
    'missed is the gap since the previous emission',
  );
  const missed = received.reduce((sum, change) => sum + change.missed, 0);
  t.is(
    received.length + missed,
    finalVersion - versions[0]! + 1,
    'emissions + missed account for every version',
  );
  t.true(
    received.every((change) => change.state.seq === change.version - 1),
    'each state is the one committed as its version',
  );
  t.log(`${received.length} emissions, ${missed} versions skipped`);
});
