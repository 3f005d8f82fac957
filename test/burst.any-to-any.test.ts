/**
 * A burst of commits at full speed ends with the final version on every subscriber, in
 * strictly increasing versions, with `missed` honest: emissions + missed account for every
 * version from the first one a subscriber saw to the final one. Every direction:
 * Python -> Node (50,000 commits, 3 Node subscriber processes), Node -> Python,
 * Node -> Node and Python -> Python, and mixed subscribers.
 */
import test from 'ava';
import { SharedStore } from '@shmstate/core';
import { segmentFor, spawnSide } from './helpers';

type Side = 'python' | 'node';

interface SubscriberResult {
  first: number;
  last: number;
  emissions: number;
  missed: number;
  increasing: boolean;
  whole: boolean;
  honest: boolean;
}

const cases: Array<{ writer: Side; readers: Side[]; commits: number }> = [
  { writer: 'python', readers: ['node', 'node', 'node'], commits: 50_000 },
  { writer: 'node', readers: ['python', 'python'], commits: 20_000 },
  { writer: 'node', readers: ['node', 'node'], commits: 20_000 },
  { writer: 'python', readers: ['python', 'python'], commits: 20_000 },
  { writer: 'python', readers: ['node', 'python'], commits: 20_000 },
];

for (const { writer, readers, commits } of cases) {
  const title = `${writer} -> ${readers.join(' + ')}: ${commits} commits end on the final version everywhere`;
  test.serial(title, async (t) => {
    const name = segmentFor(t, `burst-${writer}`);
    const store = SharedStore.create(name, { initial: { seq: 0 }, capacity: 4096 });
    t.teardown(() => store.close());
    const final = store.version + commits;

    const subscribers = readers.map((side) =>
      spawnSide(t, side, 'subscribe-until', [name, String(final)]),
    );
    for (const subscriber of subscribers) t.is(await subscriber.nextLine(), 'ready');

    const writerProcess = spawnSide(t, writer, 'burst-writer', [name, String(commits)]);
    t.is(await writerProcess.nextLine(), `done ${final}`);
    await writerProcess.done();

    for (const [index, subscriber] of subscribers.entries()) {
      const result = JSON.parse(await subscriber.nextLine()) as SubscriberResult;
      await subscriber.done();
      const label = `${readers[index]} subscriber ${index}`;
      t.is(result.last, final, `${label} ends on the final version`);
      t.true(result.increasing, `${label} saw strictly increasing versions`);
      t.true(result.whole, `${label} saw only whole states`);
      t.true(result.honest, `${label} got missed = version gap - 1 on every emission`);
      t.is(
        result.emissions + result.missed,
        result.last - result.first + 1,
        `${label} accounts for every version`,
      );
      t.log(
        `${label}: ${result.emissions} emissions, ${result.missed} missed, from v${result.first}`,
      );
    }
  });
}
