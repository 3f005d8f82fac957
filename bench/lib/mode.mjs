/**
 * Run mode shared by every script: `--quick` (or BENCH_MODE=quick) for a short check that
 * the scripts work, full by default. BENCH_RESULTS names the results JSON to append to.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(benchDir, '..');
export const quick = process.argv.includes('--quick') || process.env.BENCH_MODE === 'quick';
export const resultsPath =
  process.env.BENCH_RESULTS ??
  path.join(benchDir, 'results', quick ? 'tmp/quick.json' : 'latest.json');
export const python = process.env.BENCH_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');

/** Picks the quick or the full value. */
export const pick = (quickValue, fullValue) => (quick ? quickValue : fullValue);

let counter = 0;
/** A segment name unique to this process and call, so parallel runs never collide. */
export const uniqueName = (what) => `bench-${what}-${process.pid}-${++counter}`;
