/**
 * Question: how many commits and reads per second from Node, by state size, and what does
 * a commit cost beyond encoding the state?
 *   node bench/throughput-node.mjs [--quick]
 */
import { measureStoreCosts } from './lib/store-costs.mjs';
import { pick, uniqueName } from './lib/mode.mjs';
import { recordSection } from './lib/results.mjs';
import { printTable, sizeLabel } from './lib/table.mjs';

const SIZES = [64, 1024, 65536];
const SECONDS = pick(0.05, 1);

const rows = SIZES.map((size) => measureStoreCosts(uniqueName('throughput'), size, SECONDS));
printTable(
  'Node commits/s and reads/s (one process, no subscribers)',
  [
    'size',
    'set/s',
    'update/s',
    'Segment.commit/s',
    'cached get/s',
    'Segment.read/s (uncached)',
    'read+decode/s',
  ],
  rows.map((r) => [
    sizeLabel(r.size),
    r.setPerSecond,
    r.updatePerSecond,
    r.commitPerSecond,
    r.cachedGetPerSecond,
    r.readPerSecond,
    r.readDecodePerSecond,
  ]),
);
printTable(
  'Node commit cost beyond encoding (ns per call)',
  [
    'size',
    'encode',
    'set()',
    'set() - encode',
    'Segment.commitText (encoded text)',
    'Segment.commit (pre-encoded)',
  ],
  rows.map((r) => [
    sizeLabel(r.size),
    r.encodeNs,
    r.setNs,
    r.overheadNs,
    r.commitTextNs,
    r.commitNs,
  ]),
);
recordSection('throughputNode', { seconds: SECONDS, rows });
