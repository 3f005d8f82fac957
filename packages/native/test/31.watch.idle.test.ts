import test from 'ava';
import { Segment } from '../src/index';
import { segmentFor, spawnNode } from '../../../test/helpers';

// An idle subscriber costs no measurable CPU: the watcher thread sleeps in the futex. The
// child measures its whole process after a settling second, so the figure includes Node's
// own idle housekeeping: hence a bound of 50 ms over 5 s rather than zero.
test('an idle watcher uses less than 50 ms of CPU over 5 s', async (t) => {
  const name = segmentFor(t, 'watch-idle');
  const segment = Segment.create(name, { capacity: 64, initial: Buffer.from('{}') });
  t.teardown(() => segment.close());
  const child = spawnNode(t, 'watch-idle.ts', [name, '5000']);
  const report = JSON.parse(await child.nextLine()) as { cpuMicros: number; changes: number };
  t.is(report.changes, 0);
  t.true(report.cpuMicros < 50_000, `used ${report.cpuMicros} us`);
  t.is((await child.exited).code, 0);
});
