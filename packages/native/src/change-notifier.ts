import { invalidArgument } from './argument-checks';
import type { NativeSegment, NotifyMechanism } from './native-addon';
import type { ShmStateError } from './shm-state-error';

/**
 * Called on the event loop when the segment's version may have changed (read it to know),
 * or once with an error if the native wait failed for good; the handle is stopped then.
 */
export type WatchListener = (error?: ShmStateError) => void;

/** A listener's registration; `stop()` is idempotent. */
export interface WatchHandle {
  stop(): void;
  readonly stopped: boolean;
}

interface Registration {
  listener: WatchListener;
  stopped: boolean;
}

/**
 * The one notification path of an open segment, shared by all its listeners: the first
 * `add()` starts the native watcher, the last `stop()` stops it, so a process holds one
 * watcher per segment whatever the number of listeners, and the event loop is kept alive
 * only while someone listens. This class is the only place that knows how the native side
 * notifies (`watchStart`/`watchStop`); changing the mechanism changes nothing above it.
 *
 * Two mechanisms, chosen when the native watcher starts from the environment variable
 * `SHMSTATE_NOTIFY`: `doorbell` (the default) registers a doorbell in the segment that the
 * event loop polls itself, so a commit wakes this thread once; `thread` blocks a native
 * thread on the segment's futex and hands each change to the event loop (two wake-ups).
 * A segment's doorbell table holds 64 subscriber processes; past that the native side
 * falls back to the thread, which `mechanism` then reports. How often one doorbell
 * wake-up calls the listeners is the C core's delivery turn (`shmstate_doorbell_turn_*`
 * in shmstate.h, shared with Python's asyncio binding): once, and again at once while
 * newer versions keep landing, a bounded number of times. Any other value of
 * `SHMSTATE_NOTIFY` is refused with E_INVALID when a watcher starts.
 *
 * A listener that throws does not stop the watcher nor the other listeners: its error is
 * rethrown on the next tick, where it surfaces as an uncaught exception, exactly as an
 * exception thrown by an event listener would.
 *
 * @example
 * ```ts
 * const notifier = new ChangeNotifier(native);
 * const handle = notifier.add(() => console.log('version', native.version()));
 * handle.stop();
 * ```
 */
export class ChangeNotifier {
  readonly #native: NativeSegment;
  readonly #registrations = new Set<Registration>();

  #mechanism: NotifyMechanism | undefined;

  constructor(native: NativeSegment) {
    this.#native = native;
  }

  /** The mechanism of the running native watcher, `undefined` while nobody listens. */
  get mechanism(): NotifyMechanism | undefined {
    return this.#mechanism;
  }

  /** Number of listeners currently registered. */
  get size(): number {
    return this.#registrations.size;
  }

  add(listener: WatchListener): WatchHandle {
    const registration: Registration = { listener, stopped: false };
    // Start before registering: if starting throws, nothing is left half-registered.
    if (this.#registrations.size === 0) {
      this.#mechanism = this.#native.watchStart(this.#notify, requestedMechanism());
    }
    this.#registrations.add(registration);
    return {
      stop: () => this.#remove(registration),
      get stopped() {
        return registration.stopped;
      },
    };
  }

  /** Stops every handle and the native watcher (used by `Segment#close()`). */
  stopAll(): void {
    for (const registration of this.#registrations) registration.stopped = true;
    if (this.#registrations.size > 0) {
      this.#registrations.clear();
      this.#mechanism = undefined;
      this.#native.watchStop();
    }
  }

  #remove(registration: Registration): void {
    if (registration.stopped) return;
    registration.stopped = true;
    this.#registrations.delete(registration);
    if (this.#registrations.size === 0) {
      this.#mechanism = undefined;
      this.#native.watchStop();
    }
  }

  // Arrow property: handed to the native side once per start, `this` bound.
  readonly #notify = (error?: ShmStateError): void => {
    // Iterate a copy: listeners may stop themselves or others, or add new ones, while we
    // call them; a registration stopped earlier in this round is skipped.
    const current = [...this.#registrations];
    if (error !== undefined) {
      // The native wait ended for good: stop everything first so listeners that react by
      // watching again start a fresh watcher.
      this.stopAll();
      for (const registration of current) call(registration.listener, error);
      return;
    }
    for (const registration of current) {
      if (!registration.stopped) call(registration.listener);
    }
  };
}

/** `SHMSTATE_NOTIFY`, read at each native start so a process can switch between runs. */
function requestedMechanism(): NotifyMechanism {
  const value = process.env['SHMSTATE_NOTIFY'];
  if (value === undefined || value === '' || value === 'doorbell') return 'doorbell';
  if (value === 'thread') return 'thread';
  throw invalidArgument(
    `Environment variable SHMSTATE_NOTIFY must be "doorbell" or "thread", got ${JSON.stringify(value)}`,
  );
}

function call(listener: WatchListener, error?: ShmStateError): void {
  try {
    if (error === undefined) listener();
    else listener(error);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}
