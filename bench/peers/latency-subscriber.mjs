/**
 * The Node side of the latency ping-pong (bench/latency.mjs): receives each state through
 * one transport, records now - state.t the moment it holds the parsed value, then acks so
 * the Python publisher (peers/latency_publisher.py) starts the next round.
 *
 *   node peers/latency-subscriber.mjs '{"transport":"shmstate","rounds":..., ...}'
 * Prints "ready" once subscribed, then one JSON line of percentiles (us) and exits.
 * process.hrtime.bigint() reads CLOCK_MONOTONIC, the clock Python stamps with.
 */
import fs from 'node:fs';
import net from 'node:net';
import { summarize } from '../lib/stats.mjs';
import { makeState } from '../lib/payload.mjs';

const options = JSON.parse(process.argv[2]);
const { transport, rounds, warmup } = options;
const latencies = new Float64Array(rounds);
let received = 0;
let finish = () => {};

/** Called with the parsed state; returns true once every round is in. */
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

async function viaShmstate() {
  const { SharedStore } = await import('@shmstate/core');
  const initial = { ...makeState(options.size), seq: -1 };
  const store = SharedStore.create(options.name, {
    initial,
    capacity: Math.max(4096, options.size * 2),
    // The whole-state path: every commit a whole state (bench/deltas.mjs measures patches).
    ringEntries: 0,
  });
  const ack = SharedStore.create(options.ackName, { initial: { seq: -1 }, capacity: 4096 });
  const subscription = store.state$.subscribe((state) => {
    if (state.seq < 0) return; // the replayed initial state
    const done = record(state);
    ack.set({ seq: state.seq });
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
        const state = JSON.parse(buffered.slice(0, newline));
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

async function viaRedis(getAfterNotify) {
  const { default: Redis } = await import('ioredis');
  const subscriber = new Redis({ port: options.redisPort, host: '127.0.0.1' });
  const commands = new Redis({ port: options.redisPort, host: '127.0.0.1' });
  await subscriber.subscribe('bench');
  subscriber.on('message', async (_channel, message) => {
    const state = JSON.parse(getAfterNotify ? await commands.get('bench-state') : message);
    const done = record(state);
    await commands.lpush('bench-ack', '1');
    if (done) report();
  });
  finish = () => {
    subscriber.disconnect();
    commands.disconnect();
  };
}

const transports = {
  shmstate: viaShmstate,
  unix: viaUnixSocket,
  'redis-pubsub': () => viaRedis(false),
  'redis-get': () => viaRedis(true),
};
await transports[transport]();
console.log('ready');
