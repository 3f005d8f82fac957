import test from 'ava';
import fs from 'node:fs';
import { Segment } from '../src/index';
import { segmentFor } from '../../../test/helpers';

/** Resident memory of this process in MiB (/proc/self/status VmRSS). */
function residentMiB(): number {
  const line = fs
    .readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1]) / 1024;
}

test('reading a small state of a large segment does not make its capacity resident', (t) => {
  // The read buffer must be capacity-sized, but only the bytes copied into it should
  // become resident: 128 MiB of capacity must not cost 128 MiB of memory per reader.
  const capacity = 128 * 1024 * 1024;
  const segment = Segment.create(segmentFor(t, 'big-capacity'), {
    capacity,
    initial: Buffer.from('{"small":true}'),
  });
  t.teardown(() => segment.close());
  const before = residentMiB();
  t.is(segment.readText().text, '{"small":true}');
  t.is(segment.read().bytes.toString(), '{"small":true}');
  segment.commitText('{"small":false}');
  t.is(segment.readText().text, '{"small":false}');
  const grown = residentMiB() - before;
  t.true(grown < 32, `resident memory grew by ${grown.toFixed(1)} MiB`);
});
