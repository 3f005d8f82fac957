/**
 * Draws the latency comparison of a results JSON (bench/latency.mjs's section) as an SVG:
 * one group of bars per state size, one bar per path (p50), a whisker to p99; log scale.
 *   node bench/chart.mjs [results.json] [out.svg]
 * Defaults: bench/results/latest.json -> docs/benchmarks-latency.svg
 */
import fs from 'node:fs';
import path from 'node:path';
import { benchDir, repoRoot } from './lib/mode.mjs';
import { sizeLabel } from './lib/table.mjs';

const input = process.argv[2] ?? path.join(benchDir, 'results', 'latest.json');
const output = process.argv[3] ?? path.join(repoRoot, 'docs', 'benchmarks-latency.svg');
const results = JSON.parse(fs.readFileSync(input, 'utf8'));
const latency = results.sections?.latency;
if (!latency) throw new Error(`${input} has no latency section: run bench/latency.mjs first`);

const COLORS = {
  floor: '#6b7280',
  'floor-pinned': '#9ca3af',
  shmstate: '#2563eb',
  unix: '#16a34a',
  'redis-pubsub': '#dc2626',
  'redis-get': '#f59e0b',
};
const sizes = Object.keys(latency.medians)
  .map(Number)
  .sort((a, b) => a - b);
const paths = Object.keys(latency.medians[sizes[0]]);
const BAR = 16,
  GAP = 4,
  GROUP_GAP = 26,
  LEFT = 290,
  PLOT = 560,
  TOP = 58;
const all = sizes.flatMap((s) =>
  paths.flatMap((p) => [latency.medians[s][p].p50.median, latency.medians[s][p].p99.median]),
);
const lo = 10 ** Math.floor(Math.log10(Math.min(...all))),
  hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
const x = (us) => LEFT + (Math.log10(us / lo) / Math.log10(hi / lo)) * PLOT;
const HEADING = 20;
const groupHeight = HEADING + paths.length * (BAR + GAP) + GROUP_GAP;
const height = TOP + sizes.length * groupHeight + 40;
const width = LEFT + PLOT + 150;
const esc = (text) =>
  String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (us) => (us >= 100 ? us.toFixed(0) : us.toFixed(1));

const parts = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  `<rect width="100%" height="100%" fill="#fff"/>`,
  `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">Python publish -> Node holds the parsed value: p50 bars, p99 whiskers (us, log scale)</text>`,
  `<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">median of ${latency.repeats} run(s) x ${latency.rounds} round trips; ${esc(results.machine?.cpuModel ?? '')}, ${results.machine?.nproc ?? '?'} CPUs</text>`,
];
for (let decade = lo; decade <= hi; decade *= 10) {
  parts.push(
    `<line x1="${x(decade)}" y1="${TOP - 6}" x2="${x(decade)}" y2="${height - 34}" stroke="#e5e7eb"/>`,
    `<text x="${x(decade)}" y="${height - 20}" text-anchor="middle" fill="#555">${decade >= 1000 ? `${decade / 1000} ms` : `${decade} us`}</text>`,
  );
}
sizes.forEach((size, g) => {
  const top = TOP + g * groupHeight;
  parts.push(
    `<text x="8" y="${top + 13}" font-weight="bold" font-size="13">${sizeLabel(size)} state</text>`,
  );
  paths.forEach((name, i) => {
    const y = top + HEADING + i * (BAR + GAP);
    const { p50, p99 } = latency.medians[size][name];
    const bold = name === 'shmstate' ? ' font-weight="bold"' : '';
    parts.push(
      `<text x="${LEFT - 8}" y="${y + BAR - 4}" text-anchor="end"${bold}>${esc(latency.labels[name] ?? name)}</text>`,
      `<rect x="${LEFT}" y="${y}" width="${Math.max(1, x(p50.median) - LEFT)}" height="${BAR}" fill="${COLORS[name] ?? '#444'}"/>`,
      `<line x1="${x(p50.median)}" y1="${y + BAR / 2}" x2="${x(p99.median)}" y2="${y + BAR / 2}" stroke="#111"/>`,
      `<line x1="${x(p99.median)}" y1="${y + 3}" x2="${x(p99.median)}" y2="${y + BAR - 3}" stroke="#111"/>`,
      `<text x="${x(p99.median) + 6}" y="${y + BAR - 4}" fill="#333">${fmt(p50.median)} / ${fmt(p99.median)}</text>`,
    );
  });
});
parts.push('</svg>');
fs.mkdirSync(path.dirname(output), { recursive: true });
fs.writeFileSync(output, parts.join('\n') + '\n');
console.log(`chart: ${path.relative(process.cwd(), output)}`);
