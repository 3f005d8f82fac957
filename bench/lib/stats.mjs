/**
 * Percentiles and summaries shared by every benchmark (bench/lib/stats.py mirrors it, so
 * Node and Python figures are computed the same way).
 */

/** Nearest-rank percentile of an ascending-sorted array (q in 0..1). */
export function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** p50/p99/p99.9/min/max/mean of raw samples, in the samples' unit. */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median with its spread over repeated runs: { median, min, max, runs }. */
export function spread(values) {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    runs: values.length,
  };
}

/**
 * Calls `fn` in batches until `seconds` have passed; returns ns per call and calls/s.
 * Batching keeps the clock reads out of the figure for calls of a few nanoseconds. A
 * warm-up of a fifth of the time (at least 20 ms) runs first, so the JIT has compiled
 * `fn` before it is timed.
 */
export function timeLoop(fn, seconds, batch = 64) {
  runFor(fn, Math.max(0.02, seconds / 5), batch);
  return runFor(fn, seconds, batch);
}

function runFor(fn, seconds, batch) {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let calls = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < batch; i++) fn(i);
    calls += batch;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  const ns = Number(elapsed) / calls;
  return { nsPerCall: ns, perSecond: 1e9 / ns, calls };
}

/**
 * Times several functions against each other: `slices` rounds, each running every
 * function for its share of `seconds` in turn, then the median ns per call of each over
 * the rounds. A difference between two of them (set() minus encode) is then measured in
 * the same conditions, which separate timeLoop runs on a busy machine are not.
 * Returns one { nsPerCall, perSecond } per function.
 */
export function timeInterleaved(fns, seconds, batch = 64, slices = 15) {
  for (const fn of fns) runFor(fn, Math.max(0.02, seconds / 5 / fns.length), batch);
  const samples = fns.map(() => []);
  const slice = seconds / slices / fns.length;
  for (let round = 0; round < slices; round++) {
    fns.forEach((fn, index) => samples[index].push(runFor(fn, slice, batch).nsPerCall));
  }
  return samples.map((values) => {
    const ns = median(values);
    return { nsPerCall: ns, perSecond: 1e9 / ns };
  });
}
