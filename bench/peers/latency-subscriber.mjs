/**
 * The Node side of the latency ping-pong (bench/latency.mjs): receives each state through
 * one transport, records now - state.t the moment it holds the parsed value, then acks so
 * the Python publisher (peers/latency_publisher.py) starts the next round.
 *
 *   node peers/latency-subscriber.mjs '{"transport":"shmstate","rounds":..., ...}'
 * Prints "ready" once subscribed, then one JSON line of percentiles (us) and exits.
 * process.hrtime.bigint() reads CLOCK_MONOTONIC, the clock Python stamps with.
 */
import { asOlderCreatorMadeIt } from '../lib/older-creator.mjs';
import { makeState } from '../lib/payload.mjs';
import { PingPong } from '../lib/pingpong-subscriber.mjs';

const options = JSON.parse(process.argv[2]);
const pingPong = new PingPong(options);
const parse = (text) => JSON.parse(text);

async function viaShmstate(doorbell = 'path') {
  const { SharedStore } = await import('@shmstate/core');
  const initial = { ...makeState(options.size), seq: -1 };
  const store = SharedStore.create(options.name, {
    initial,
    capacity: Math.max(4096, options.size * 2),
    // The whole-state path: every commit a whole state (bench/deltas.mjs measures patches).
    ringEntries: 0,
  });
  // The same store with an abstract doorbell: as a build before path doorbells made it.
  if (doorbell === 'abstract') asOlderCreatorMadeIt(options.name);
  const ack = SharedStore.create(options.ackName, { initial: { seq: -1 }, capacity: 4096 });
  const subscription = store.state$.subscribe((state) => {
    if (state.seq < 0) return; // the replayed initial state
    const done = pingPong.record(state);
    ack.set({ seq: state.seq });
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
  shmstate: () => viaShmstate('path'),
  'shmstate-abstract': () => viaShmstate('abstract'),
  unix: () => pingPong.viaUnixSocket(options.socketPath, parse),
  'redis-pubsub': () => pingPong.viaRedis(options.redisPort, parse),
  // Notified, then the state fetched with a GET.
  'redis-get': () =>
    pingPong.viaRedis(options.redisPort, async (_message, commands) =>
      parse(await commands.get('bench-state')),
    ),
};
await transports[options.transport]();
console.log('ready');
