/**
 * Question: while Python commits as fast as it can, how many states per second does a
 * Node subscriber receive, parsed? Against a Unix socket carrying newline JSON (where
 * nothing is skipped and the socket's backpressure paces the publisher). shmstate skips
 * versions under load by design (latest wins) and must still deliver the last one.
 *   node bench/flood.mjs [--quick]
 */
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchDir, pick, python, uniqueName } from './lib/mode.mjs';
import { onExit, start } from './lib/processes.mjs';
import { recordSection } from './lib/results.mjs';
import { printTable, sizeLabel } from './lib/table.mjs';

const SIZES = [64, 1024];
const SECONDS = pick(0.5, 5);
const TRANSPORTS = ['shmstate', 'unix'];

async function measure(transport, size) {
  const options = {
    transport,
    size,
    seconds: SECONDS,
    name: uniqueName('flood'),
    socketPath: path.join(os.tmpdir(), `${uniqueName('flood')}.sock`),
  };
  const subscriber = start(
    process.execPath,
    [path.join(benchDir, 'peers', 'flood-subscriber.mjs'), JSON.stringify(options)],
    { cpu: 1 },
  );
  onExit(() => subscriber.kill());
  if ((await subscriber.nextLine()) !== 'ready')
    throw new Error(`${transport} flood subscriber did not start`);
  const publisher = start(
    python,
    [path.join(benchDir, 'peers', 'flood_publisher.py'), JSON.stringify(options)],
    { cpu: 0 },
  );
  const published = await publisher.nextJson(SECONDS * 1000 + 30000);
  await publisher.succeeded();
  await sleep(300); // the subscriber finishes what is in flight
  subscriber.send('report');
  const tally = await subscriber.nextJson();
  await subscriber.succeeded(10000);
  const span = (tally.lastNs - tally.firstNs) / 1e9;
  return {
    transport,
    size,
    publishedPerSecond: published.commits / published.seconds,
    deliveredPerSecond: tally.emissions / Math.max(span, 1e-9),
    emissions: tally.emissions,
    missed: tally.missed,
    commits: published.commits,
    lastDelivered: tally.lastSeq === published.lastSeq,
  };
}

const rows = [];
for (const size of SIZES)
  for (const transport of TRANSPORTS) rows.push(await measure(transport, size));
printTable(
  `Flood: Python publishes flat out for ${SECONDS} s, one Node subscriber`,
  [
    'size',
    'path',
    'published/s',
    'delivered to JS/s',
    'delivered',
    'skipped (latest wins)',
    'last one delivered',
  ],
  rows.map((r) => [
    sizeLabel(r.size),
    r.transport === 'unix' ? 'Unix socket NDJSON' : 'shmstate changes$',
    r.publishedPerSecond,
    r.deliveredPerSecond,
    r.emissions,
    r.missed,
    r.lastDelivered ? 'yes' : 'NO',
  ]),
);
recordSection('flood', { seconds: SECONDS, rows });
if (rows.some((r) => !r.lastDelivered)) {
  console.error('the last published state did not reach the subscriber');
  process.exit(1);
}
