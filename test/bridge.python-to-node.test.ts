/**
 * The bridge end to end through a real nats-server with JetStream: a Python writer commits
 * 10,000 versions to store A ("host A"); the bridge publishes them into a KV bucket and a
 * follower commits them into mirror store B ("host B"). A Node changes$ subscriber on B sees
 * the leader's versions strictly increasing and ends on the final state, with
 * last - first = (emissions - 1) + sum(missed). A second follower, started halfway through
 * into mirror C, rebuilds the full state from the bucket.
 */
import test from 'ava';
import { SharedStore } from '@shmstate/core';
import { segmentFor, spawnPython } from './helpers';
import { startNats } from './helpers/nats-server';

const VERSIONS = 10_000;

interface Tick {
  tick: number;
  pad: string;
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test(`${VERSIONS} versions through NATS KV: a Node subscriber on the mirror sees the leader's versions; a late follower rebuilds the state`, async (t) => {
  const nats = await startNats(t);
  const leader = segmentFor(t, 'bridge-a');
  const mirrorB = segmentFor(t, 'bridge-b');
  const mirrorC = segmentFor(t, 'bridge-c');
  const writer = spawnPython(t, 'bridge-writer.py', [leader, String(VERSIONS)]);
  t.is(await writer.nextLine(), 'created');
  spawnPython(t, 'bridge.py', ['publish', leader, '--server', nats.url]);
  spawnPython(t, 'bridge.py', ['follow', `${leader}:${mirrorB}`, '--server', nats.url]);

  const b = await SharedStore.openWhenReady<Tick>(mirrorB, { timeout: 30_000 });
  t.teardown(() => b.close());
  t.true(b.stats().mirror);
  t.regex(b.stats().leader ?? '', new RegExp(`key ${leader}, leader store id [0-9a-f]{16}$`));
  const emissions: Array<{ version: number; missed: number; tick: number }> = [];
  const subscription = b.changes$.subscribe(({ version, missed, state }) =>
    emissions.push({ version, missed, tick: state.tick }),
  );
  t.teardown(() => subscription.unsubscribe());

  writer.process.stdin!.write('go\n');
  t.is(await writer.nextLine(), 'half');
  spawnPython(t, 'bridge.py', ['follow', `${leader}:${mirrorC}`, '--server', nats.url]);
  writer.process.stdin!.write('go\n');
  const [word, lastText] = (await writer.nextLine()).split(' ');
  t.is(word, 'done');
  const last = Number(lastText);
  t.is(last, VERSIONS + 1);

  await until('the subscriber on B to reach the last version', () =>
    emissions.length > 0 ? emissions[emissions.length - 1]!.version === last : false,
  );
  const versions = emissions.map((e) => e.version);
  t.true(
    versions.every((v, i) => i === 0 || v > versions[i - 1]!),
    'leader versions strictly increasing',
  );
  t.true(
    emissions.every((e) => e.tick === e.version - 1),
    'each version with its state',
  );
  const missed = emissions.reduce((sum, e) => sum + e.missed, 0);
  t.is(last - emissions[0]!.version, emissions.length - 1 + missed);
  t.deepEqual(b.get(), { tick: VERSIONS, pad: 'p'.repeat(900) });

  const c = await SharedStore.openWhenReady<Tick>(mirrorC, { timeout: 30_000 });
  t.teardown(() => c.close());
  await until('the late follower C to reach the last version', () => c.snapshot().version === last);
  t.deepEqual(c.get(), { tick: VERSIONS, pad: 'p'.repeat(900) });
  t.log(`${emissions.length} emissions on B, ${missed} versions missed (conflated)`);
  writer.process.stdin!.end();
  await writer.done();
});
