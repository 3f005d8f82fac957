/**
 * The tables and the targets of bench/deltas.mjs: medians over the repeats of each figure,
 * ratios taken within the run. Returns the figures it printed, for the results JSON.
 */
import { median, percentile } from './stats.mjs';
import { formatCell, printTable, ratio, sizeLabel } from './table.mjs';

const LABELS = {
  patch: 'shmstate Python patch() -> Node state$',
  update: 'shmstate Python update() -> Node state$',
  unix: 'Unix socket, JSON Patch (fast-json-patch)',
  'redis-pubsub': 'Redis pub/sub, JSON Patch (fast-json-patch)',
  set: 'shmstate Python set(whole), no ring -> Node state$',
  floor: 'C futex ping-pong (floor)',
};

const medianOf = (runs, key) => median(runs.map((run) => run[key]));

export function report({
  latency,
  rates,
  writer,
  fresh,
  fanout,
  SIZES,
  BIG,
  REPEATS,
  FANOUT_SIZE,
}) {
  const p50 = {};
  const latencyRows = [];
  for (const size of SIZES) {
    p50[size] = {};
    for (const name of Object.keys(LABELS)) {
      const mine = latency.filter((run) => run.size === size && run.path === name);
      if (!mine.length) continue;
      p50[size][name] = medianOf(mine, 'p50');
      latencyRows.push([
        sizeLabel(size),
        LABELS[name],
        p50[size][name],
        medianOf(mine, 'p99'),
        medianOf(mine, 'publishP50'),
        ratio(p50[size].patch, p50[size][name]),
        String(mine[0].rounds),
      ]);
    }
  }
  printTable(
    `A one-field change (about 100 B of patch): Python -> Node holds the new state (us; median of ${REPEATS} run(s))`,
    ['state', 'path', 'p50', 'p99', 'publish call p50', 'patch() p50 / this', 'rounds'],
    latencyRows,
  );

  const rateRows = [];
  for (const gapUs of [...new Set(rates.map((run) => run.gapUs))]) {
    for (const name of ['floor', 'patch', 'set']) {
      const mine = rates.filter((run) => run.gapUs === gapUs && run.path === name);
      const floor = rates.filter((run) => run.gapUs === gapUs && run.path === 'floor');
      rateRows.push([
        `${gapUs / 1000} ms`,
        LABELS[name],
        medianOf(mine, 'p50'),
        medianOf(mine, 'p99'),
        ratio(medianOf(mine, 'p50'), medianOf(floor, 'p50')),
      ]);
    }
  }
  printTable(
    `At a pace: 1 KiB state, one commit every 1 or 5 ms, each after the previous arrived (us; median of ${REPEATS})`,
    ['between commits', 'path', 'p50', 'p99', 'p50 x floor'],
    rateRows,
  );

  const cpu = {};
  const writerRows = [];
  for (const size of [1024, BIG]) {
    const mine = writer.filter((run) => run.size === size);
    const checkpoints = (side) =>
      mine.flatMap((run) => run[side].checkpointUs).sort((a, b) => a - b);
    cpu[size] = {
      node: median(mine.map((run) => run.node.cpuUsPerCommit)),
      python: median(mine.map((run) => run.python.cpuUsPerCommit)),
    };
    for (const side of ['node', 'python']) {
      const sorted = checkpoints(side);
      writerRows.push([
        sizeLabel(size),
        side === 'node' ? 'Node update()' : 'Python patch()',
        cpu[size][side],
        String(median(mine.map((run) => run[side].commits))),
        sorted.length ? `${formatCell(percentile(sorted, 0.99))} (${sorted.length})` : '-',
      ]);
    }
  }
  printTable(
    `Writer CPU per small change (us per commit, process CPU time; median of ${REPEATS})`,
    ['state', 'writer', 'CPU us/commit', 'commits per run', 'checkpoint commits: p99 wall us (n)'],
    writerRows,
  );

  const run = fresh[0];
  const freshMs = median(run.ringMs);
  const fullMs = median(run.wholeMs);
  printTable(
    `A fresh get() (open + get + close) at ${sizeLabel(BIG)}, just before a checkpoint is due (ms; median of ${run.ringMs.length})`,
    ['store', 'patches applied', 'ms', 'x full read'],
    [
      ['ring: checkpoint + patches', String(run.patches), freshMs, ratio(freshMs, fullMs)],
      ['no ring: full read', '0', fullMs, '1.00x'],
    ],
  );

  const fanoutRows = [];
  const slowdown = {};
  for (const whole of [false, true]) {
    const rate = (count) =>
      median(
        fanout.filter((r) => r.whole === whole && r.subscribers === count).map((r) => r.perSecond),
      );
    const cpuOf = (count) =>
      median(
        fanout
          .filter((r) => r.whole === whole && r.subscribers === count)
          .map((r) => r.cpuUsPerCommit),
      );
    const counts = [...new Set(fanout.map((r) => r.subscribers))];
    const most = Math.max(...counts);
    slowdown[whole ? 'whole' : 'patch'] = rate(0) / rate(most);
    for (const count of counts) {
      fanoutRows.push([
        whole ? 'Node set(whole), no ring' : 'Node patch(), ring',
        String(count),
        rate(count),
        cpuOf(count),
        count ? ratio(rate(0), rate(count)) : '-',
      ]);
    }
  }
  printTable(
    `Subscribers and the writer: commits flat out, ${sizeLabel(FANOUT_SIZE)} state (median of ${REPEATS})`,
    ['writer', 'subscribers', 'commits/s', 'writer CPU us/commit', 'slowdown (x)'],
    fanoutRows,
  );

  const targets = [];
  const target = (what, value, limit, met) => targets.push({ what, value, limit, met });
  target(
    `${sizeLabel(BIG)} patch() p50 / 1 KiB patch() p50`,
    p50[BIG].patch / p50[1024].patch,
    1.5,
    (v) => v <= 1.5,
  );
  for (const size of SIZES) {
    const closest = Math.min(p50[size].unix, p50[size]['redis-pubsub']);
    target(
      `${sizeLabel(size)}: patch() p50 / fastest peer p50`,
      p50[size].patch / closest,
      1,
      (v) => v < 1,
    );
  }
  target(
    `Node update() CPU ${sizeLabel(BIG)} / 1 KiB`,
    cpu[BIG].node / cpu[1024].node,
    2,
    (v) => v <= 2,
  );
  target(
    `Python patch() CPU ${sizeLabel(BIG)} / 1 KiB`,
    cpu[BIG].python / cpu[1024].python,
    2,
    (v) => v <= 2,
  );
  target(`fresh get() / full read at ${sizeLabel(BIG)}`, freshMs / fullMs, 2, (v) => v <= 2);
  target(
    `writer slowdown, ${Math.max(...fanout.map((r) => r.subscribers))} subscribers: patch() / set(whole)`,
    slowdown.patch / slowdown.whole,
    1,
    (v) => v < 1,
  );
  for (const t of targets) t.met = t.met(t.value);
  printTable(
    'Targets',
    ['target', 'ratio', 'limit', 'met'],
    targets.map((t) => [t.what, ratio(t.value, 1), ratio(t.limit, 1), t.met ? 'met' : 'missed']),
  );
  return { p50, cpu, fresh: { freshMs, fullMs, patches: run.patches }, slowdown, targets };
}
