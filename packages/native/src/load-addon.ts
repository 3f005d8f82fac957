import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { NativeAddon } from './native-addon';
import { ShmStateError } from './shm-state-error';

let addon: NativeAddon | undefined;

/**
 * The compiled addon (`build/Release/shmstate.node`, built by `node-gyp rebuild`), loaded
 * once per process or worker and handed the `ShmStateError` class so native failures are
 * thrown as real `ShmStateError` instances.
 *
 * @example
 * ```ts
 * const { errorCodes } = loadAddon();
 * ```
 */
export function loadAddon(): NativeAddon {
  if (addon === undefined) {
    // src/ and dist/ both sit next to build/. Loading through require() keeps Node's
    // module cache: one addon instance per environment however many copies ask for it.
    const requireNative = createRequire(__filename);
    const loaded = requireNative(
      join(__dirname, '..', 'build', 'Release', 'shmstate.node'),
    ) as NativeAddon;
    loaded.initialize(ShmStateError);
    addon = loaded;
  }
  return addon;
}
