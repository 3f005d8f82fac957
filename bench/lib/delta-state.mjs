/**
 * The state of the delta benchmarks (bench/deltas.mjs): an object of robot records keyed
 * by id, `{ seq, t, robots: { r0: { id, name, pose: { x, y }, tags }, ... } }`, filled up
 * to `bytes` of compact JSON (bench/lib/delta_state.py builds the same). A one-field change
 * is `smallChange(seq, t)`: the x of the middle robot and the stamp `t`, about 100 bytes
 * of JSON Patch. An object of records, not one array, so that a change copies the records
 * object on its path and nothing else.
 */
const robot = (id) => ({
  id,
  name: `robot-${id}`,
  pose: { x: (id % 89) / 4 + 0.125, y: (id % 61) / 8 + 0.0625 },
  tags: id % 2 ? ['mobile', 'lidar'] : ['fixed'],
});

export function makeRobots(bytes) {
  const state = { seq: 0, t: 999999999999999, robots: {} };
  let length = JSON.stringify(state).length;
  for (let id = 0; ; id++) {
    const entry = `"r${id}":${JSON.stringify(robot(id))}`.length + (id ? 1 : 0);
    if (length + entry > bytes) break;
    state.robots[`r${id}`] = robot(id);
    length += entry;
  }
  state.t = 0;
  return state;
}

/** The path of the field a small change replaces: the middle robot's pose.x. */
export function changedPath(state) {
  const ids = Object.keys(state.robots);
  return `/robots/${ids[ids.length >> 1]}/pose/x`;
}

/** The small change of round `seq`: the robot moves and the stamp follows. */
export const smallChange = (path, seq, t) => [
  { op: 'replace', path, value: seq + 0.5 },
  { op: 'replace', path: '/t', value: t },
];
