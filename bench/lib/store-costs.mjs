/**
 * What one commit and one read cost from Node at one state size, split into its parts:
 * encode (dialect check + JSON text, what set() does before committing), set(), the raw
 * Segment.commit of pre-encoded bytes, update() (read, immer, encode, compare-and-set),
 * and reads: cached get() (unchanged version), raw Segment.read (copy out of shm, no
 * decode) and read + decode (what a new version costs a reader).
 * Used by bench/throughput-node.mjs and bench/scaling.mjs.
 */
import { decodeState, encodeState, encodeStateText, SharedStore } from '@shmstate/core';
import { Segment } from '@shmstate/native';
import { makeState } from './payload.mjs';
import { onExit } from './processes.mjs';
import { timeInterleaved, timeLoop } from './stats.mjs';

export function measureStoreCosts(name, size, seconds) {
  const state = makeState(size);
  const capacity = Math.max(4096, size * 2);
  // No patch ring: these are the costs of whole-state commits and reads, and a raw
  // Segment.read needs the full state current (bench/deltas.mjs measures patches).
  const store = SharedStore.create(name, { initial: state, capacity, ringEntries: 0 });
  onExit(() => {
    try {
      SharedStore.unlink(name);
    } catch {
      // Already removed below.
    }
  });
  const segment = Segment.open(name);
  // Big states take milliseconds per call: time them one by one.
  const batch = size >= 65536 ? 1 : 64;
  try {
    // What set() does before it commits: the dialect check and JSON.stringify; the text
    // is encoded to UTF-8 natively, on its way into the segment (Segment.commitText).
    // Interleaved: set() - encode is a difference of two similar figures.
    const [encode, set] = timeInterleaved(
      [
        () => {
          state.seq += 1;
          encodeStateText(state);
        },
        () => {
          state.seq += 1;
          store.set(state);
        },
      ],
      2 * seconds,
      batch,
    );
    const bytes = encodeState(state, capacity);
    const text = bytes.toString('utf8');
    // The commit of an encoded state: the bytes (Segment.commit), and the text, which is
    // what set() hands over after encoding (Segment.commitText: UTF-8 + commit).
    const [commit, commitText] = timeInterleaved(
      [() => segment.commit(bytes), () => segment.commitText(text)],
      2 * seconds,
      batch,
    );
    const update = timeLoop(
      () =>
        store.update((draft) => {
          draft.seq += 1;
        }),
      seconds,
      batch,
    );
    store.get(); // fill the cache for this version
    const cachedGet = timeLoop(() => store.get(), seconds, 64);
    const read = timeLoop(() => segment.read(), seconds, batch);
    const readDecode = timeLoop(() => decodeState(segment.read().bytes), seconds, batch);
    return {
      size,
      bytes: bytes.length,
      encodeNs: encode.nsPerCall,
      setNs: set.nsPerCall,
      setPerSecond: set.perSecond,
      overheadNs: set.nsPerCall - encode.nsPerCall,
      commitNs: commit.nsPerCall,
      commitTextNs: commitText.nsPerCall,
      commitPerSecond: commit.perSecond,
      updateNs: update.nsPerCall,
      updatePerSecond: update.perSecond,
      cachedGetNs: cachedGet.nsPerCall,
      cachedGetPerSecond: cachedGet.perSecond,
      readNs: read.nsPerCall,
      readPerSecond: read.perSecond,
      readDecodeNs: readDecode.nsPerCall,
      readDecodePerSecond: readDecode.perSecond,
    };
  } finally {
    segment.close();
    store.close();
    SharedStore.unlink(name);
  }
}
