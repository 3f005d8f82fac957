/**
 * The state of the delta benchmarks (bench/deltas.mjs): robot records keyed by id in a
 * tree of bounded width, `{ seq, t, robots: { a0: { b0: { r0: { id, name, pose: { x, y },
 * tags }, ... r31 }, ... b31 }, ... } }`: 32 robots a group, 32 groups a section, filled up
 * to `bytes` of compact JSON (bench/lib/delta_state.py builds the same bytes). A one-field
 * change is `smallChange(path, seq, t)`: the x of the middle robot and the stamp `t`,
 * about 130 bytes of JSON Patch.
 *
 * Bounded width, because a change copies every container on its path (structural
 * sharing): with all 11,000 robots of 1 MiB in one object, each change would copy that
 * object, a cost of the container's width (docs/benchmarks.md measures that shape too:
 * `makeWideRobots`).
 */
const robot = (id) => ({
  id,
  name: `robot-${id}`,
  pose: { x: (id % 89) / 4 + 0.125, y: (id % 61) / 8 + 0.0625 },
  tags: id % 2 ? ['mobile', 'lidar'] : ['fixed'],
});

const GROUP = 32;

/** Where robot `id` lives in the tree: its section, group and key. */
const placeOf = (id) => [
  `a${Math.floor(id / (GROUP * GROUP))}`,
  `b${Math.floor(id / GROUP) % GROUP}`,
  `r${id}`,
];

function treeOf(count) {
  const state = { seq: 0, t: 999999999999999, robots: {} };
  for (let id = 0; id < count; id++) {
    const [a, b, r] = placeOf(id);
    ((state.robots[a] ??= {})[b] ??= {})[r] = robot(id);
  }
  return state;
}

function flatOf(count) {
  const state = { seq: 0, t: 999999999999999, robots: {} };
  for (let id = 0; id < count; id++) state.robots[`r${id}`] = robot(id);
  return state;
}

/** The largest state of `build(count)` whose compact JSON fits `bytes`, with t = 0. */
function fill(bytes, build) {
  let low = 0;
  let high = 1;
  while (JSON.stringify(build(high)).length <= bytes) high *= 2;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (JSON.stringify(build(middle)).length <= bytes) low = middle;
    else high = middle;
  }
  const state = build(low);
  state.t = 0;
  return state;
}

export const makeRobots = (bytes) => fill(bytes, treeOf);

/** The same robots in one object keyed by id: every change copies that object. */
export const makeWideRobots = (bytes) => fill(bytes, flatOf);

/** The path of the field a small change replaces: the middle robot's pose.x. */
export function changedPath(state) {
  const ids = [];
  const walk = (node, path) => {
    for (const [key, child] of Object.entries(node)) {
      if (key.startsWith('r')) ids.push(`${path}/${key}`);
      else walk(child, `${path}/${key}`);
    }
  };
  walk(state.robots, '/robots');
  return `${ids[ids.length >> 1]}/pose/x`;
}

/** The robot a path from `changedPath` names (`/robots/a5/b17/r5676/pose/x`), in `state`
 * or in an immer draft of it. */
export function robotAt(state, path) {
  const tokens = path.split('/').slice(2, -2);
  return tokens.reduce((node, token) => node[token], state.robots);
}

/** The small change of round `seq`: the robot moves and the stamp follows. */
export const smallChange = (path, seq, t) => [
  { op: 'replace', path, value: seq + 0.5 },
  { op: 'replace', path: '/t', value: t },
];
