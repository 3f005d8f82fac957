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
import fs from 'node:fs';
import net from 'node:net';
import jsonpatch from 'fast-json-patch';
import { makeRobots, robotAt } from '../lib/delta-state.mjs';
import { summarize } from '../lib/stats.mjs';

const options = JSON.parse(process.argv[2]);
const { transport, rounds, warmup } = options;
const latencies = new Float64Array(rounds);
let received = 0;
let finish = () => {};

/** Called with the state once it holds the change; returns true once every round is in. */
function record(state) {
  const latencyNs = Number(process.hrtime.bigint()) - state.t;
  const round = state.seq - warmup;
  if (round >= 0) latencies[round] = latencyNs / 1000;
  received += 1;
  return received === warmup + rounds;
}

function report() {
  console.log(JSON.stringify(summarize(latencies)));
  finish();
}

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
    const done = record({ t: state.t, seq });
    ack.set({ seq });
    if (done) report();
  });
  finish = () => {
    subscription.unsubscribe();
    store.close();
    ack.close();
    SharedStore.unlink(options.name);
    SharedStore.unlink(options.ackName);
  };
}

async function viaUnixSocket() {
  fs.rmSync(options.socketPath, { force: true });
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const state = applyMessage(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        const done = record(state);
        socket.write('\n');
        if (done) report();
      }
    });
  });
  await new Promise((resolve) => server.listen(options.socketPath, resolve));
  finish = () => {
    server.close();
    fs.rmSync(options.socketPath, { force: true });
  };
}

async function viaRedis() {
  const { default: Redis } = await import('ioredis');
  const subscriber = new Redis({ port: options.redisPort, host: '127.0.0.1' });
  const commands = new Redis({ port: options.redisPort, host: '127.0.0.1' });
  await subscriber.subscribe('bench');
  subscriber.on('message', async (_channel, message) => {
    const done = record(applyMessage(message));
    await commands.lpush('bench-ack', '1');
    if (done) report();
  });
  finish = () => {
    subscriber.disconnect();
    commands.disconnect();
  };
}

const transports = { shmstate: viaShmstate, unix: viaUnixSocket, 'redis-pubsub': viaRedis };
await transports[transport]();
console.log('ready');
