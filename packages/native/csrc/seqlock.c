/*
 * The double-buffered seqlock ("latch"): commit writes the slot that is not current and
 * then publishes it (the version, then the slot index); read copies the current slot without any
 * lock and keeps the copy only if the slot's sequence did not move. docs/concurrency.md gives the
 * invariant and the argument; every fence below names the fence or access it pairs with.
 *
 * The payload is copied with relaxed 64-bit atomic loads and stores (Boehm, "Can seqlocks
 * get along with programming language memory models?"): a torn copy is then a well-defined
 * value that the sequence check throws away, not a data race.
 */
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include "crc32c.h"
#include "internal.h"

/* Reads give up with E_BUSY after this many overtaken attempts, and start yielding the
 * CPU after YIELD_AFTER of them so a preempted writer can finish. */
#define READ_RETRY_CAP 100000
#define READ_YIELD_AFTER 256
/* An unexplained mismatch (the store did not move) is called corruption after this many
 * attempts in a row. */
#define CORRUPT_PATIENCE 64

/* Copies words [from, to) of `src` into the slot's data; `len` bounds the last word,
 * which is zero-padded. The data area is 64-byte aligned (layout.h). */
static void store_words(_Atomic uint64_t* dst, const unsigned char* src, size_t len, size_t from,
                        size_t to) {
  for (size_t i = from; i < to; i++) {
    uint64_t w = 0;
    size_t at = i * 8;
    memcpy(&w, src + at, len - at >= 8 ? 8 : len - at);
    atomic_store_explicit(&dst[i], w, memory_order_relaxed);
  }
}

void shmstate_slot_write(shmstate_segment* seg, unsigned index, uint64_t version, const void* data,
                         size_t len) {
  shmstate_slot_header* slot = shmstate_slot(seg, index);
  _Atomic uint64_t* words = (_Atomic uint64_t*)shmstate_slot_data(seg, index);
  size_t nwords = (len + 7) / 8;

  uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_relaxed);
  /* An odd seq here means a writer died mid-write (we hold the lock, so it is not
   * running): step to even first so the value we store next is odd again. */
  if (seq & 1) seq++;
  atomic_store_explicit(&slot->seq, seq + 1, memory_order_relaxed);
  /* Pairs with the reader's acquire fence before its second seq load: a reader whose copy
   * saw any store below also sees this odd seq, and discards the copy. */
  atomic_thread_fence(memory_order_release);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_SEQ_ODD);

  store_words(words, data, len, 0, nwords / 2);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_MID_COPY);
  store_words(words, data, len, nwords / 2, nwords);
  atomic_store_explicit(&slot->length, len, memory_order_relaxed);
  atomic_store_explicit(&slot->version, version, memory_order_relaxed);
  atomic_store_explicit(&slot->checksum, shmstate_crc32c(data, len), memory_order_relaxed);

  /* Pairs with the reader's acquire load of seq: a reader that sees this even value sees
   * the whole payload, length, version and checksum above. */
  atomic_store_explicit(&slot->seq, seq + 2, memory_order_release);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_SEQ_EVEN);
}

/* Publishes `next` from slot `index`, which holds it (lock held). The version is the
 * linearisation point; the slot index follows it, so readers may see the index lag the
 * version by one commit but never lead it (docs/concurrency.md, "Publishing"). */
static void publish(shmstate_segment* seg, unsigned index, uint64_t next) {
  shmstate_header* hdr = seg->hdr;
  /* Pairs with the reader's acquire load of the version: a reader that sees `next` sees
   * the even seq stored at the end of shmstate_slot_write(), so slot `index` holds it. */
  atomic_store_explicit(&hdr->version, next, memory_order_release);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_VERSION);
  /* Pairs with the reader's acquire load of current_slot, which it makes after its load of
   * the version: a reader that sees this index also sees a version >= next. */
  atomic_store_explicit(&hdr->current_slot, index, memory_order_release);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_PUBLISH);
}

static int commit(shmstate_segment* seg, const void* data, size_t len, uint64_t expected_version,
                  uint64_t version, uint64_t* out_version, shmstate_error* err) {
  if (data == NULL && len > 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "state is NULL but %zu bytes long", len);
  }
  if (len > seg->capacity) {
    return shmstate_fail(err, SHMSTATE_E_CAPACITY, 0, "state is %zu bytes; capacity is %" PRIu64,
                         len, seg->capacity);
  }
  int rc = shmstate_writer_lock(seg, err);
  if (rc != SHMSTATE_OK) return rc;
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_LOCK);

  shmstate_header* hdr = seg->hdr;
  /* Relaxed: the version and the slot index only change under the lock we hold, and the
   * lock's acquire orders us after the previous holder's stores. */
  uint64_t current = atomic_load_explicit(&hdr->version, memory_order_relaxed);
  if (expected_version != 0 && expected_version != current) {
    atomic_fetch_add_explicit(&hdr->stat_conflicts, 1, memory_order_relaxed);
    shmstate_writer_unlock(seg);
    return shmstate_fail(err, SHMSTATE_E_CONFLICT, 0,
                         "expected version %" PRIu64 " but the current version is %" PRIu64,
                         expected_version, current);
  }
  uint64_t next = version;
  if (version == 0 && current == UINT64_MAX) {
    /* Versions never wrap: 0 means "no version" to every reader. 2^64 commits take 584
     * years at a billion a second, so this only guards a hand-edited or corrupt header. */
    shmstate_writer_unlock(seg);
    return shmstate_fail(err, SHMSTATE_E_LIMIT, 0,
                         "segment \"%s\" has published version 2^64-1; no version can follow it",
                         seg->name);
  }
  if (version == 0) {
    next = current + 1;
  } else if (version <= current) {
    atomic_fetch_add_explicit(&hdr->stat_conflicts, 1, memory_order_relaxed);
    shmstate_writer_unlock(seg);
    return shmstate_fail(err, SHMSTATE_E_CONFLICT, 0,
                         "version %" PRIu64 " does not follow the current version %" PRIu64
                         ": versions never go backwards",
                         version, current);
  }
  /* Never the slot readers are told to read. Masked: a scribbled index must not steer the
   * write outside the two slots; readers report it, and this commit repairs it. */
  unsigned index = (atomic_load_explicit(&hdr->current_slot, memory_order_relaxed) & 1u) ^ 1u;
  shmstate_slot_write(seg, index, next, data, len);
  publish(seg, index, next);
  atomic_fetch_add_explicit(&hdr->stat_commits, 1, memory_order_relaxed);
  SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_BEFORE_WAKE);
  /* Under the lock on purpose: a writer that dies before waking leaves the lock owner-dead,
   * and the next writer's recovery does the bump and the wake this one missed. */
  shmstate_futex_notify(seg);
  /* After the bump: a subscriber that re-arms its doorbell and then re-checks the futex
   * word either sees the bump or is armed when this rings (docs/concurrency.md). */
  shmstate_doorbell_ring_all(seg);
  shmstate_writer_unlock(seg);
  if (out_version != NULL) *out_version = next;
  return shmstate_ok(err);
}

int shmstate_segment_commit(shmstate_segment* seg, const void* data, size_t len,
                            uint64_t expected_version, uint64_t* out_version, shmstate_error* err) {
  return commit(seg, data, len, expected_version, 0, out_version, err);
}

int shmstate_segment_commit_at(shmstate_segment* seg, const void* data, size_t len,
                               uint64_t expected_version, uint64_t version, uint64_t* out_version,
                               shmstate_error* err) {
  if (version == 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "version is 0; a commit at a given version names one of 1 or more");
  }
  return commit(seg, data, len, expected_version, version, out_version, err);
}

/* Copies `len` bytes (already clamped to capacity) out of the slot with relaxed word
 * loads; the last word is loaded whole (the data area is padded to 64 bytes). */
static void load_words(const _Atomic uint64_t* src, unsigned char* dst, size_t len) {
  size_t full = len / 8;
  for (size_t i = 0; i < full; i++) {
    uint64_t w = atomic_load_explicit(&src[i], memory_order_relaxed);
    memcpy(dst + i * 8, &w, 8);
  }
  if (len % 8 != 0) {
    uint64_t w = atomic_load_explicit(&src[full], memory_order_relaxed);
    memcpy(dst + full * 8, &w, len % 8);
  }
}

/* One attempt at copying slot `index` under its seqlock. */
typedef enum copy_result { COPY_OK, COPY_WRITER_IN_SLOT, COPY_OVERTAKEN } copy_result;

typedef struct slot_copy {
  uint64_t version;
  uint64_t length; /* as stored: may exceed the capacity if corrupt */
  uint32_t checksum;
  size_t copied; /* bytes in the buffer: length clamped to the capacity */
} slot_copy;

/* The payload is copied only when the slot holds `want`: a slot found holding another
 * version is not worth its copy. */
static copy_result copy_slot(const shmstate_segment* seg, unsigned index, uint64_t want,
                             unsigned char* buf, slot_copy* out) {
  shmstate_slot_header* slot = shmstate_slot(seg, index);
  /* Pairs with the writer's release store of the even seq in shmstate_slot_write(): an
   * even value here means the fields and payload it covers are visible. */
  uint64_t s1 = atomic_load_explicit(&slot->seq, memory_order_acquire);
  if (s1 & 1) return COPY_WRITER_IN_SLOT;
  out->length = atomic_load_explicit(&slot->length, memory_order_relaxed);
  out->version = atomic_load_explicit(&slot->version, memory_order_relaxed);
  out->checksum = atomic_load_explicit(&slot->checksum, memory_order_relaxed);
  /* Clamp before the length sizes anything: it may be torn or corrupt. */
  out->copied = (size_t)(out->length <= seg->capacity ? out->length : seg->capacity);
  if (out->version != want) out->copied = 0;
  load_words((const _Atomic uint64_t*)shmstate_slot_data(seg, index), buf, out->copied);
  /* Pairs with the writer's release fence after it made seq odd: if any load above saw
   * a store from a later write of this slot, the load of seq below sees its odd seq. */
  atomic_thread_fence(memory_order_acquire);
  uint64_t s2 = atomic_load_explicit(&slot->seq, memory_order_relaxed);
  return s1 == s2 ? COPY_OK : COPY_OVERTAKEN;
}

int shmstate_segment_read(shmstate_segment* seg, void* buf, size_t buf_cap, size_t* out_len,
                          uint64_t* out_version, shmstate_error* err) {
  if (buf == NULL || buf_cap < seg->capacity) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "read buffer is %zu bytes; it must hold the capacity, %" PRIu64,
                         buf == NULL ? (size_t)0 : buf_cap, seg->capacity);
  }
  shmstate_header* hdr = seg->hdr;
  int suspect = 0; /* attempts whose mismatch the store's state did not explain */
  for (int attempt = 0; attempt < READ_RETRY_CAP; attempt++) {
    if (attempt >= READ_YIELD_AFTER || suspect > 0) sched_yield();
    /* Pairs with the writer's release store of the version in publish(): the slot that
     * holds this version is whole (its even seq is visible). */
    uint64_t version = atomic_load_explicit(&hdr->version, memory_order_acquire);
    /* After the version, acquire: pairs with the release store of the index in publish(),
     * so an index seen here is never ahead of the version loaded above. */
    uint32_t current = atomic_load_explicit(&hdr->current_slot, memory_order_acquire);
    if (version == 0) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" publishes version 0; versions start at 1", seg->name);
    }
    if (current > 1) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" has current_slot %" PRIu32 "; it must be 0 or 1",
                           seg->name, current);
    }
    unsigned index = current;
    slot_copy got;
    copy_result r = copy_slot(seg, index, version, buf, &got);
    uint64_t named_version = got.version;
    if (r == COPY_OK && got.version < version) {
      /* The index lags the version: a commit is between its two stores (or its writer died
       * there). The version's state is whole in the other slot. */
      index ^= 1u;
      r = copy_slot(seg, index, version, buf, &got);
    }
    if (r == COPY_OK && got.version == version) {
      /* The copy is consistent: from here on a bad field is corruption, not a race. */
      if (got.length > seg->capacity) {
        return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                             "slot %u has length %" PRIu64 "; capacity is %" PRIu64, index,
                             got.length, seg->capacity);
      }
      uint32_t computed = shmstate_crc32c(buf, got.copied);
      if (computed != got.checksum) {
        return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                             "checksum mismatch in slot %u: stored 0x%08" PRIx32
                             ", payload sums to 0x%08" PRIx32 " (version %" PRIu64 ")",
                             index, got.checksum, computed, version);
      }
      if (out_len != NULL) *out_len = got.copied;
      if (out_version != NULL) *out_version = version;
      return shmstate_ok(err);
    }
    /* No match. If the store moved on since our loads (a new version or index), this was
     * a race with writers: start again. */
    if (atomic_load_explicit(&hdr->version, memory_order_acquire) != version ||
        atomic_load_explicit(&hdr->current_slot, memory_order_acquire) != current ||
        r == COPY_OVERTAKEN) {
      suspect = 0;
      continue;
    }
    /* The store did not move, yet the slot that holds its version is being written or
     * holds another version. No writer writes that slot while the version stays published,
     * so this is corruption. The verdict waits out CORRUPT_PATIENCE attempts (yielding) so
     * that a store we have not yet seen on a weakly ordered machine cannot be mistaken for
     * it: on x86 the first look is already conclusive. */
    if (++suspect < CORRUPT_PATIENCE) continue;
    if (r == COPY_WRITER_IN_SLOT) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "slot %u has an odd seq (a write in progress) while version %" PRIu64
                           " stays published in it: no writer writes the current slot",
                           index, version);
    }
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "slot %u holds version %" PRIu64 " but version %" PRIu64
                         " is published (slot version)",
                         current, named_version, version);
  }
  return shmstate_fail(err, SHMSTATE_E_BUSY, 0,
                       "no consistent read of segment \"%s\" within %d attempts: writers kept "
                       "overtaking the copy",
                       seg->name, READ_RETRY_CAP);
}
