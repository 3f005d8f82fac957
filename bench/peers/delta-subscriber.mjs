/**
 * The Node side of the delta ping-pong (bench/deltas.mjs): holds the robots state of
 * lib/delta-state.mjs, receives each small change (or whole state) through one transport,
 * records now - state.t the moment it holds the new state, then acks so the Python
 * publisher (peers/delta_publisher.py) starts the next round.
 *
 *   node peers/delta-subscriber.mjs '{"transport":"shmstate","size":...,"ringEntries":...}'
 * transports: shmstate (state$ of a store this process creates, with `ringEntries`; 0 for
 * whole states), unix and redis-pubsub (a JSON Patch per message, applied in place with
 * fast-json-patch to the state this process keeps). Prints "ready" once listening, then
 * one JSON line of percentiles (us) and exits.
 */
import jsonpatch from 'fast-json-patch';
import { makeRobots, robotAt } from '../lib/delta-state.mjs';
import { PingPong } from '../lib/pingpong-subscriber.mjs';

const options = JSON.parse(process.argv[2]);
const pingPong = new PingPong(options);

// The peers keep the whole state and apply each patch in place: the cheapest use of
// fast-json-patch (no validation, no copy), what a hand-rolled delta protocol would do.
let held = makeRobots(options.size);
function applyMessage(text) {
  const ops = JSON.parse(text);
  held = jsonpatch.applyPatch(held, ops, false, true).newDocument;
  held.seq = Math.floor(ops[0].value); // the round, carried by the robot's x (seq + 0.5)
  return held;
}

async function viaShmstate() {
  const { SharedStore } = await import('@shmstate/core');
  const store = SharedStore.create(options.name, {
    initial: makeRobots(options.size),
    capacity: Math.max(4096, options.size * 2),
    ringEntries: options.ringEntries,
  });
  const ack = SharedStore.create(options.ackName, { initial: { seq: -1 }, capacity: 4096 });
  const subscription = store.state$.subscribe((state) => {
    if (state.t === 0) return; // the replayed initial state
    // A patch leaves seq alone: the round is the robot's x (seq + 0.5), as in applyMessage.
    const seq = Math.floor(robotAt(state, options.path).pose.x);
    const done = pingPong.record({ t: state.t, seq });
    ack.set({ seq });
    if (done) pingPong.report();
  });
  pingPong.finish = () => {
    subscription.unsubscribe();
    store.close();
    ack.close();
    SharedStore.unlink(options.name);
    SharedStore.unlink(options.ackName);
  };
}

const transports = {
  shmstate: viaShmstate,
  unix: () => pingPong.viaUnixSocket(options.socketPath, applyMessage),
  'redis-pubsub': () => pingPong.viaRedis(options.redisPort, applyMessage),
};
await transports[options.transport]();
console.log('ready');
