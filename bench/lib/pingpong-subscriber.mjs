/**
 * The Node side shared by the ping-pong benchmarks' subscribers (peers/latency-subscriber.mjs,
 * peers/delta-subscriber.mjs): records `now - state.t` per round the moment the subscriber
 * holds the state, reports the percentiles, and the two peer transports, a Unix socket
 * carrying one message per line and Redis pub/sub, each acking every message so that the
 * Python publisher starts the next round. process.hrtime.bigint() reads CLOCK_MONOTONIC,
 * the clock Python stamps with.
 *
 * @example
 * const pingPong = new PingPong(options);
 * await pingPong.viaUnixSocket(options.socketPath, (text) => JSON.parse(text));
 * console.log('ready');
 */
import fs from 'node:fs';
import net from 'node:net';
import { summarize } from './stats.mjs';

export class PingPong {
  #latencies;
  #rounds;
  #warmup;
  #received = 0;
  /** Releases what the transport holds; set by the transport, run after the report. */
  finish = () => {};

  constructor({ rounds, warmup }) {
    this.#latencies = new Float64Array(rounds);
    this.#rounds = rounds;
    this.#warmup = warmup;
  }

  /** Records the round of `state` (its `seq` and stamp `t`); reports after the last one. */
  record(state) {
    const latencyNs = Number(process.hrtime.bigint()) - state.t;
    const round = state.seq - this.#warmup;
    if (round >= 0) this.#latencies[round] = latencyNs / 1000;
    this.#received += 1;
    return this.#received === this.#warmup + this.#rounds;
  }

  /** Prints one JSON line of percentiles (us) and lets the process end. */
  report() {
    console.log(JSON.stringify(summarize(this.#latencies)));
    this.finish();
  }

  /** Listens on `socketPath`; each line goes through `decode` to the state, then an ack. */
  async viaUnixSocket(socketPath, decode) {
    fs.rmSync(socketPath, { force: true });
    const server = net.createServer((socket) => {
      socket.setEncoding('utf8');
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk;
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const state = decode(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
          const done = this.record(state);
          socket.write('\n');
          if (done) this.report();
        }
      });
    });
    await new Promise((resolve) => server.listen(socketPath, resolve));
    this.finish = () => {
      server.close();
      fs.rmSync(socketPath, { force: true });
    };
  }

  /**
   * Subscribes to the Redis channel `bench`; each message goes through `decode(message,
   * commands)` (which may read more through the second connection) to the state, then an
   * ack on the list `bench-ack`.
   */
  async viaRedis(port, decode) {
    const { default: Redis } = await import('ioredis');
    const subscriber = new Redis({ port, host: '127.0.0.1' });
    const commands = new Redis({ port, host: '127.0.0.1' });
    await subscriber.subscribe('bench');
    subscriber.on('message', async (_channel, message) => {
      const done = this.record(await decode(message, commands));
      await commands.lpush('bench-ack', '1');
      if (done) this.report();
    });
    this.finish = () => {
      subscriber.disconnect();
      commands.disconnect();
    };
  }
}
