// The self-verifying state the burst and kill scenarios write: every element of `body`
// equals `seq`, so a reader can tell a whole state from a torn or mixed one. The tests'
// initial state is { seq: 0 }.
export const burstState = (seq, writer = 'node') => ({ seq, writer, body: Array(16).fill(seq) });

export const isWholeBurstState = (state) =>
  state !== null &&
  typeof state === 'object' &&
  (state.seq === 0 ||
    (Array.isArray(state.body) &&
      state.body.length === 16 &&
      state.body.every((x) => x === state.seq)));
