"""What one commit and one read cost from Python at one state size, split into its parts
(the same parts as bench/lib/store-costs.mjs): encode (dialect check + JSON + UTF-8, what
set() does before committing), set(), the low-level _native commit of pre-encoded bytes,
update() (read, decode, copy, encode, compare-and-set), and reads: cached get(), raw
segment read (copy, no decode) and read + decode.
Used by bench/throughput_python.py and bench/scaling_python.py."""

from benchlib import time_interleaved, time_loop
from payload import make_state

from shmstate import Store, _native
from shmstate.codec import decode, encode


def measure_store_costs(name, size, seconds):
    state = make_state(size)
    # No patch ring: whole-state commits and reads (bench/deltas.mjs measures patches).
    store = Store.create(name, initial=state, capacity=max(4096, size * 2), ring_entries=0)
    segment = _native.Segment.open(name)
    batch = 1 if size >= 65536 else 64
    try:

        def set_next():
            state["seq"] += 1
            store.set(state)

        def encode_next():
            state["seq"] += 1
            encode(state)

        def bump(draft):
            draft["seq"] += 1

        # Interleaved: set() - encode is a difference of two similar figures.
        (encode_ns, _), (set_ns, set_rate) = time_interleaved(
            [encode_next, set_next], 2 * seconds, batch
        )
        data = encode(state)
        commit_ns, commit_rate = time_loop(lambda: segment.commit(data), seconds, batch)
        update_ns, update_rate = time_loop(lambda: store.update(bump), seconds, batch)
        store.get()  # fill the cache for this version
        cached_ns, cached_rate = time_loop(store.get, seconds, 64)
        read_ns, read_rate = time_loop(segment.read, seconds, batch)
        decode_ns, decode_rate = time_loop(lambda: decode(segment.read()[1]), seconds, batch)
        return {
            "size": size,
            "bytes": len(data),
            "encodeNs": encode_ns,
            "setNs": set_ns,
            "setPerSecond": set_rate,
            "overheadNs": set_ns - encode_ns,
            "commitNs": commit_ns,
            "commitPerSecond": commit_rate,
            "updateNs": update_ns,
            "updatePerSecond": update_rate,
            "cachedGetNs": cached_ns,
            "cachedGetPerSecond": cached_rate,
            "readNs": read_ns,
            "readPerSecond": read_rate,
            "readDecodeNs": decode_ns,
            "readDecodePerSecond": decode_rate,
        }
    finally:
        segment.close()
        store.close()
        Store.unlink(name)
