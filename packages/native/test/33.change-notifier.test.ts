import test from 'ava';
import { ChangeNotifier } from '../src/change-notifier';
import type { NativeSegment } from '../src/native-addon';
import { ShmStateError } from '../src/index';

/** A stand-in for the native side: records start/stop and lets the test fire callbacks. */
function fakeNative() {
  const calls: string[] = [];
  let callback: ((error?: ShmStateError) => void) | undefined;
  const native = {
    watchStart(cb: (error?: ShmStateError) => void) {
      calls.push('start');
      callback = cb;
    },
    watchStop() {
      calls.push('stop');
      callback = undefined;
    },
  } as unknown as NativeSegment;
  const fire = (error?: ShmStateError) => {
    if (callback === undefined) throw new Error('not watching');
    callback(error);
  };
  return { native, calls, fire };
}

test('the first listener starts the native watcher and the last stop stops it', (t) => {
  const { native, calls } = fakeNative();
  const notifier = new ChangeNotifier(native);
  const a = notifier.add(() => undefined);
  const b = notifier.add(() => undefined);
  t.deepEqual(calls, ['start']);
  a.stop();
  a.stop();
  t.deepEqual(calls, ['start']);
  b.stop();
  t.deepEqual(calls, ['start', 'stop']);
  t.is(notifier.size, 0);
});

test('the same function added twice gets two independent handles', (t) => {
  const { native, fire } = fakeNative();
  const notifier = new ChangeNotifier(native);
  let calls = 0;
  const listener = () => (calls += 1);
  const first = notifier.add(listener);
  notifier.add(listener);
  fire();
  t.is(calls, 2);
  first.stop();
  fire();
  t.is(calls, 3);
});

test('a listener stopped by an earlier listener in the same round is not called', (t) => {
  const { native, fire } = fakeNative();
  const notifier = new ChangeNotifier(native);
  let secondCalls = 0;
  notifier.add(() => second.stop());
  const second = notifier.add(() => (secondCalls += 1));
  fire();
  t.is(secondCalls, 0);
});

test('a native failure stops every handle and reaches every listener once', (t) => {
  const { native, calls, fire } = fakeNative();
  const notifier = new ChangeNotifier(native);
  const received: unknown[] = [];
  const a = notifier.add((error) => received.push(error));
  const b = notifier.add((error) => received.push(error));
  const failure = new ShmStateError('futex wait failed', 'E_SYSTEM', 14);
  fire(failure);
  t.deepEqual(received, [failure, failure]);
  t.true(a.stopped);
  t.true(b.stopped);
  t.deepEqual(calls, ['start', 'stop']);
});

test('a listener may watch again from inside the failure callback', (t) => {
  const { native, calls, fire } = fakeNative();
  const notifier = new ChangeNotifier(native);
  let again: { stopped: boolean } | undefined;
  notifier.add(() => {
    again = notifier.add(() => undefined);
  });
  fire(new ShmStateError('failed', 'E_SYSTEM'));
  t.false(again?.stopped);
  t.deepEqual(calls, ['start', 'stop', 'start']);
});

test('stopAll stops every handle and the native watcher once', (t) => {
  const { native, calls } = fakeNative();
  const notifier = new ChangeNotifier(native);
  const a = notifier.add(() => undefined);
  notifier.stopAll();
  notifier.stopAll();
  t.true(a.stopped);
  t.deepEqual(calls, ['start', 'stop']);
});

test('SHMSTATE_NOTIFY picks the mechanism; mechanism reports what the native side chose', (t) => {
  const requested: string[] = [];
  const native = {
    // A native side whose doorbell table is full: it falls back to the thread.
    watchStart(_callback: unknown, mechanism: string) {
      requested.push(mechanism);
      return 'thread';
    },
    watchStop() {},
  } as unknown as NativeSegment;
  const notifier = new ChangeNotifier(native);
  const saved = process.env['SHMSTATE_NOTIFY'];
  try {
    delete process.env['SHMSTATE_NOTIFY'];
    const handle = notifier.add(() => undefined);
    t.is(notifier.mechanism, 'thread');
    handle.stop();
    t.is(notifier.mechanism, undefined);
    process.env['SHMSTATE_NOTIFY'] = 'thread';
    notifier.add(() => undefined).stop();
  } finally {
    if (saved === undefined) delete process.env['SHMSTATE_NOTIFY'];
    else process.env['SHMSTATE_NOTIFY'] = saved;
  }
  t.deepEqual(requested, ['doorbell', 'thread']);
});
