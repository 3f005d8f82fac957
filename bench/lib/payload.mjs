/**
 * The benchmark state: a realistic object (records with ids, names, numbers, flags), not one
 * long string, so decoding costs what real state costs. bench/lib/payload.py builds the same
 * shape; `seq` and `t` (CLOCK_MONOTONIC ns at publish) are the fields the benchmarks change.
 * Sizes are reached with `seq` and `t` at their widest, so real states are at most `bytes`.
 */
const item = (id) => ({
  id,
  name: `sensor-${id}`,
  value: (id % 97) / 8 + 0.0625,
  ok: id % 3 !== 0,
});

export function makeState(bytes) {
  const state = { seq: 99999, t: 999999999999999, items: [], pad: '' };
  let length = JSON.stringify(state).length;
  for (let id = 0; ; id++) {
    const next = JSON.stringify(item(id)).length + (state.items.length ? 1 : 0);
    if (length + next > bytes) break;
    state.items.push(item(id));
    length += next;
  }
  state.pad = 'x'.repeat(Math.max(0, bytes - length));
  state.seq = 0;
  state.t = 0;
  return state;
}
