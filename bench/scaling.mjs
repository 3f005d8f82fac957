/**
 * Question: how do the costs of a commit and of a read grow with the state, 1 KiB to 4 MiB?
 * (Node; bench/scaling_python.py answers it for Python.)
 *   node bench/scaling.mjs [--quick]
 */
import { measureStoreCosts } from './lib/store-costs.mjs';
import { pick, uniqueName } from './lib/mode.mjs';
import { recordSection } from './lib/results.mjs';
import { printTable, sizeLabel } from './lib/table.mjs';

const SIZES = pick([1024, 65536, 1 << 20], [1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20]);
const SECONDS = pick(0.05, 0.5);
const us = (ns) => ns / 1000;

const rows = SIZES.map((size) => measureStoreCosts(uniqueName('scaling'), size, SECONDS));
printTable(
  'Node cost per commit and per read by state size (us per call)',
  [
    'size',
    'encode',
    'set()',
    'Segment.commit',
    'update()',
    'cached get',
    'Segment.read',
    'read+decode',
    'commit GB/s',
  ],
  rows.map((r) => [
    sizeLabel(r.size),
    us(r.encodeNs),
    us(r.setNs),
    us(r.commitNs),
    us(r.updateNs),
    us(r.cachedGetNs),
    us(r.readNs),
    us(r.readDecodeNs),
    r.bytes / r.commitNs,
  ]),
);
recordSection('scalingNode', { seconds: SECONDS, rows });
